import sharp from 'sharp';
import { baseKey, stampJobWorkflowId, stickerKey } from '../../domain/stamp-keys';
import { prepareBase, renderStickerFromPrepared } from '../../lib/stickers/render';
import { checkStickerImage } from '../../lib/stickers/stamp-set';
import { stampJob } from '../../workflows';
import {
  availableTickets,
  createStampUser,
  expectCompleteSet,
  gpsPhoto,
  idToken,
  stampFootprint,
  startStampHarness,
  userObjects,
  type StampHarness,
} from './stamp-fixtures';

/**
 * Issue #15 through the real API and a real stamp worker (Temporal, PostgreSQL, MinIO, the LINE
 * stand-in): a job is drawn in the style it was asked for, a Creators Market set of the wrong
 * size is refused before anything is stored, each sticker comes back as an image message (at
 * most 5 per LINE request), and the style preview spends nothing and stores nothing.
 */
describe('stamp styles, set modes, sticker images and the preview', () => {
  let h: StampHarness;
  let photo: Buffer;

  beforeAll(async () => {
    h = await startStampHarness('stamp-styles', { api: true });
    photo = await gpsPhoto();
  });
  afterAll(async () => {
    await h.stop();
  });

  function form(fields: Record<string, string>, messages: string[], image = true): FormData {
    const f = new FormData();
    if (image) f.append('image', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    for (const m of messages) f.append('messages', m);
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  }

  async function post(path: string, token: string, body: FormData) {
    return fetch(`${h.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body,
    });
  }

  const six = ['おはよう', 'ありがとう', 'おつかれさま', 'おやすみ', 'OK!', 'またね'];

  it('a bubble-style personal set of 6 is drawn in that style and passes the LINE rules', async () => {
    const user = await createStampUser(h.db, 1);
    const res = await post(
      '/api/stamps',
      idToken(h.config, user.lineUserId),
      form({ style: 'bubble', mode: 'personal' }, six),
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ messages: 6, mode: 'personal', style: { look: 'bubble' } });
    const jobId = String(body.jobId);
    const result = await h.temporal.workflow
      .getHandle<typeof stampJob>(stampJobWorkflowId(jobId))
      .result();
    expect(result).toMatchObject({ status: 'completed', stickers: 6 });

    const row = await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: jobId } });
    expect(row.setMode).toBe('personal');
    expect(row.style).toMatchObject({ look: 'bubble', caption: 'bottom' });
    await expectCompleteSet(h, user.id, jobId, 6);

    // The same photo and caption as a card differ from what the job stored.
    const base = await h.objects.get(baseKey(user.id, jobId));
    const stored = await h.objects.get(stickerKey(user.id, jobId, 1));
    const card = await renderStickerFromPrepared(await prepareBase(base!), six[0]!);
    expect(await checkStickerImage(stored!, 'sticker')).toEqual([]);
    const [a, b] = await Promise.all(
      [stored!, card].map((png) => sharp(png).ensureAlpha().raw().toBuffer()),
    );
    let differing = 0;
    for (let i = 0; i < a!.length; i += 4) if (a![i + 3] !== b![i + 3]) differing++;
    // A different shape, not noise: thousands of pixels change their transparency.
    expect(differing).toBeGreaterThan(2000);
  });

  it('Creators Market mode refuses 6 texts, saying 2 more are needed; nothing stored or spent', async () => {
    const user = await createStampUser(h.db, 1);
    const before = await stampFootprint(h.db, user.id);
    const res = await post(
      '/api/stamps',
      idToken(h.config, user.lineUserId),
      form({ mode: 'creators', style: 'bold' }, six),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error_code: 'INVALID_INPUT',
      reason: 'NOT_A_SET_SIZE',
      mode: 'creators',
      count: 6,
      missing: 2,
      nextSize: 8,
    });
    expect(String(body.error)).toContain('あと2個');
    expect(await stampFootprint(h.db, user.id)).toEqual(before);
    expect(await userObjects(h, user.id)).toEqual([]);
    expect(await availableTickets(h.db, user.id)).toBe(1);
  });

  it.each([
    ['an unknown look', { style: 'sparkly' }, 'INVALID_STYLE'],
    ['a style that is not JSON', { style: '{"look":' }, 'INVALID_STYLE'],
    ['a bad colour', { style: '{"look":"card","textColor":"red"}' }, 'INVALID_STYLE'],
    ['an unknown style field', { style: '{"look":"card","font":"x"}' }, 'INVALID_STYLE'],
    ['an unknown mode', { mode: 'business' }, 'INVALID_MODE'],
  ])('%s → 400 (%j), nothing stored', async (_name, fields, reason) => {
    const user = await createStampUser(h.db, 1);
    const before = await stampFootprint(h.db, user.id);
    const res = await post('/api/stamps', idToken(h.config, user.lineUserId), form(fields, six));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 'INVALID_INPUT', reason });
    expect(await stampFootprint(h.db, user.id)).toEqual(before);
    expect(await userObjects(h, user.id)).toEqual([]);
  });

  it('sends 7 stickers back as image messages, 5 then 2 per LINE request', async () => {
    const user = await createStampUser(h.db, 1);
    const seven = [...six, 'よろしく'];
    const res = await post(
      '/api/stamps',
      idToken(h.config, user.lineUserId),
      form({ deliver: 'line', style: 'circle' }, seven),
    );
    expect(res.status).toBe(202);
    const jobId = String(((await res.json()) as Record<string, unknown>).jobId);
    const result = await h.temporal.workflow
      .getHandle<typeof stampJob>(stampJobWorkflowId(jobId))
      .result();
    expect(result).toMatchObject({ status: 'completed', stickers: 7, delivered: true });

    const pushes = h.line.received({ userId: user.lineUserId, kind: 'push' });
    expect(pushes.map((p) => p.messages!.map((m) => m.type))).toEqual([
      ['text', 'image', 'image'],
      ['image', 'image', 'image', 'image', 'image'],
      ['image', 'image'],
    ]);
    const stickerUrls = pushes
      .slice(1)
      .flatMap((p) => p.messages!.map((m) => m.originalContentUrl));
    expect(stickerUrls.map((u) => new URL(String(u)).pathname)).toEqual(
      seven.map((_, i) => expect.stringContaining(stickerKey(user.id, jobId, i + 1))),
    );
    // The presigned link serves the sticker itself.
    const sticker = await fetch(String(stickerUrls[6]));
    expect(sticker.status).toBe(200);
    const png = Buffer.from(await sticker.arrayBuffer());
    expect(await checkStickerImage(png, 'sticker')).toEqual([]);
  });

  it('the preview is a JPEG of the chosen style; no ticket spent, nothing stored', async () => {
    const user = await createStampUser(h.db, 1);
    const token = idToken(h.config, user.lineUserId);
    const before = await stampFootprint(h.db, user.id);

    const res = await post(
      '/api/stamps/preview',
      token,
      form({ style: '{"look":"bold","caption":"top"}' }, ['やったね', 'ありがとう']),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/jpeg/);
    const sheet = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(370);

    // No texts: the sample captions.
    const samples = await post('/api/stamps/preview', token, form({ style: 'circle' }, []));
    expect(samples.status).toBe(200);
    expect((await sharp(Buffer.from(await samples.arrayBuffer())).metadata()).format).toBe('jpeg');

    const five = await post('/api/stamps/preview', token, form({}, six.slice(0, 5)));
    expect(five.status).toBe(400);
    expect(await five.json()).toMatchObject({ reason: 'TOO_MANY_MESSAGES' });
    const noPhoto = await post('/api/stamps/preview', token, form({}, ['はい'], false));
    expect(noPhoto.status).toBe(400);
    const anonymous = await fetch(`${h.apiUrl}/api/stamps/preview`, {
      method: 'POST',
      body: form({}, ['はい']),
    });
    expect(anonymous.status).toBe(401);

    expect(await stampFootprint(h.db, user.id)).toEqual(before);
    expect(await userObjects(h, user.id)).toEqual([]);
    expect(await availableTickets(h.db, user.id)).toBe(1);
  });
});
