import sharp from 'sharp';
import { stampJob } from '../../workflows';
import { stampJobWorkflowId } from '../../domain/stamp-keys';
import { makeLineUserId } from '../../stand-ins';
import { pngBomb } from '../unit/sticker-fixtures';
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
 * `POST /api/stamps` and `GET /api/stamps/:id` through the real API (LINE Login ID token,
 * multer, sharp) with a real stamp worker behind it. Bad input gets a clear error and leaves no
 * row, no object and every ticket where it was.
 */
describe('stamp HTTP API', () => {
  let h: StampHarness;
  let photo: Buffer;

  beforeAll(async () => {
    h = await startStampHarness('stamp-api', { api: true });
    photo = await gpsPhoto();
  });
  afterAll(async () => {
    await h.stop();
  });

  interface Upload {
    image?: { bytes: Buffer; type: string; name?: string; field?: string };
    messages?: string[];
    json?: string;
    extra?: Record<string, string>;
  }

  function form(u: Upload): FormData {
    const f = new FormData();
    if (u.image) {
      f.append(
        u.image.field ?? 'image',
        new Blob([u.image.bytes], { type: u.image.type }),
        u.image.name ?? 'photo.jpg',
      );
    }
    for (const m of u.messages ?? []) f.append('messages', m);
    if (u.json !== undefined) f.append('messages', u.json);
    for (const [k, v] of Object.entries(u.extra ?? {})) f.append(k, v);
    return f;
  }

  async function post(
    u: Upload | FormData | string,
    token?: string,
    headers: Record<string, string> = {},
  ) {
    const body = u instanceof FormData || typeof u === 'string' ? u : form(u);
    const res = await fetch(`${h.apiUrl}/api/stamps`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
  }

  async function get(id: string, token?: string) {
    const res = await fetch(`${h.apiUrl}/api/stamps/${id}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('202 → the job runs → GET shows the set with presigned URLs, to its owner only', async () => {
    const user = await createStampUser(h.db, 2);
    const token = idToken(h.config, user.lineUserId);
    const created = await post(
      { image: { bytes: photo, type: 'image/jpeg' }, messages: ['ありがとう', ' おはよう '] },
      token,
    );
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', messages: 2 });
    const jobId = String(created.body.jobId);
    expect(created.res.headers.get('location')).toBe(`/api/stamps/${jobId}`);

    const result = await h.temporal.workflow
      .getHandle<typeof stampJob>(stampJobWorkflowId(jobId))
      .result();
    expect(result).toMatchObject({ status: 'completed', stickers: 2, delivered: false });
    await expectCompleteSet(h, user.id, jobId, 2);
    expect(await availableTickets(h.db, user.id)).toBe(1);

    const status = await get(jobId, token);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      jobId,
      status: 'completed',
      source: 'http',
      failureReason: null,
      messages: [
        { order: 1, message: 'ありがとう' },
        { order: 2, message: 'おはよう' },
      ],
      exif: expect.objectContaining({ make: 'Canon', orientation: 6 }),
    });
    expect(JSON.stringify(status.body.exif)).not.toMatch(/gps|latitude|longitude/i);
    const images = status.body.images as {
      stickers: Array<{ order: number; url: string }>;
      main: string;
      zip: string;
    };
    expect(images.stickers).toHaveLength(2);
    const png = await fetch(images.stickers[0]!.url);
    expect(png.status).toBe(200);
    expect((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).format).toBe('png');
    expect((await fetch(images.zip)).status).toBe(200);

    // Anyone else: 404, exactly as for an unknown job. No token: 401.
    const other = await createStampUser(h.db, 0);
    expect((await get(jobId, idToken(h.config, other.lineUserId))).status).toBe(404);
    expect((await get(jobId, idToken(h.config, makeLineUserId()))).status).toBe(404);
    expect((await get('00000000-0000-4000-8000-000000000000', token)).status).toBe(404);
    expect((await get('../../etc', token)).status).toBe(404);
    expect((await get(jobId)).status).toBe(401);
  });

  it('accepts the messages as one JSON array field', async () => {
    const user = await createStampUser(h.db, 1);
    const token = idToken(h.config, user.lineUserId);
    const created = await post(
      { image: { bytes: photo, type: 'image/jpeg' }, json: JSON.stringify(['いち', 'に', 'さん']) },
      token,
    );
    expect(created.status).toBe(202);
    const jobId = String(created.body.jobId);
    const msgs = await h.db.lineStampGenerateQueueMessage.findMany({
      where: { lineStampGenerateQueueId: jobId },
      orderBy: { orderPriority: 'asc' },
    });
    expect(msgs.map((m) => m.message)).toEqual(['いち', 'に', 'さん']);
    await h.temporal.workflow.getHandle(stampJobWorkflowId(jobId)).result();
  });

  describe('bad input: a clear error, no ticket consumed, nothing written', () => {
    const ok = ['ありがとう'];

    const cases: Array<[string, number, string, (p: Buffer) => Upload]> = [
      [
        'not an image',
        400,
        'NOT_AN_IMAGE',
        () => ({ image: { bytes: Buffer.from('hello, world'), type: 'text/plain' }, messages: ok }),
      ],
      [
        'a corrupt (truncated) JPEG',
        400,
        'CORRUPT',
        (p) => ({ image: { bytes: p.subarray(0, 2000), type: 'image/jpeg' }, messages: ok }),
      ],
      [
        'a decompression bomb (400 megapixels in 50 KB)',
        400,
        'TOO_MANY_PIXELS',
        () => ({ image: { bytes: pngBomb(), type: 'image/png', name: 'b.png' }, messages: ok }),
      ],
      [
        'an upload over the size limit',
        413,
        'TOO_LARGE',
        () => ({
          image: { bytes: Buffer.alloc(10 * 1024 * 1024 + 1, 0xff), type: 'image/jpeg' },
          messages: ok,
        }),
      ],
      ['0 messages', 400, 'NO_MESSAGES', (p) => ({ image: { bytes: p, type: 'image/jpeg' } })],
      [
        '41 messages',
        400,
        'TOO_MANY_MESSAGES',
        (p) => ({
          image: { bytes: p, type: 'image/jpeg' },
          messages: Array.from({ length: 41 }, (_, i) => `m${i}`),
        }),
      ],
      [
        'an empty message',
        400,
        'EMPTY_MESSAGE',
        (p) => ({ image: { bytes: p, type: 'image/jpeg' }, messages: ['はい', ''] }),
      ],
      [
        'a 17-character message',
        400,
        'MESSAGE_TOO_LONG',
        (p) => ({ image: { bytes: p, type: 'image/jpeg' }, messages: ['あ'.repeat(17)] }),
      ],
      [
        'a character the font cannot draw',
        400,
        'UNSUPPORTED_CHARACTERS',
        (p) => ({ image: { bytes: p, type: 'image/jpeg' }, messages: ['やったー\uE000'] }),
      ],
      ['no image', 400, 'MISSING', () => ({ messages: ok })],
      [
        'the photo in another field',
        400,
        'LIMIT_UNEXPECTED_FILE',
        (p) => ({ image: { bytes: p, type: 'image/jpeg', field: 'photo' }, messages: ok }),
      ],
      [
        'messages that are not a JSON array of strings',
        400,
        'MALFORMED',
        (p) => ({ image: { bytes: p, type: 'image/jpeg' }, json: '[1, 2]' }),
      ],
    ];

    it.each(cases)('%s → %i %s', async (_name, status, reason, make) => {
      const user = await createStampUser(h.db, 1);
      const before = await stampFootprint(h.db, user.id);
      const res = await post(await make(photo), idToken(h.config, user.lineUserId));
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', reason });
      expect(typeof res.body.error).toBe('string');
      expect(String(res.body.error).length).toBeGreaterThan(5);
      expect(await stampFootprint(h.db, user.id)).toEqual(before);
      expect(await userObjects(h, user.id)).toEqual([]);
    });

    it('not multipart → 400; no token or a bad token → 401; unknown user → 404; no ticket → 402', async () => {
      const user = await createStampUser(h.db, 1);
      const token = idToken(h.config, user.lineUserId);
      const before = await stampFootprint(h.db, user.id);
      const good = { image: { bytes: photo, type: 'image/jpeg' }, messages: ok };

      const json = await post(JSON.stringify({ messages: ok }), token, {
        'content-type': 'application/json',
      });
      expect(json.status).toBe(400);
      expect(json.body.error).toMatch(/multipart\/form-data/);

      const anonymous = await post(good);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error_code).toBe('UNAUTHENTICATED');
      const forged = await post(good, `${token.slice(0, -4)}AAAA`);
      expect(forged.status).toBe(401);
      const expired = await post(
        good,
        idToken(h.config, user.lineUserId, { exp: Math.floor(Date.now() / 1000) - 10 }),
      );
      expect(expired.status).toBe(401);

      const stranger = makeLineUserId();
      const unknown = await post(good, idToken(h.config, stranger));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error_code).toBe('UNKNOWN_USER');
      expect(await h.db.user.findUnique({ where: { lineUserId: stranger } })).toBeNull();

      expect(await stampFootprint(h.db, user.id)).toEqual(before);
      expect(await userObjects(h, user.id)).toEqual([]);

      const poor = await createStampUser(h.db, 0);
      const noTicket = await post(good, idToken(h.config, poor.lineUserId));
      expect(noTicket.status).toBe(402);
      expect(noTicket.body).toMatchObject({ error_code: 'NO_TICKET' });
      expect(noTicket.body.products).toEqual(
        expect.arrayContaining([expect.objectContaining({ productId: 'tickets_1' })]),
      );
      expect(await stampFootprint(h.db, poor.id)).toMatchObject({ queues: 0, messages: 0 });
      expect(await userObjects(h, poor.id)).toEqual([]);
    });
  });
});
