import { messagingApi } from '@line/bot-sdk';
import OpenAI, { toFile } from 'openai';
import { loadCatalog, parseCatalog } from '../../config/catalog';
import { ConfigError } from '../../config/env';
import { BusinessError } from '../../domain/errors';
import { priceTranscription, priceUsage } from '../../domain/pricing';
import { knownModelsOf, requireRecords } from '../../ledger/validate';
import {
  downloadVoice,
  isFinalRejection,
  transcribe,
  VoiceTooLarge,
} from '../../services/transcription';
import { startLinePlatform } from '../../stand-ins/line-platform';
import { startLlmProvider, type LlmProviderStandIn } from '../../stand-ins/llm-provider';
import { boundaryOf, parseMultipart } from '../../stand-ins/llm-provider/multipart';

/** Voice messages (issue #14): the transcription's price and record, the catalog, the stand-in. */

const catalog = loadCatalog();
const voice = catalog.voice!;
const rates = catalog.rates; // 150 ¥/$, 1 pt/¥

describe('transcription usage record', () => {
  it('bills whole seconds rounded up, then rounds points up like every record', () => {
    // 8 s × $0.0001 = $0.0008 → 0.12 ¥ → 1 pt
    const r = priceTranscription({ voice, rates, seconds: 7.2 });
    expect(r).toMatchObject({
      ioType: 'transcription',
      model: 'whisper-1',
      audioSeconds: 8,
      dollarsText: '0.00080000',
      yenText: '0.12000000',
      points: 1,
      dollarPerAudioSecondText: '0.0001',
    });
    // 300 s = $0.03 = 4.5 ¥ → 5 pt; exactly 0 s → 0 pt (nothing to bill).
    expect(priceTranscription({ voice, rates, seconds: 300 }).points).toBe(5);
    expect(priceTranscription({ voice, rates, seconds: 0 }).points).toBe(0);
    // 0.1 × 3 in binary is a hair above 0.3: still exactly 3 seconds' price.
    const tenth = { ...voice, dollarPerAudioSecond: 0.1 };
    const exact = { yenPerDollar: 1, pointsPerYen: 10 };
    expect(priceTranscription({ voice: tenth, rates: exact, seconds: 3 }).points).toBe(3);
  });

  it('refuses a negative or non-finite duration and a missing model', () => {
    for (const seconds of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => priceTranscription({ voice, rates, seconds })).toThrow(BusinessError);
    expect(() => priceTranscription({ voice: { ...voice, model: '' }, rates, seconds: 1 })).toThrow(
      BusinessError,
    );
  });

  it('is a fourth record of a turn the ledger accepts, once, from the catalog model', () => {
    const chat = priceUsage({
      tier: catalog.modelTiers.search!,
      rates,
      inputTokens: 10,
      outputTokens: 10,
      searchCount: 1,
    }).records;
    const heard = priceTranscription({ voice, rates, seconds: 5 });
    const checked = requireRecords([...chat, heard], knownModelsOf(catalog));
    expect(checked.at(-1)).toMatchObject({
      ioType: 'transcription',
      audioSeconds: 5,
      dollarPerAudioSecond: '0.0001',
      tokens: null,
      searchCount: null,
      dollarPerToken: null,
    });
    expect(checked[0]).toMatchObject({ ioType: 'in', audioSeconds: null });
    expect(() => requireRecords([heard, heard], knownModelsOf(catalog))).toThrow(/two/);
    const noVoice = { modelTiers: catalog.modelTiers };
    expect(() => requireRecords([heard], knownModelsOf(noVoice))).toThrow(BusinessError);
  });
});

describe('catalog voice', () => {
  it('must name a tier that exists for its endpoint', () => {
    const raw = JSON.parse(JSON.stringify(catalog)) as Record<string, unknown>;
    raw.voice = { ...voice, endpointTier: 'nowhere' };
    expect(() => parseCatalog(raw)).toThrow(ConfigError);
    delete raw.voice;
    expect(parseCatalog(raw).voice).toBeUndefined();
  });
});

describe('LLM stand-in /v1/audio/transcriptions, through the openai SDK', () => {
  const API_KEY = 'sk-voice-test';
  let llm: LlmProviderStandIn;
  let client: OpenAI;
  beforeAll(async () => {
    llm = await startLlmProvider({ apiKey: API_KEY });
    client = new OpenAI({ apiKey: API_KEY, baseURL: llm.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await llm?.close();
  });
  afterEach(() => llm.reset());

  const audio = (text: string) => Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from(text)]);

  it('transcribes from the marker and reports the billed duration', async () => {
    const heard = await transcribe(client, {
      model: 'whisper-1',
      audio: audio('[[transcript:こんにちは、元気？]][[seconds:4.5]]'),
      language: 'ja',
    });
    expect(heard).toEqual({
      text: 'こんにちは、元気？',
      seconds: 4.5,
      rawUsage: { type: 'duration', seconds: 4.5 },
    });
    const [rec] = llm.requests();
    expect(rec).toMatchObject({
      path: '/v1/audio/transcriptions',
      status: 200,
      model: 'whisper-1',
      body: { language: 'ja', response_format: 'json', file: { filename: 'voice.m4a' } },
      transcription: { text: 'こんにちは、元気？', seconds: 4.5 },
    });
  });

  it('answers unreadable audio, a bad format and a bad key as OpenAI does', async () => {
    const unreadable = await transcribe(client, {
      model: 'whisper-1',
      audio: audio('noise'),
    }).catch((err: unknown) => err);
    expect(unreadable).toBeInstanceOf(OpenAI.BadRequestError);
    expect(isFinalRejection(unreadable)).toBe(true);

    const wrongFormat = await client.audio.transcriptions
      .create({ model: 'whisper-1', file: await toFile(audio('[[transcript:x]]'), 'voice.txt') })
      .catch((err: unknown) => err);
    expect((wrongFormat as Error).message).toMatch(/Invalid file format/);

    const stranger = new OpenAI({ apiKey: 'sk-wrong', baseURL: llm.baseURL, maxRetries: 0 });
    const denied = await transcribe(stranger, {
      model: 'whisper-1',
      audio: audio('[[transcript:x]]'),
    }).catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);

    const busy = await transcribe(client, {
      model: 'whisper-1',
      audio: audio('[[fail:503]]'),
    }).catch((err: unknown) => err);
    expect((busy as { status?: number }).status).toBe(503);
    expect(isFinalRejection(busy)).toBe(false);
  });

  it('parses multipart bodies and refuses malformed ones', () => {
    const boundary = boundaryOf('multipart/form-data; boundary=XyZ');
    expect(boundary).toBe('XyZ');
    const body = Buffer.from(
      '--XyZ\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.m4a"\r\n' +
        'Content-Type: audio/x-m4a\r\n\r\n\u0000bytes\r\n--XyZ--\r\n',
    );
    expect(parseMultipart(body, 'XyZ')).toEqual([
      { name: 'model', data: Buffer.from('whisper-1') },
      {
        name: 'file',
        filename: 'a.m4a',
        contentType: 'audio/x-m4a',
        data: Buffer.from('\u0000bytes'),
      },
    ]);
    expect(parseMultipart(Buffer.from('--XyZ\r\nno headers end'), 'XyZ')).toBeNull();
    expect(boundaryOf('application/json')).toBeNull();
  });
});

describe('a voice message read from LINE (stand-in, @line/bot-sdk blob client)', () => {
  it('downloads the recording by message ID, refusing a missing one and one over the limit', async () => {
    const token = 'voice-test-token';
    const line = await startLinePlatform({ channelAccessToken: token });
    try {
      const blob = new messagingApi.MessagingApiBlobClient({
        channelAccessToken: token,
        baseURL: line.dataUrl,
      });
      const recording = Buffer.concat([Buffer.alloc(100, 7), Buffer.from('[[transcript:はい]]')]);
      line.putContent('5550001', recording, 'audio/x-m4a');
      expect(await downloadVoice(blob, '5550001', 1024)).toEqual(recording);
      await expect(downloadVoice(blob, '5550001', 50)).rejects.toBeInstanceOf(VoiceTooLarge);
      const missing = await downloadVoice(blob, '5550002', 1024).catch((err: unknown) => err);
      expect((missing as { status?: number }).status).toBe(404);
      expect(isFinalRejection(missing)).toBe(true);
      const stranger = new messagingApi.MessagingApiBlobClient({
        channelAccessToken: 'wrong',
        baseURL: line.dataUrl,
      });
      const denied = await downloadVoice(stranger, '5550001', 1024).catch((err: unknown) => err);
      expect((denied as { status?: number }).status).toBe(401);
    } finally {
      await line.close();
    }
  });
});
