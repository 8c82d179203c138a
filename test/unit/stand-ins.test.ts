import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  connectLinePlatform,
  connectLlmProvider,
  estimatePromptTokens,
  estimateTokens,
  makeLineUserId,
  startLinePlatform,
  startLlmProvider,
  startStandIns,
  type LinePlatformStandIn,
  type LlmProviderStandIn,
} from '../../stand-ins';

const TOKEN = 'stand-in-test-channel-access-token';
const API_KEY = 'sk-stand-in-test-key';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function lineError(promise: Promise<unknown>): Promise<HTTPFetchError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HTTPFetchError) return err;
    throw err;
  }
  throw new Error('expected an HTTPFetchError');
}

function text(t: string): messagingApi.TextMessage {
  return { type: 'text', text: t };
}

describe('LINE Platform stand-in with @line/bot-sdk', () => {
  let line: LinePlatformStandIn;
  let client: messagingApi.MessagingApiClient;
  let blob: messagingApi.MessagingApiBlobClient;
  const user = makeLineUserId('alice');

  beforeAll(async () => {
    line = await startLinePlatform({ channelAccessToken: TOKEN });
    client = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL: line.url });
    blob = new messagingApi.MessagingApiBlobClient({
      channelAccessToken: TOKEN,
      baseURL: line.dataUrl,
    });
  });
  afterAll(() => line.close());
  beforeEach(() => line.reset());

  it('makes LINE-shaped, deterministic user IDs', () => {
    expect(user).toMatch(/^U[0-9a-f]{32}$/);
    expect(makeLineUserId('alice')).toBe(user);
    expect(makeLineUserId('bob')).not.toBe(user);
    expect(makeLineUserId()).toMatch(/^U[0-9a-f]{32}$/);
  });

  it('accepts a reply with a fresh token and attributes it to the token’s user', async () => {
    const replyToken = line.issueReplyToken({ userId: user });
    const res = await client.replyMessage({
      replyToken,
      messages: [text('こんにちは'), text('2')],
    });
    expect(res.sentMessages).toHaveLength(2);
    expect(res.sentMessages[0]?.id).toMatch(/^\d+$/);
    expect(line.textsFor(user)).toEqual(['こんにちは', '2']);
    const [rec] = line.received();
    expect(rec).toMatchObject({ kind: 'reply', to: user, replyToken });
    expect(rec?.at).toBeInstanceOf(Date);
  });

  it('rejects a reused reply token with 400 "Invalid reply token" like LINE', async () => {
    const replyToken = line.issueReplyToken({ userId: user });
    await client.replyMessage({ replyToken, messages: [text('one')] });
    const err = await lineError(client.replyMessage({ replyToken, messages: [text('two')] }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body)).toEqual({ message: 'Invalid reply token' });
    expect(err.headers.get('x-line-request-id')).toBeTruthy();
    expect(line.textsFor(user)).toEqual(['one']);
  });

  it('rejects an expired or unknown reply token', async () => {
    const old = line.issueReplyToken({ userId: user, ageSeconds: 61 });
    const expired = await lineError(
      client.replyMessage({ replyToken: old, messages: [text('x')] }),
    );
    expect(expired.status).toBe(400);
    expect(JSON.parse(expired.body)).toEqual({ message: 'Invalid reply token' });

    const stillValid = line.issueReplyToken({ userId: user, ageSeconds: 50 });
    await client.replyMessage({ replyToken: stillValid, messages: [text('ok')] });

    const unknown = await lineError(
      client.replyMessage({ replyToken: 'f'.repeat(32), messages: [text('x')] }),
    );
    expect(unknown.status).toBe(400);
    expect(line.textsFor(user)).toEqual(['ok']);
  });

  it('honours a shorter configured reply-token age', async () => {
    const strict = await startLinePlatform({
      channelAccessToken: TOKEN,
      replyTokenMaxAgeSeconds: 1,
    });
    try {
      const c = new messagingApi.MessagingApiClient({
        channelAccessToken: TOKEN,
        baseURL: strict.url,
      });
      const token = strict.issueReplyToken({ userId: user, ageSeconds: 2 });
      const err = await lineError(c.replyMessage({ replyToken: token, messages: [text('late')] }));
      expect(err.status).toBe(400);
    } finally {
      await strict.close();
    }
  });

  it('rejects more than 5 messages and over-long text without consuming the token', async () => {
    const replyToken = line.issueReplyToken({ userId: user });
    const six = Array.from({ length: 6 }, (_, i) => text(String(i)));
    const tooMany = await lineError(client.replyMessage({ replyToken, messages: six }));
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.body)).toEqual({
      message: 'The request body has 1 error(s)',
      details: [{ message: 'Size must be between 1 and 5', property: 'messages' }],
    });

    const tooLong = await lineError(
      client.replyMessage({ replyToken, messages: [text('あ'.repeat(5001))] }),
    );
    expect(tooLong.status).toBe(400);
    expect(JSON.parse(tooLong.body).details).toEqual([
      { message: 'Length must be between 0 and 5000', property: 'messages[0].text' },
    ]);

    const empty = await lineError(client.replyMessage({ replyToken, messages: [] }));
    expect(empty.status).toBe(400);

    await client.replyMessage({ replyToken, messages: [text('あ'.repeat(5000))] });
    expect(line.received()).toHaveLength(1);
  });

  it('answers 401 for a wrong channel access token', async () => {
    const bad = new messagingApi.MessagingApiClient({
      channelAccessToken: 'wrong',
      baseURL: line.url,
    });
    const err = await lineError(bad.pushMessage({ to: user, messages: [text('x')] }));
    expect(err.status).toBe(401);
    expect(JSON.parse(err.body).message).toMatch(/Authentication failed/);
    expect(line.received()).toHaveLength(0);
  });

  it('pushes once per retry key: a repeat gets 409 with x-line-accepted-request-id', async () => {
    const retryKey = randomUUID();
    const body = { to: user, messages: [text('push!')] };
    const first = await client.pushMessageWithHttpInfo(body, retryKey);
    expect(first.httpResponse.status).toBe(200);
    expect(first.body.sentMessages).toHaveLength(1);
    const acceptedId = first.httpResponse.headers.get('x-line-request-id');
    expect(acceptedId).toBeTruthy();

    const again = await lineError(client.pushMessage(body, retryKey));
    expect(again.status).toBe(409);
    expect(again.headers.get('x-line-accepted-request-id')).toBe(acceptedId);
    expect(JSON.parse(again.body)).toEqual({
      message: 'The retry key is already accepted',
      sentMessages: first.body.sentMessages,
    });
    expect(line.received({ kind: 'push' })).toHaveLength(1);
    expect(line.received()[0]).toMatchObject({ kind: 'push', to: user, retryKey });

    // Without a retry key, every push is a new message.
    await client.pushMessage(body);
    await client.pushMessage(body);
    expect(line.textsFor(user)).toEqual(['push!', 'push!', 'push!']);

    const badKey = await lineError(client.pushMessage(body, 'not-a-uuid'));
    expect(badKey.status).toBe(400);
  });

  it('makes "5xx although delivered" retries safe with the retry key', async () => {
    line.failNext('/v2/bot/message/push', 500, 1, { applyEffect: true });
    const retryKey = randomUUID();
    const body = { to: user, messages: [text('once')] };
    const first = await lineError(client.pushMessage(body, retryKey));
    expect(first.status).toBe(500);
    const retry = await lineError(client.pushMessage(body, retryKey));
    expect(retry.status).toBe(409);
    expect(line.textsFor(user)).toEqual(['once']);
  });

  it('validates push targets like LINE (user IDs are U + 32 hex)', async () => {
    const err = await lineError(client.pushMessage({ to: 'U123', messages: [text('x')] }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body).message).toMatch(/'to'/);
  });

  it('injects failures on a path for a number of requests', async () => {
    line.failNext('/v2/bot/message/reply', 500, 1);
    const replyToken = line.issueReplyToken({ userId: user });
    const failed = await lineError(client.replyMessage({ replyToken, messages: [text('a')] }));
    expect(failed.status).toBe(500);
    // The failure happened before any effect: the token is still usable.
    await client.replyMessage({ replyToken, messages: [text('a')] });
    expect(line.textsFor(user)).toEqual(['a']);

    line.failNext('/v2/bot/message/push', 429, 2);
    for (let i = 0; i < 2; i++) {
      const err = await lineError(client.pushMessage({ to: user, messages: [text('b')] }));
      expect(err.status).toBe(429);
      expect(JSON.parse(err.body).message).toMatch(/rate limit/);
    }
    await client.pushMessage({ to: user, messages: [text('b')] });
    expect(line.textsFor(user)).toEqual(['a', 'b']);
  });

  it('shows the loading animation (202 {}) and validates loadingSeconds', async () => {
    const res = await client.showLoadingAnimationWithHttpInfo({ chatId: user, loadingSeconds: 20 });
    expect(res.httpResponse.status).toBe(202);
    expect(res.body).toEqual({});
    await client.showLoadingAnimation({ chatId: user }); // default 20 s
    for (const loadingSeconds of [0, 7, 65, 2.5]) {
      const err = await lineError(client.showLoadingAnimation({ chatId: user, loadingSeconds }));
      expect(err.status).toBe(400);
      expect(JSON.parse(err.body).details[0].property).toBe('loadingSeconds');
    }
    expect(line.received({ kind: 'loading' }).map((r) => r.loadingSeconds)).toEqual([20, 20]);
    expect(line.messagesFor(user)).toEqual([]);
  });

  it('serves registered content through MessagingApiBlobClient, 404 otherwise', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    line.putContent('468789577898262530', png, 'image/png');
    const res = await blob.getMessageContentWithHttpInfo('468789577898262530');
    expect(res.httpResponse.headers.get('content-type')).toBe('image/png');
    expect(await readAll(res.body)).toEqual(png);

    const missing = await lineError(blob.getMessageContent('1'));
    expect(missing.status).toBe(404);
  });

  it('returns a profile with a displayName', async () => {
    const profile = await client.getProfile(user);
    expect(profile.userId).toBe(user);
    expect(profile.displayName).toBeTruthy();
    line.setProfile(user, { displayName: '山田太郎' });
    expect((await client.getProfile(user)).displayName).toBe('山田太郎');
  });

  it('waitFor resolves on records already received or arriving later', async () => {
    const replyToken = line.issueReplyToken({ userId: user });
    const later = line.waitFor((r) => r.kind === 'push' && r.to === user, 5_000);
    await client.replyMessage({ replyToken, messages: [text('first')] });
    await client.pushMessage({ to: user, messages: [text('second')] });
    expect((await later).messages).toEqual([text('second')]);
    expect((await line.waitFor((r) => r.kind === 'reply')).replyToken).toBe(replyToken);
    await expect(line.waitFor((r) => r.kind === 'loading', 50)).rejects.toThrow(/nothing matched/);
  });

  it('offers the inspection API over HTTP (for other processes and the simulator page)', async () => {
    const remote = connectLinePlatform(line.url);
    const bob = makeLineUserId('bob');
    const replyToken = await remote.issueReplyToken({ userId: bob });
    await client.replyMessage({ replyToken, messages: [text('hi bob')] });
    await client.pushMessage({ to: user, messages: [text('hi alice')] });

    expect(await remote.textsFor(bob)).toEqual(['hi bob']);
    const all = await remote.received();
    expect(all.map((r) => r.kind)).toEqual(['reply', 'push']);
    expect(all[0]?.at).toBeInstanceOf(Date);
    expect(await remote.received({ after: all[0]?.seq })).toHaveLength(1);
    const hit = await remote.waitFor((r) => r.to === user, 2_000, 20);
    expect(hit.kind).toBe('push');

    await remote.putContent('42', Buffer.from('jpeg-bytes'), 'image/jpeg');
    expect((await readAll(await blob.getMessageContent('42'))).toString()).toBe('jpeg-bytes');

    await remote.failNext('/v2/bot/message/{messageId}/content', 503, 1);
    expect((await lineError(blob.getMessageContent('42'))).status).toBe(503);

    const raw = await fetch(`${line.url}/__stand-in/messages?userId=${bob}`);
    expect(raw.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await raw.json()) as { received: unknown[] }).received).toHaveLength(1);

    await remote.reset();
    expect(line.received()).toEqual([]);
  });
});

describe('LLM provider stand-in with the openai SDK', () => {
  let llm: LlmProviderStandIn;
  let openai: OpenAI;

  beforeAll(async () => {
    llm = await startLlmProvider({ apiKey: API_KEY });
    openai = new OpenAI({ apiKey: API_KEY, baseURL: llm.baseURL, maxRetries: 0 });
  });
  afterAll(() => llm.close());
  beforeEach(() => llm.reset());

  it('answers in OpenAI’s chat.completion shape with a deterministic reply', async () => {
    const res = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'あなたは丁寧なアシスタントです。' },
        { role: 'user', content: '東京の明日の天気を教えてください。傘は必要ですか？' },
      ],
      max_tokens: 500,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe('gpt-4o-mini');
    expect(typeof res.created).toBe('number');
    const choice = res.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.role).toBe('assistant');
    expect(choice?.message.content).toBe(
      '[gpt-4o-mini] 了解しました: 東京の明日の天気を教えてください。傘は必要ですか？',
    );
    const usage = res.usage;
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(usage?.completion_tokens).toBe(estimateTokens(choice?.message.content ?? ''));

    const [rec] = llm.requests();
    expect(rec).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 500,
      status: 200,
      retryCount: 0,
    });
    expect(rec?.messages?.[0]).toEqual({
      role: 'system',
      content: 'あなたは丁寧なアシスタントです。',
    });
  });

  it('counts prompt tokens from the input: longer costs more, Japanese about one per char', async () => {
    const ask = async (content: string) =>
      (await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] }))
        .usage?.prompt_tokens ?? 0;
    const shortEn = await ask('a'.repeat(40));
    const longEn = await ask('a'.repeat(400));
    const ja = await ask('あ'.repeat(400));
    expect(longEn - shortEn).toBe(90); // 360 Latin chars ≈ 90 tokens
    expect(ja - longEn).toBe(300); // 400 kana ≈ 400 tokens vs 100
    expect(shortEn).toBe(3 + 4 + 10); // priming + per-message overhead + content

    const history = await openai.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'a'.repeat(40) },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'a'.repeat(40) },
      ],
    });
    expect(history.usage?.prompt_tokens).toBeGreaterThan(shortEn + 10);
    expect(
      estimatePromptTokens([{ role: 'user', content: [{ type: 'text', text: 'abcd' }] }]),
    ).toBe(8);
  });

  it('500 once, then success through the SDK’s own retries: 2 requests recorded', async () => {
    llm.failNext(500, 1);
    const retrying = new OpenAI({ apiKey: API_KEY, baseURL: llm.baseURL, maxRetries: 2 });
    const res = await retrying.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'retry me' }],
    });
    expect(res.choices[0]?.message.content).toContain('retry me');
    const recs = llm.requests();
    expect(recs.map((r) => r.status)).toEqual([500, 200]);
    expect(recs.map((r) => r.retryCount)).toEqual([0, 1]);
    expect(llm.completions()).toHaveLength(1);
  });

  it('429 with retry-after is retried by the SDK; without retries it surfaces', async () => {
    llm.failNext(429, 1, undefined, { headers: { 'retry-after': '0' } });
    const retrying = new OpenAI({ apiKey: API_KEY, baseURL: llm.baseURL, maxRetries: 1 });
    await retrying.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(llm.requests().map((r) => r.status)).toEqual([429, 200]);

    llm.failNext(429, 1);
    const err = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe(
      '1',
    );
  });

  it('401 with OpenAI’s error shape for a wrong key', async () => {
    const wrong = new OpenAI({
      apiKey: 'sk-wrong-key-123456',
      baseURL: llm.baseURL,
      maxRetries: 0,
    });
    const err = await wrong.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const authErr = err as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(authErr.status).toBe(401);
    expect(authErr.code).toBe('invalid_api_key');
    expect(authErr.type).toBe('invalid_request_error');
    expect(authErr.message).not.toContain('sk-wrong-key-123456');
  });

  it('400 with OpenAI’s error shape for bad bodies and for stream: true', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await fetch(`${llm.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { error: Record<string, unknown> } };
    };
    expect((await bad({ messages: [{ role: 'user', content: 'x' }] })).body.error.message).toBe(
      'you must provide a model parameter',
    );
    expect((await bad({ model: 'm', messages: [] })).body.error).toMatchObject({
      param: 'messages',
      code: 'empty_array',
      type: 'invalid_request_error',
    });
    expect(
      (await bad({ model: 'm', messages: [{ role: 'boss', content: 'x' }] })).body.error,
    ).toMatchObject({
      param: 'messages[0].role',
      code: 'invalid_value',
    });
    expect((await bad({ model: 'm', messages: [{ role: 'user', content: 3 }] })).status).toBe(400);
    expect(
      (await bad({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 })).status,
    ).toBe(400);

    const streaming = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((e: unknown) => e);
    expect(streaming).toBeInstanceOf(OpenAI.BadRequestError);
    expect((streaming as Error).message).toMatch(/stream/);

    const notJson = await fetch(`${llm.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(notJson.status).toBe(400);
  });

  it('honours the latency setting', async () => {
    llm.setLatency(250);
    const started = Date.now();
    await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('signals a web search for search models with url_citation annotations', async () => {
    const res = await openai.chat.completions.create({
      model: 'gpt-4o-search-preview',
      messages: [{ role: 'user', content: '今日のニュース' }],
    });
    const message = res.choices[0]?.message;
    expect(message?.annotations).toHaveLength(1);
    const citation = message?.annotations?.[0]?.url_citation;
    expect(citation?.url).toMatch(/^https:\/\//);
    expect(message?.content?.slice(citation?.start_index, citation?.end_index)).toContain(
      citation?.url ?? '',
    );
    expect(llm.requests()[0]?.reply?.searches).toBe(1);

    const plain = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(plain.choices[0]?.message.annotations).toEqual([]);

    const withTemperature = await openai.chat.completions
      .create({
        model: 'gpt-4o-search-preview',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 0.2,
      })
      .catch((e: unknown) => e);
    expect(withTemperature).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('cuts the answer at max_tokens with finish_reason "length"', async () => {
    const res = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: '[[len:600]] 長く書いて' }],
      max_tokens: 50,
    });
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.usage?.completion_tokens).toBeLessThanOrEqual(50);
    expect([...(res.choices[0]?.message.content ?? '')]).toHaveLength(50);
  });

  it('lets tests choose the reply: directives, queued replies, a handler', async () => {
    const ask = async (content: string) =>
      (await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] }))
        .choices[0]?.message.content;
    expect(await ask('[[reply:ちょうどこれ]]')).toBe('ちょうどこれ');
    expect([...((await ask('[[len:6000]]')) ?? '')]).toHaveLength(6000);
    const failing = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: '[[fail:503]]' }] })
      .catch((e: unknown) => e);
    expect((failing as InstanceType<typeof OpenAI.APIError>).status).toBe(503);

    llm.queueReply('queued one', { content: 'queued two', finish_reason: 'stop' });
    expect(await ask('a')).toBe('queued one');
    expect(await ask('b')).toBe('queued two');

    llm.setHandler(({ model, messages }) => `${model}:${messages.length}`);
    expect(await ask('c')).toBe('m:1');
    llm.setHandler(null);
    expect(await ask('d')).toBe('[m] 了解しました: d');
  });

  it('setDown refuses connections or answers 503', async () => {
    llm.setDown(true);
    const reset = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(OpenAI.APIConnectionError);

    llm.setDown(true, '503');
    const unavailable = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect((unavailable as InstanceType<typeof OpenAI.APIError>).status).toBe(503);

    llm.setDown(false);
    await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(llm.requests().map((r) => r.status)).toEqual([0, 503, 200]);
  });

  it('also serves /chat/completions for a base URL without /v1, and the HTTP control API', async () => {
    const noV1 = new OpenAI({ apiKey: API_KEY, baseURL: llm.url, maxRetries: 0 });
    await noV1.chat.completions.create({
      model: 'tier-small',
      messages: [{ role: 'user', content: 'x' }],
    });

    const remote = connectLlmProvider(llm.baseURL);
    expect(remote.baseURL).toBe(llm.baseURL);
    const [rec] = await remote.requests();
    expect(rec).toMatchObject({ path: '/chat/completions', model: 'tier-small', status: 200 });
    expect(rec?.at).toBeInstanceOf(Date);

    await remote.failNext(500, 1);
    await remote.queueReply('from another process');
    const failed = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    const ok = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(ok.choices[0]?.message.content).toBe('from another process');

    await remote.setLatency(0);
    await remote.reset();
    expect(await remote.requests()).toEqual([]);
  });

  it('waitForRequests resolves once enough requests were answered', async () => {
    const waiting = llm.waitForRequests(2, 5_000);
    await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: '1' }],
    });
    await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: '2' }],
    });
    expect(await waiting).toHaveLength(2);
  });
});

describe('startStandIns', () => {
  it('starts both and describes the environment to point at them', async () => {
    const standIns = await startStandIns({
      line: { channelAccessToken: TOKEN },
      llm: { apiKey: API_KEY },
    });
    try {
      expect(standIns.env).toEqual({
        LINE_API_BASE_URL: standIns.line.url,
        LINE_DATA_API_BASE_URL: standIns.line.url,
        LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
        LINE_LOGIN_JWKS_URL: `${standIns.line.url}/oauth2/v2.1/certs`,
        OPENAI_BASE_URL: `${standIns.llm.url}/v1`,
        OPENAI_API_KEY: API_KEY,
      });
      const health = await fetch(`${standIns.line.url}/__stand-in/health`);
      expect(health.status).toBe(200);
      // LINE Login's keys, as LINE publishes them: one ES256 key (P-256), no private part.
      const certs = (await (await fetch(standIns.env.LINE_LOGIN_JWKS_URL)).json()) as {
        keys: Array<Record<string, unknown>>;
      };
      expect(certs.keys).toHaveLength(1);
      expect(certs.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(certs.keys[0]).not.toHaveProperty('d');
    } finally {
      await standIns.close();
    }
  });
});
