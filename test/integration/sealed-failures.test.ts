import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalDataConverter } from '../../lib/temporal';
import { connectWorkerTemporal } from '../../workers/connection';
import { temporalClient, testConfig, uniquePrefix } from '../support/workers';

/**
 * Issue #13's gap closed: failure messages and stack traces are sealed with the payloads
 * (lib/failure-converter.ts), so an error quoting a user's words is not readable in Temporal
 * without the keys, while clients with the codec still see the message.
 */

const historyBytes = (history: temporal.api.history.v1.IHistory) =>
  Buffer.from(temporal.api.history.v1.History.encode(history).finish());

describe('sealed failure messages', () => {
  const config = testConfig({ TASK_QUEUE_PREFIX: uniquePrefix('sealed-failures') });
  const taskQueue = `${config.env.TASK_QUEUE_PREFIX}failures`;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;

  beforeAll(async () => {
    connection = await connectWorkerTemporal(config.env);
    worker = await Worker.create({
      connection,
      namespace: config.env.TEMPORAL_NAMESPACE,
      taskQueue,
      // Bundled here with the product's converters: what workers/create-worker.ts does at start.
      workflowsPath: require.resolve('../support/workflows/failing'),
      dataConverter: temporalDataConverter(config.env),
      activities: {
        async failWith(message: string) {
          throw new Error(`activity: ${message}`);
        },
      },
    });
    running = worker.run();
    client = await temporalClient(config);
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await client?.connection.close();
  });

  it("keeps an activity's and a workflow's failure messages out of the raw history", async () => {
    const secret = `ひみつ-${randomUUID()}`;
    const workflowId = `sealed-failure-${randomUUID()}`;
    const handle = await client.workflow.start('failTwice', {
      workflowId,
      taskQueue,
      args: [secret],
    });
    // Through the product's client (with the codec): the messages as thrown.
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toBe(`workflow: ${secret}`);
    const history = await handle.fetchHistory();
    const activityFailed = history.events?.find((e) => e.activityTaskFailedEventAttributes);
    expect(activityFailed).toBeDefined();

    // As anyone with Temporal access reads it: no codec.
    const raw = new Client({
      connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
      namespace: config.env.TEMPORAL_NAMESPACE,
    });
    try {
      const rawHistory = await raw.workflow.getHandle(workflowId).fetchHistory();
      const bytes = historyBytes(rawHistory);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret.split('-')[1]!))).toBe(false);
      const failures = (rawHistory.events ?? [])
        .map(
          (e) =>
            e.activityTaskFailedEventAttributes?.failure ??
            e.workflowExecutionFailedEventAttributes?.failure,
        )
        .filter((f) => f);
      expect(failures).toHaveLength(2);
      for (const failure of failures) {
        // The SDK's placeholder; the real message is in the sealed encoded attributes.
        expect(failure!.message).toBe('Encoded failure');
        expect(failure!.encodedAttributes).toBeTruthy();
      }
    } finally {
      await raw.connection.close();
    }
  });
});
