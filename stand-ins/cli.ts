/**
 * Runs the LINE Platform and LLM provider stand-ins on their own:
 *
 *   node --import tsx stand-ins/cli.ts
 *
 * Ports: LINE_STAND_IN_PORT (default 4010), LLM_STAND_IN_PORT (default 4020); latency of the
 * LLM: LLM_STAND_IN_LATENCY_MS (default 300); bind address: STAND_IN_HOST (default 127.0.0.1).
 * The stand-ins accept LINE_CHANNEL_ACCESS_TOKEN and OPENAI_API_KEY from the environment, or
 * generate local ones and print them. SIGTERM / SIGINT close both.
 */
import { randomBytes } from 'node:crypto';
import { startStandIns } from './index';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

async function main(): Promise<void> {
  const host = process.env.STAND_IN_HOST || '127.0.0.1';
  const channelAccessToken =
    process.env.LINE_CHANNEL_ACCESS_TOKEN || `local-line-${randomBytes(12).toString('hex')}`;
  const apiKey = process.env.OPENAI_API_KEY || `sk-local-${randomBytes(12).toString('hex')}`;
  const standIns = await startStandIns({
    line: {
      host,
      port: intFromEnv('LINE_STAND_IN_PORT', 4010, 0, 65535),
      channelAccessToken,
    },
    llm: {
      host,
      port: intFromEnv('LLM_STAND_IN_PORT', 4020, 0, 65535),
      latencyMs: intFromEnv('LLM_STAND_IN_LATENCY_MS', 300, 0, 600_000),
      apiKey,
    },
  });

  const lines = [
    `LINE Platform stand-in: ${standIns.line.url}  (inspect: ${standIns.line.url}/__stand-in/messages)`,
    `LLM provider stand-in:  ${standIns.llm.baseURL}  (inspect: ${standIns.llm.url}/__stand-in/requests)`,
    '',
    'Point the API and workers at them with:',
    ...Object.entries(standIns.env).map(([k, v]) => `${k}=${v}`),
  ];
  console.log(lines.join('\n'));

  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    void standIns.close().then(() => {
      console.log(`stand-ins closed (${signal})`);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`stand-ins failed: ${(err as Error).message}`);
  process.exit(1);
});
