/** The workflow bundle's entry point (every workflow type); kept free of worker imports. */
export const WORKFLOWS_PATH = require.resolve('../workflows');
