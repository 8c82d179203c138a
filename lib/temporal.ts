import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Env } from '../config/env';
import { parsePayloadKeys } from '../config/payload-keys';
import { SealingPayloadCodec } from './payload-codec';

/**
 * How every process of this project reaches Temporal: the API's client, every worker, the
 * tests. Connection settings come from Temporal's standard client configuration
 * (@temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*, TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE), validated first by config/env.ts;
 * every payload goes through the sealing codec (lib/payload-codec.ts).
 */

export type TemporalEnv = Pick<
  Env,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_PROFILE'
  | 'TEMPORAL_CONFIG_FILE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_CERT_DATA'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_DATA'
>;

export type PayloadEnv = Pick<
  Env,
  'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID' | 'PAYLOAD_ACCEPT_UNSEALED_UNTIL'
>;

const PROFILE_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
] as const satisfies ReadonlyArray<keyof TemporalEnv>;

/**
 * The connection options envconfig derives from the validated environment (so a test's
 * config overrides apply as they do for everything else). The TOML file is consulted only when
 * a profile or file is named, as in config/temporal-profile.ts.
 */
export function temporalConnectionOptions(env: TemporalEnv): {
  connection: NativeConnectionOptions;
  namespace: string;
} {
  const vars: Record<string, string> = {};
  for (const name of PROFILE_VARIABLES) {
    const value = env[name];
    if (value !== undefined) vars[name] = value;
  }
  if (process.env.HOME) vars.HOME = process.env.HOME;
  if (process.env.XDG_CONFIG_HOME) vars.XDG_CONFIG_HOME = process.env.XDG_CONFIG_HOME;
  const named = !!env.TEMPORAL_PROFILE || !!env.TEMPORAL_CONFIG_FILE;
  const { connectionOptions, namespace } = loadClientConnectConfig({
    profile: env.TEMPORAL_PROFILE,
    disableFile: !named,
    overrideEnvVars: vars,
  });
  return { connection: connectionOptions, namespace: namespace ?? env.TEMPORAL_NAMESPACE };
}

/** The sealing codec of this deployment's keyring (PAYLOAD_KEYS, PAYLOAD_KEY_ID). */
export function payloadCodec(env: PayloadEnv): SealingPayloadCodec {
  const parsed = parsePayloadKeys(env.PAYLOAD_KEYS, env.PAYLOAD_KEY_ID);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return new SealingPayloadCodec({
    keyring: parsed.keyring,
    acceptUnsealedUntil: env.PAYLOAD_ACCEPT_UNSEALED_UNTIL ?? null,
  });
}

/** lib/failure-converter.ts: failure messages and stack traces sealed with the payloads. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The data converter of every client and worker: JSON payloads and failure messages, sealed. */
export function temporalDataConverter(env: PayloadEnv): DataConverter {
  return { payloadCodecs: [payloadCodec(env)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** The client connection (API, tests, scripts). */
export async function connectTemporalClient(
  env: TemporalEnv,
  extra: Partial<ConnectionOptions> = {},
): Promise<Connection> {
  const { connection } = temporalConnectionOptions(env);
  return Connection.connect({ ...(connection as ConnectionOptions), ...extra });
}

export async function connectTemporal(env: TemporalEnv & PayloadEnv): Promise<Client> {
  const { namespace } = temporalConnectionOptions(env);
  const connection = await connectTemporalClient(env);
  return new Client({ connection, namespace, dataConverter: temporalDataConverter(env) });
}

export async function checkTemporal(client: Client): Promise<void> {
  await client.connection.workflowService.getSystemInfo({});
}
