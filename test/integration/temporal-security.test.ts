import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TaskQueues } from '../../config/task-queues';
import { connectTemporalClient } from '../../lib/temporal';
import { SEALED_ENCODING } from '../../lib/payload-codec';
import type { AdminAdjustPointsInput } from '../../workflows/admin-adjust-points';
import { adminPointsWorkflowId } from '../../workflows/support/ids';
import { sessionWorkflowId } from '../../workflows/line-user-session';
import { startChatHarness } from '../support/chat-harness';
import { textEvent } from '../support/line-webhook';
import { makeTestPki, startTlsProxy, type TestPki, type TlsProxy } from '../support/tls-proxy';
import { createTestUser, testLedger } from '../support/users';
import {
  queueOf,
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  waitFor,
  type RunningWorker,
} from '../support/workers';

/**
 * Issue #13: reaching Temporal is not enough. Connections go over TLS / mTLS when configured
 * (here through a TLS-terminating proxy in front of the plain dev server), and every payload is
 * sealed: an unsealed start does nothing, and a raw history holds none of the user's text.
 */

const historyBytes = (history: temporal.api.history.v1.IHistory) =>
  Buffer.from(temporal.api.history.v1.History.encode(history).finish());

describe('Temporal connection and sealed payloads', () => {
  let pki: TestPki;
  let tlsProxy: TlsProxy;
  let mtlsProxy: TlsProxy;

  beforeAll(async () => {
    pki = makeTestPki();
    tlsProxy = await startTlsProxy(process.env.TEMPORAL_ADDRESS!, pki);
    mtlsProxy = await startTlsProxy(process.env.TEMPORAL_ADDRESS!, pki, {
      requireClientCert: true,
    });
  });
  afterAll(async () => {
    await tlsProxy?.close();
    await mtlsProxy?.close();
  });

  it('connects over TLS with the server CA from TEMPORAL_TLS_*', async () => {
    const config = testConfig({
      TEMPORAL_ADDRESS: tlsProxy.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    const client = await temporalClient(config);
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await client.connection.close();
    }
    // Without TLS the proxy only sees garbage: no connection.
    await expect(
      connectTemporalClient(
        {
          ...config.env,
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: undefined,
          TEMPORAL_TLS_SERVER_NAME: undefined,
        },
        { connectTimeout: '2s' },
      ),
    ).rejects.toThrow();
  });

  describe('over mTLS, with a billing worker', () => {
    const prefix = uniquePrefix('sec');
    const mtls = () =>
      testConfig({
        TASK_QUEUE_PREFIX: prefix,
        TEMPORAL_ADDRESS: mtlsProxy.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
      });
    let worker: RunningWorker;
    let client: Client;

    beforeAll(async () => {
      worker = await startWorker(mtls(), TaskQueues.billing);
      client = await temporalClient(mtls());
    });
    afterAll(async () => {
      await client?.connection.close();
      await worker?.stop();
    });

    const adjust = (user: { id: string; lineUserId: string }, delta: number) => {
      const requestId = randomUUID();
      const input: AdminAdjustPointsInput = {
        requestId,
        userId: user.id,
        lineUserId: user.lineUserId,
        delta,
        reason: 'security test',
        actor: 'attacker',
      };
      return { workflowId: adminPointsWorkflowId(requestId), input };
    };

    it('refuses a client without a certificate', async () => {
      const before = mtlsProxy.refused();
      const {
        TEMPORAL_TLS_CLIENT_CERT_PATH: _c,
        TEMPORAL_TLS_CLIENT_KEY_PATH: _k,
        ...env
      } = mtls().env;
      await expect(connectTemporalClient(env, { connectTimeout: '2s' })).rejects.toThrow();
      expect(mtlsProxy.refused()).toBeGreaterThan(before);
    });

    it('runs a sealed adminAdjustPoints through the mTLS client and worker', async () => {
      const ledger = testLedger(worker.deps.db, worker.deps.config);
      const user = await createTestUser(worker.deps.db, ledger, { points: 100 });
      const { workflowId, input } = adjust(user, 50);
      const result = await client.workflow.execute('adminAdjustPoints', {
        workflowId,
        taskQueue: queueOf(worker.deps.config, TaskQueues.billing),
        args: [input],
      });
      expect(result).toMatchObject({ applied: true, balanceAfter: 150 });
    });

    it('grants nothing for adminAdjustPoints started directly with an unsealed payload', async () => {
      const ledger = testLedger(worker.deps.db, worker.deps.config);
      const user = await createTestUser(worker.deps.db, ledger, { points: 100 });
      const { workflowId, input } = adjust(user, 1_000_000);
      // Someone who reaches Temporal (here the plain frontend) without the payload keys.
      const raw = new Client({
        connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
        namespace: worker.deps.config.env.TEMPORAL_NAMESPACE,
      });
      try {
        const handle = await raw.workflow.start('adminAdjustPoints', {
          workflowId,
          taskQueue: queueOf(worker.deps.config, TaskQueues.billing),
          args: [input],
        });
        // The worker picks the task up and fails it: the payload is not sealed.
        await waitFor(async () => {
          const { events } = await handle.fetchHistory();
          return events?.some((e) => e.workflowTaskFailedEventAttributes);
        }, 'the workflow task to fail');
        const { events } = await handle.fetchHistory();
        expect(events?.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
        expect((await ledger.getBalance(user.id)).balance).toBe(100);
        await handle.terminate('security test');
      } finally {
        await raw.connection.close();
      }
    });
  });

  it("stores none of a user's chat text in clear in Temporal", async () => {
    const h = await startChatHarness('sealed-chat');
    try {
      const ledger = testLedger(h.db, h.config);
      const user = await createTestUser(h.db, ledger, { points: 100 });
      const secret = `ひみつ-${randomUUID()}`;
      const replyToken = h.line.issueReplyToken({ userId: user.lineUserId });
      const res = await h.send([textEvent(user.lineUserId, secret, { replyToken })]);
      expect(res.status).toBe(200);
      const [reply] = await waitFor(
        async () => h.line.textsFor(user.lineUserId).length > 0 && h.line.textsFor(user.lineUserId),
        'the reply',
      );
      expect(reply).toContain(secret);

      // The history as anyone with Temporal access reads it: no codec.
      const raw = new Client({
        connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
        namespace: h.config.env.TEMPORAL_NAMESPACE,
      });
      try {
        const history = await raw.workflow
          .getHandle(sessionWorkflowId(user.lineUserId))
          .fetchHistory();
        const bytes = historyBytes(history);
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(bytes.includes(Buffer.from(secret.split('-')[1]!))).toBe(false);
        expect(bytes.includes(Buffer.from(SEALED_ENCODING))).toBe(true);
      } finally {
        await raw.connection.close();
      }
    } finally {
      await h.stop();
    }
  });
});
