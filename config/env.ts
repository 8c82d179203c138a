import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parsePayloadKeys } from './payload-keys';
import { temporalProfileDefaults } from './temporal-profile';

/**
 * Environment configuration. Every external endpoint is configurable so that tests and
 * local runs can point at local servers. Secrets have no defaults: a missing one stops the
 * process with a message naming the variable (never its value).
 */

const url = z.url({ protocol: /^https?$/ });
const port = z.coerce.number().int().min(1).max(65535);
const secret = z.string().min(8, 'must be at least 8 characters');
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const EnvSchema = z.object({
  // Unset means production: a process started by hand must not expose the /dev simulator.
  // `npm run dev` and the tests set development and test themselves.
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port.default(3000),
  /**
   * Listen hosts of the API and of every metrics server. Unset: loopback (127.0.0.1) in
   * development and test, all interfaces (0.0.0.0) in production (a container behind a proxy).
   */
  API_HOST: z.string().min(1).optional(),
  METRICS_HOST: z.string().min(1).optional(),
  /**
   * The API's own /metrics port (METRICS_HOST). In production /metrics is served only there,
   * never on PORT (the public webhook port); elsewhere it is also on PORT.
   */
  METRICS_PORT: port.optional(),
  /** Oldest LINE Login ID token accepted (its `iat`), and the longest lifetime (exp - iat). */
  ID_TOKEN_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** User API rate limits per minute: per client IP, and per LINE user (after sign-in). */
  USER_API_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(300),
  USER_API_RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).max(100_000).default(60),
  PUBLIC_BASE_URL: url.default('http://127.0.0.1:3000'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection URL')
    .default('postgresql://postgres@127.0.0.1:5432/line_ai'),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),
  /**
   * Temporal's standard client configuration (@temporalio/envconfig, lib/temporal.ts): a
   * profile of a TOML file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml),
   * read only when one of the two is named; these variables override the profile.
   */
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  /** Temporal Cloud API key (implies TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** mTLS: the client certificate and key this process presents. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: z.string().min(1).optional(),

  /**
   * Payload encryption (lib/payload-codec.ts): `kid:<base64 32-byte key>,...`; PAYLOAD_KEY_ID
   * seals new payloads (config/payload-keys.ts). Every API and worker process needs the same
   * keyring.
   */
  PAYLOAD_KEYS: z.string().min(1),
  PAYLOAD_KEY_ID: z.string().min(1).optional(),
  /**
   * Migration window: until this instant, payloads that are not sealed (written before the
   * codec) are still read; after it (or unset) they are refused.
   */
  PAYLOAD_ACCEPT_UNSEALED_UNTIL: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date or date-time')
    .transform((v) => new Date(v))
    .optional(),
  /** Bearer token of the codec endpoint for the Temporal Web UI (ADMIN_TOKEN works too). */
  CODEC_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  LINE_CHANNEL_SECRET: secret,
  LINE_CHANNEL_ACCESS_TOKEN: secret,
  LINE_API_BASE_URL: url.default('https://api.line.me'),
  LINE_DATA_API_BASE_URL: url.default('https://api-data.line.me'),
  LINE_LOGIN_CHANNEL_ID: z.string().min(1).default('local-login-channel'),
  LINE_LOGIN_CHANNEL_SECRET: secret,
  /** LINE Login's public keys, for the ES256 ID tokens of LIFF and LINE's native SDKs. */
  LINE_LOGIN_JWKS_URL: url.default('https://api.line.me/oauth2/v2.1/certs'),

  OPENAI_API_KEY: secret,
  OPENAI_BASE_URL: url.default('https://api.openai.com/v1'),

  STRIPE_SECRET_KEY: secret,
  STRIPE_WEBHOOK_SECRET: secret,
  STRIPE_API_BASE_URL: url.default('https://api.stripe.com'),
  /**
   * Where Stripe's customer portal (「プラン管理」) sends the user back; unset: LINE itself
   * (https://line.me/R/ opens the app on a phone).
   */
  STRIPE_PORTAL_RETURN_URL: url.optional(),

  S3_ENDPOINT: url.optional(),
  /**
   * Where users and LINE fetch presigned sticker URLs, when that is not S3_ENDPOINT (e.g. an
   * internal MinIO host behind a public https name). Presigned URLs are signed for their host.
   */
  S3_PUBLIC_ENDPOINT: url.optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('line-ai-stamps'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),

  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),

  TIME_ZONE: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Tokyo')
    .default('Asia/Tokyo'),
  CATALOG_FILE: z.string().min(1).optional(),
  LOCAL_STAND_INS: bool.default(false),

  WORKER_QUEUES: z
    .string()
    .default('chat,stamp,billing')
    .transform((v) =>
      v
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.enum(['chat', 'stamp', 'billing'])).min(1, 'must name at least one task queue'),
    ),
  /**
   * Chat turns one chat-queue worker runs at once. A turn holds its workflow task (and
   * local-activity slots) for its whole duration, model call included. The default, 16 per CPU
   * core, keeps a saturated worker's turns well inside the 10 s workflow task timeout (the 200
   * used before let a 2-core worker start more turns than it could finish: they timed out, were
   * replayed and throughput collapsed; bench/README.md) while leaving room for turns that wait
   * seconds on a slow model.
   */
  CHAT_TURNS_PER_WORKER: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(() => 16 * availableParallelism()),
  /**
   * How a chat worker admits turns. `fixed` (default): CHAT_TURNS_PER_WORKER slots. `cpu`:
   * Temporal's resource-based tuner opens slots (at most CHAT_TURNS_PER_WORKER) only while CPU use
   * is under CHAT_TARGET_CPU; the SDK reads the whole machine's CPU, so use it only where the
   * worker has its machine (or node) to itself: on a shared one others' load starves it.
   */
  CHAT_ADMISSION: z.enum(['cpu', 'fixed']).default('fixed'),
  /** CPU use (0–1, whole machine as the OS reports it) above which no new chat slots open. */
  CHAT_TARGET_CPU: z.coerce.number().gt(0).max(1).default(0.8),
  WORKER_METRICS_PORT: port.optional(),
  /** Temporal SDK runtime metrics (Prometheus exporter of the Rust core), when set. */
  WORKER_SDK_METRICS_PORT: port.optional(),
  /** Isolates task queues of parallel test runs (or staging) on one Temporal namespace. */
  TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'may contain only letters, digits, - and _')
    .default(''),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Formats zod issues as "VARIABLE: reason" without ever echoing the value. */
export function describeIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    // zod 4 does not keep the input on issues; a missing value reads "received undefined".
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    const reason = missing ? 'is required' : issue.message;
    return `${prefix}${where}: ${reason}`;
  });
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const profile = temporalProfileDefaults(cleaned);
  if ('problems' in profile) throw new ConfigError(profile.problems);
  const parsed = EnvSchema.safeParse({ ...profile.defaults, ...cleaned });
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const keys = parsePayloadKeys(parsed.data.PAYLOAD_KEYS, parsed.data.PAYLOAD_KEY_ID);
  if ('problems' in keys) throw new ConfigError(keys.problems);
  return parsed.data;
}
