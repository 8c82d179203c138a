import { randomUUID } from 'node:crypto';
import { Runtime } from '@temporalio/worker';
import type { AppConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import { temporalRuntimeLogger } from '../../lib/logger';
import { startStandIns, type StandIns } from '../../stand-ins';
import { postLineWebhook, textEvent } from '../support/line-webhook';
import { startTestApi, type TestApi } from '../support/test-api';
import { createTestUser, testLedger } from '../support/users';
import {
  startWorker,
  testConfig,
  uniquePrefix,
  waitFor,
  type RunningWorker,
} from '../support/workers';
import { capturingLogger, lineIdToken } from './ops-fixtures';

/**
 * Logs never carry message text, prompts, model replies, tokens or secrets. A chat path like
 * test/support/chat-harness.ts (LINE and LLM stand-ins, the real API, a real chat worker), with
 * the API's and the worker's loggers (deps.logger) writing at trace level into memory, with the
 * production redaction settings. Then the user and admin APIs are called with their tokens.
 * Workflow and activity logs reach the worker's logger through the Temporal Runtime's logger,
 * routed as workers/main.ts does (lib/logger.ts temporalRuntimeLogger), so they are read too.
 */
describe('log privacy', () => {
  let standIns: StandIns;
  let config: AppConfig;
  let api: TestApi;
  let worker: RunningWorker;
  const apiLog = capturingLogger('api');
  const workerLog = capturingLogger('worker');

  beforeAll(async () => {
    // Before any worker or connection: the Runtime is created once per process (this file's).
    Runtime.install({ logger: temporalRuntimeLogger(workerLog.logger, 'WARN') });
    standIns = await startStandIns({
      line: { channelAccessToken: process.env.LINE_CHANNEL_ACCESS_TOKEN! },
      llm: { apiKey: process.env.OPENAI_API_KEY!, latencyMs: 0 },
    });
    config = testConfig({ TASK_QUEUE_PREFIX: uniquePrefix('logs'), ...standIns.env });
    api = await startTestApi(config, { logger: apiLog.logger });
    worker = await startWorker(config, TaskQueues.chat, {
      depsOverrides: { logger: workerLog.logger },
    });
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await standIns?.close();
  });

  it('a chat turn, a prompt change, a failed turn and the user/admin APIs leave no personal data or secret in the logs', async () => {
    const ledger = testLedger(api.deps.db, config);
    const user = await createTestUser(api.deps.db, ledger, { planId: 'premium', points: 10_000 });
    const tag = randomUUID().slice(0, 8);
    const prompt = `PROMPT-${tag} あなたは海賊です`;
    const message = `MESSAGE-${tag} 私の住所は東京都千代田区1-1です`;
    const failing = `[[fail:400]] FAILING-${tag} 秘密の相談`;
    const replyTokens: string[] = [];

    const say = async (text: string, n: number) => {
      const replyToken = standIns.line.issueReplyToken({ userId: user.lineUserId });
      replyTokens.push(replyToken);
      const res = await postLineWebhook(api.url, config.env.LINE_CHANNEL_SECRET, [
        textEvent(user.lineUserId, text, { replyToken }),
      ]);
      expect(res.status).toBe(200);
      return waitFor(
        async () =>
          standIns.line.textsFor(user.lineUserId).length >= n &&
          standIns.line.textsFor(user.lineUserId),
        `${n} replies`,
      );
    };
    await say(`プロンプト設定 ${prompt}`, 1);
    const replies = await say(message, 2);
    const answer = replies[1]!;
    expect(answer).toContain(`MESSAGE-${tag}`); // the stand-in echoes the message
    const request = standIns.llm
      .requests()
      .find((r) => r.messages?.some((m) => String(m.content).includes(`MESSAGE-${tag}`)));
    expect(request?.messages?.[0]?.content).toContain(prompt); // the system prompt was used
    await say(failing, 3);

    // The user and admin APIs, with their credentials.
    const idToken = lineIdToken(config, user.lineUserId);
    expect(
      (await fetch(`${api.url}/api/ai/usage`, { headers: { authorization: `Bearer ${idToken}` } }))
        .status,
    ).toBe(200);
    expect(
      (await fetch(`${api.url}/api/balance`, { headers: { authorization: `Bearer ${idToken}x` } }))
        .status,
    ).toBe(401);
    const admin = { authorization: `Bearer ${config.env.ADMIN_TOKEN}`, 'x-admin-actor': 'op' };
    expect(
      (await fetch(`${api.url}/admin/users/${user.lineUserId}`, { headers: admin })).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${api.url}/admin/users/${user.lineUserId}/plan`, {
          method: 'PUT',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ planId: 'gold', reason: `REASON-${tag}` }),
        })
      ).status,
    ).toBe(400);

    const logs = apiLog.text() + workerLog.text();
    // The capture works: the turns were logged (by ID, not by content).
    expect(apiLog.text()).toContain('line event accepted');
    expect(workerLog.text()).toContain('chat turn ended with a business error');
    expect(workerLog.text()).toContain('"sdkComponent":"workflow"'); // workflow logs are read

    const forbidden: Record<string, string> = {
      'message text': `MESSAGE-${tag}`,
      'message text (Japanese part)': '千代田区',
      'failing message text': `FAILING-${tag}`,
      'custom prompt': `PROMPT-${tag}`,
      'custom prompt (Japanese part)': 'あなたは海賊です',
      'default system prompt': config.catalog.chat.defaultSystemPrompt,
      'model answer': answer,
      'LINE channel secret': config.env.LINE_CHANNEL_SECRET,
      'LINE channel access token': config.env.LINE_CHANNEL_ACCESS_TOKEN,
      'LINE Login channel secret': config.env.LINE_LOGIN_CHANNEL_SECRET,
      'OpenAI API key': config.env.OPENAI_API_KEY,
      'Stripe secret key': config.env.STRIPE_SECRET_KEY,
      'Stripe webhook secret': config.env.STRIPE_WEBHOOK_SECRET,
      'admin token': config.env.ADMIN_TOKEN,
      'LINE Login ID token': idToken,
      'ID token signature': idToken.split('.')[2]!,
    };
    replyTokens.forEach((t, i) => (forbidden[`reply token ${i}`] = t));
    const leaks = Object.entries(forbidden)
      .filter(([, value]) => value && logs.includes(value))
      .map(([what]) => what);
    expect(leaks).toEqual([]);
    // Structured JSON lines only, none with a text/content/prompt field left unredacted.
    for (const line of logs.split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      for (const key of ['text', 'content', 'prompt', 'messages', 'token', 'replyToken'])
        if (key in entry) expect({ key, value: entry[key] }).toEqual({ key, value: '[redacted]' });
    }
  });
});
