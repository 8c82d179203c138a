import { Client, Connection } from '@temporalio/client';
import type { Env } from '../config/env';

export async function connectTemporal(
  env: Pick<Env, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
): Promise<Client> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}

export async function checkTemporal(client: Client): Promise<void> {
  await client.connection.workflowService.getSystemInfo({});
}
