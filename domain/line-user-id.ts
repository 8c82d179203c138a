/** A LINE user ID: "U" + 32 lower-case hex digits. */
export const LINE_USER_ID = /^U[0-9a-f]{32}$/;
