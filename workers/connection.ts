import { NativeConnection } from '@temporalio/worker';
import { temporalConnectionOptions, type TemporalEnv } from '../lib/temporal';

/**
 * The worker's connection to Temporal, with the same standard client configuration (address,
 * namespace, TLS / mTLS, API key, profiles) as the API's client (lib/temporal.ts).
 */
export async function connectWorkerTemporal(env: TemporalEnv): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(env).connection);
}
