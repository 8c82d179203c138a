import fs from 'node:fs';
import path from 'node:path';

/** Variables the jest global setup provides to every test (and to processes tests spawn). */
export const STACK_ENV_KEYS = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_UI_URL',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'STRIPE_API_BASE_URL',
  'NODE_ENV',
  'LOG_LEVEL',
  'LINE_CHANNEL_SECRET',
  'LINE_CHANNEL_ACCESS_TOKEN',
  'LINE_LOGIN_CHANNEL_SECRET',
  'OPENAI_API_KEY',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'PAYLOAD_KEYS',
  'PAYLOAD_KEY_ID',
  'CODEC_TOKEN',
] as const;

export type StackEnvKey = (typeof STACK_ENV_KEYS)[number];

/** Written by the global setup; the stack of the most recent jest run. */
export const STACK_ENV_FILE = path.resolve(__dirname, '..', '..', '.stack', 'test', 'env.json');

/**
 * The test stack's environment, for tests that spawn child processes (workers, the API):
 *   spawn(cmd, args, { env: { ...process.env, ...stackEnv() } })
 * Read from process.env (set by the global setup before the test workers start); the file
 * `.stack/test/env.json` is the fallback for a process outside jest.
 */
export function stackEnv(): Record<StackEnvKey, string> {
  const fromProcess = pick(process.env);
  if (fromProcess) return fromProcess;
  let fromFile: Record<string, string | undefined> | null = null;
  try {
    fromFile = JSON.parse(fs.readFileSync(STACK_ENV_FILE, 'utf8')) as Record<string, string>;
  } catch {
    // reported below
  }
  const picked = fromFile && pick(fromFile);
  if (picked) return picked;
  throw new Error(
    `The test stack environment is not available: run the tests through jest (its global ` +
      `setup starts the stack) or keep ${STACK_ENV_FILE} from a running jest.`,
  );
}

function pick(source: Record<string, string | undefined>): Record<StackEnvKey, string> | null {
  const out = {} as Record<StackEnvKey, string>;
  for (const key of STACK_ENV_KEYS) {
    const value = source[key];
    if (value === undefined || value === '') return null;
    out[key] = value;
  }
  return out;
}
