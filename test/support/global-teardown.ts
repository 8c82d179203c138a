/**
 * Jest global teardown: stops the services started by the global setup and drops the test
 * database (kept with KEEP_TEST_DB=1; the run directory is kept with KEEP_TEST_STACK=1).
 */
export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__LINE_AI_TEST_STACK__;
  if (!stack) return;
  globalThis.__LINE_AI_TEST_STACK__ = undefined;
  await stack.stop();
  if (process.env.KEEP_TEST_DB === '1' && stack.database) {
    process.stderr.write(`[test stack] kept database ${stack.database.name}\n`);
  }
}
