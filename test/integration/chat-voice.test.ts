import { randomBytes } from 'node:crypto';
import type { Ledger } from '../../ledger';
import { priceTranscription, priceUsage } from '../../domain/pricing';
import { lineMessageId } from '../../stand-ins/line-webhook';
import type { ChatTurnResult } from '../../workflows/chat-turn';
import { chatTurnId } from '../../workflows/support/ids';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { audioEvent, textEvent, webhookEventId } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Voice messages end to end (issue #14): the real API, session, chat turn and worker,
 * Temporal and PostgreSQL; LINE (audio content, replies) and the LLM provider (transcription
 * and chat) are the stand-ins, spoken to through @line/bot-sdk and the openai SDK. The stand-in
 * transcribes from markers in the audio bytes (stand-ins/llm-provider/routes-audio.ts). Every
 * message the product sends to LINE is validated against LINE's OpenAPI description.
 */
describe('voice messages', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('chat-voice');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  const voice = () => h.config.catalog.voice!;
  const smallTier = () => h.config.catalog.modelTiers.small!;

  /** Stores `markers` as a recording's bytes in the LINE stand-in and sends its audio event. */
  async function speak(lineUserId: string, markers: string, durationMs = 7000) {
    const messageId = lineMessageId();
    // Not real AAC: bytes around the stand-in's markers, as a recording would have around speech.
    const audio = Buffer.concat([randomBytes(64), Buffer.from(markers), randomBytes(64)]);
    h.line.putContent(messageId, audio, 'audio/x-m4a');
    const id = webhookEventId();
    const res = await h.send([
      audioEvent(lineUserId, messageId, durationMs, {
        webhookEventId: id,
        replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      }),
    ]);
    expect(res.status).toBe(200);
    return id;
  }

  /** The voice turn's result, once the session has started it. */
  async function turnResult(id: string): Promise<ChatTurnResult> {
    const handle = h.temporal.workflow.getHandle(chatTurnId(id));
    await waitFor(() => handle.describe().then(Boolean, () => false), `turn ${id}`);
    return (await handle.result()) as ChatTurnResult;
  }
  const textsFor = (lineUserId: string) => h.line.textsFor(lineUserId);
  const waitForTexts = (lineUserId: string, n: number) =>
    waitFor(async () => textsFor(lineUserId).length >= n && textsFor(lineUserId), `${n} texts`);
  const transcriptions = () =>
    h.llm.requests().filter((r) => r.path === '/v1/audio/transcriptions');
  const chatRequestsWith = (text: string) =>
    h.llm
      .requests()
      .filter((r) => r.messages?.filter((m) => m.role === 'user').at(-1)?.content === text);

  async function charges(userId: string) {
    const [records, reservations, archive, balance, usage, replay] = await Promise.all([
      h.db.usageRecord.findMany({ where: { userId } }),
      h.db.pointReservation.findMany({ where: { userId } }),
      h.db.chatArchive.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
      ledger.getBalance(userId),
      ledger.getUsage(userId),
      ledger.replayCheck(userId),
    ]);
    return { records, reservations, archive, balance, usage, replay };
  }

  it('transcribes a voice message, answers it once and charges the transcription with the answer', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const said = '明日の東京の天気を教えて';
    const id = await speak(user.lineUserId, `[[transcript:${said}]][[seconds:7.2]]`);

    const result = await turnResult(id);
    expect(result.outcome).toBe('answered');
    const [answer] = await waitForTexts(user.lineUserId, 1);
    expect(answer).toContain(`了解しました: ${said}`);

    // One transcription through the openai SDK, to the voice tier's endpoint, as M4A.
    const [heard, ...more] = transcriptions().filter((r) => r.transcription?.text === said);
    expect(more).toEqual([]);
    expect(heard).toMatchObject({
      status: 200,
      model: voice().model,
      body: { language: 'ja', file: { filename: 'voice.m4a', contentType: 'audio/x-m4a' } },
    });
    // Then one chat completion whose user message is the transcript.
    const chats = chatRequestsWith(said);
    expect(chats).toHaveLength(1);
    expect(chats[0]!.model).toBe(smallTier().model);

    const usage = chats[0]!.reply!.usage;
    const chat = priceUsage({
      tier: smallTier(),
      rates: h.config.catalog.rates,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
    });
    const transcription = priceTranscription({
      voice: voice(),
      rates: h.config.catalog.rates,
      seconds: 7.2,
    });
    expect(transcription.audioSeconds).toBe(8);
    expect(transcription.points).toBeGreaterThan(0);
    expect(result.pointsCharged).toBe(chat.points + transcription.points);

    const s = await charges(user.id);
    expect(s.records.map((r) => [r.ioType, r.model, r.points]).sort()).toEqual(
      [
        ...chat.records.map((r) => [r.ioType, r.model, r.points]),
        ['transcription', voice().model, transcription.points],
      ].sort(),
    );
    const record = s.records.find((r) => r.ioType === 'transcription')!;
    expect(record.audioSeconds).toBe(8);
    expect(record.tokens).toBeNull();
    expect(record.dollarPerAudioSecond?.toString()).toBe(String(voice().dollarPerAudioSecond));
    expect(s.balance.balance).toBe(100 - chat.points - transcription.points);
    expect(s.reservations.map((r) => r.status)).toEqual(['settled']);
    expect(s.usage.remainingCount).toBe(h.config.catalog.plans.free!.dailyChatLimit - 1);
    // The transcript is the user's message in the history (the next turn's context).
    expect(s.archive.map((a) => [a.role, a.content])).toEqual([
      ['user', said],
      ['assistant', answer],
    ]);
    expect(s.replay).toEqual([]);
    expect(textsFor(user.lineUserId)).toHaveLength(1);
  });

  it('apologises for audio the provider cannot read, charges nothing, and answers the next message', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const id = await speak(user.lineUserId, 'no speech marker in these bytes');

    const result = await turnResult(id);
    expect(result).toMatchObject({ outcome: 'rejected', errorCode: 'VOICE_UNREADABLE' });
    const [apology] = await waitForTexts(user.lineUserId, 1);
    expect(apology).toBe(voice().notUnderstood);
    const s = await charges(user.id);
    expect(s.records).toEqual([]);
    expect(s.reservations).toEqual([]);
    expect(s.balance.balance).toBe(100);
    expect(s.usage.remainingCount).toBe(h.config.catalog.plans.free!.dailyChatLimit);

    await h.send([
      textEvent(user.lineUserId, 'おすすめの本はありますか', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    ]);
    const [, answer] = await waitForTexts(user.lineUserId, 2);
    expect(answer).toContain('了解しました: おすすめの本はありますか');
    expect(textsFor(user.lineUserId)).toHaveLength(2);
  });

  it('gives up on a provider that keeps failing within bounded retries: one apology, no charge', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const before = transcriptions().length;
    const id = await speak(user.lineUserId, '[[transcript:届かない]][[fail:503]]');

    const result = await turnResult(id);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'transcribe' });
    const texts = await waitForTexts(user.lineUserId, 1);
    expect(texts).toEqual([h.config.catalog.messages.SYSTEM_ERROR]);
    // Three attempts (workflows/support/voice.ts), never the model.
    const failed = transcriptions()
      .slice(before)
      .filter((r) => r.status === 503);
    expect(failed).toHaveLength(3);
    expect(chatRequestsWith('届かない')).toEqual([]);
    const s = await charges(user.id);
    expect(s.records).toEqual([]);
    expect(s.balance.balance).toBe(100);
    expect(s.usage.remainingCount).toBe(h.config.catalog.plans.free!.dailyChatLimit);
  });

  it('refuses a recording over the limit, and one LINE no longer has, without a transcription', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const before = transcriptions().length;
    const tooLong = await speak(
      user.lineUserId,
      '[[transcript:長すぎる]]',
      (voice().maxSeconds + 1) * 1000,
    );
    expect(await turnResult(tooLong)).toMatchObject({ errorCode: 'VOICE_TOO_LONG' });

    const gone = webhookEventId();
    await h.send([
      {
        type: 'message',
        mode: 'active',
        timestamp: Date.now(),
        source: { type: 'user', userId: user.lineUserId },
        webhookEventId: gone,
        deliveryContext: { isRedelivery: false },
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
        // No content stored under this ID: LINE's data API answers 404.
        message: {
          type: 'audio',
          id: lineMessageId(),
          duration: 3000,
          contentProvider: { type: 'line' },
        },
      },
    ]);
    expect(await turnResult(gone)).toMatchObject({ errorCode: 'VOICE_UNAVAILABLE' });
    expect(await waitForTexts(user.lineUserId, 2)).toEqual([
      voice().tooLong.replaceAll('{seconds}', String(voice().maxSeconds)),
      voice().notUnderstood,
    ]);
    expect(transcriptions().length).toBe(before);
    expect((await charges(user.id)).balance.balance).toBe(100);
  });
});
