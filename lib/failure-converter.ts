import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failures with their message and stack trace moved into an encoded attributes payload, which
 * the payload codec seals like any other (lib/payload-codec.ts): a failure's message may quote
 * what a database or an SDK refused, and those can be the user's words. Loaded by path
 * (FAILURE_CONVERTER_PATH) in clients and workers, and bundled into the workflow code, so
 * failures raised in workflows are sealed too. Failures recorded before (plain messages) still
 * decode: the converter reads encoded attributes only where present.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
