import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { chooseTurnTier } from '../../activities/chat-vision';
import { DEFAULT_CATALOG_FILE, loadCatalog, parseCatalog } from '../../config/catalog';
import {
  IMAGE_QUESTION_PROMPT,
  IMAGE_QUESTION_TEXT,
  isImageQuestionRequest,
  VISION_IMAGE_TOKEN_ESTIMATE,
} from '../../domain/image-question';
import { visionNotInPlanMessage, visionOffers } from '../../domain/line-ui/vision';
import { photoAcceptedMessage, styleQuickReply } from '../../domain/stamp-style-choice';
import {
  acceptsImages,
  imageSize,
  imageTokens,
  inspectImages,
} from '../../stand-ins/llm-provider/images';
import { lineMessagesErrors } from '../support/line-openapi';
import { PHOTO_QUICK_REPLY_LABELS } from '../support/photo-reply';

/** A question about a photo (issue #14): the parser, the catalog's vision tiers, the messages. */

const catalog = loadCatalog();
const raw = () => JSON.parse(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));

describe('isImageQuestionRequest', () => {
  it.each([
    IMAGE_QUESTION_TEXT,
    ' この画像について質問 ',
    'この画像について質問する',
    'この画像について質問。',
    '画像について質問！',
    'この写真について質問',
    'Ask about this image',
    'ＡＳＫ ＡＢＯＵＴ ＴＨＩＳ ＰＨＯＴＯ',
  ])('%j asks about the photo', (text) => {
    expect(isImageQuestionRequest(text)).toBe(true);
  });

  it.each([
    'この画像について質問\nありがとう',
    'この画像は何？',
    '質問',
    'スタイル:ふきだし',
    'キャンセル',
    '',
  ])('%j does not', (text) => {
    expect(isImageQuestionRequest(text)).toBe(false);
  });
});

describe('the photo acknowledgement and the prompt', () => {
  it('offers the looks and the question as quick replies LINE accepts, and says both', () => {
    const ack = photoAcceptedMessage('写真を受け取りました！');
    expect(lineMessagesErrors([ack])).toEqual([]);
    const actions = (ack.quickReply?.items ?? []).map(
      (i) => i.action as { type: string; label: string; text: string },
    );
    expect(actions.length).toBeLessThanOrEqual(13);
    expect(actions.map((a) => a.label)).toEqual(PHOTO_QUICK_REPLY_LABELS);
    // The button's text is what the parser recognises.
    const question = actions.find((a) => a.label === IMAGE_QUESTION_TEXT)!;
    expect(question.type).toBe('message');
    expect(isImageQuestionRequest(question.text)).toBe(true);
    expect(ack.text).toContain('スタイル');
    expect(ack.text).toContain('この画像について質問');
    // The look buttons alone stay as they were.
    expect((styleQuickReply().items ?? []).map((i) => i.action?.label)).not.toContain(
      IMAGE_QUESTION_TEXT,
    );
    expect(IMAGE_QUESTION_PROMPT).toContain('この画像について知りたいことを送ってください');
  });
});

describe('catalog: vision tiers by plan', () => {
  it('ships vision in basic and above, on a tier that accepts images', () => {
    for (const plan of ['basic', 'premium', 'enterprise']) {
      const tier = catalog.plans[plan]!.visionTier!;
      expect(catalog.modelTiers[tier]?.vision).toBe(true);
    }
    expect(catalog.plans[catalog.defaultPlan]?.visionTier).toBeUndefined();
  });

  it('rejects a vision tier that does not accept images, or unknown', () => {
    const noVision = raw();
    noVision.plans.basic.visionTier = 'mid';
    expect(() => parseCatalog(noVision)).toThrow(
      'plans.basic.visionTier: "mid" is not a model tier with vision: true',
    );
    const unknown = raw();
    unknown.plans.basic.visionTier = 'nope';
    expect(() => parseCatalog(unknown)).toThrow('plans.basic.visionTier');
    const notBoolean = raw();
    notBoolean.modelTiers.frontier.vision = 'yes';
    expect(() => parseCatalog(notBoolean)).toThrow('modelTiers.frontier.vision');
  });

  it('chooses the vision tier, falls back only to a tier that sees images, holds the image', () => {
    const basic = catalog.plans.basic!;
    const choice = chooseTurnTier(catalog, basic, { search: false, vision: true });
    expect(choice).toMatchObject({ kind: 'tier', tierId: basic.visionTier });
    // frontier falls back to mid for text, which cannot see the photo.
    expect(catalog.modelTiers[basic.visionTier!]!.fallbackTier).toBe('mid');
    expect(choice.kind === 'tier' && choice.fallbackTierId).toBeFalsy();
    expect(choice.kind === 'tier' && choice.extraInputTokens).toBe(VISION_IMAGE_TOKEN_ESTIMATE);
    const text = chooseTurnTier(catalog, basic, { search: false, vision: false });
    expect(text).toMatchObject({ kind: 'tier', tierId: 'mid', fallbackTierId: 'small' });
    expect(
      chooseTurnTier(catalog, catalog.plans.free!, { search: false, vision: true }),
    ).toMatchObject({ kind: 'refused', feature: 'vision' });
  });
});

describe('the refusal of a plan without vision', () => {
  it('names the plan and offers the subscriptions whose plan has vision, as buy postbacks', () => {
    const offers = visionOffers(catalog);
    expect(offers.length).toBeGreaterThan(0);
    const message = visionNotInPlanMessage(catalog, catalog.plans.free!);
    expect(lineMessagesErrors([message])).toEqual([]);
    expect(message.text).toContain('フリー');
    const postbacks = (message.quickReply?.items ?? [])
      .map((i) => i.action)
      .filter((a) => a?.type === 'postback');
    expect(postbacks).toHaveLength(offers.length);
  });
});

describe('the LLM stand-in: image parts', () => {
  const part = (url: string, detail?: string) => ({
    role: 'user',
    content: [
      { type: 'text', text: 'これは何？' },
      { type: 'image_url', image_url: { url, ...(detail ? { detail } : {}) } },
    ],
  });
  const dataUrl = (bytes: Buffer, mime = 'image/jpeg') =>
    `data:${mime};base64,${bytes.toString('base64')}`;
  const solid = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#808080' } });

  it('takes images only for models with vision, the catalog tiers as marked', () => {
    for (const tier of Object.values(catalog.modelTiers))
      expect(acceptsImages(tier.model)).toBe(tier.vision === true);
    expect(acceptsImages('gpt-4.1-mini')).toBe(true);
    expect(acceptsImages('o4-mini')).toBe(true);
  });

  it("counts tokens by OpenAI's rule", () => {
    expect(imageTokens(1024, 768, 'low')).toBe(85);
    expect(imageTokens(1024, 768, 'high')).toBe(765);
    expect(imageTokens(1024, 1024, 'auto')).toBe(765);
    expect(imageTokens(2048, 4096, 'high')).toBe(1105);
    expect(imageTokens(512, 512, 'high')).toBe(255);
  });

  it('reads JPEG and PNG sizes, refuses anything else or a cut-off file', async () => {
    const jpeg = await solid(300, 200).jpeg().toBuffer();
    const png = await solid(64, 48).png().toBuffer();
    expect(imageSize(jpeg)).toEqual({ format: 'jpeg', width: 300, height: 200 });
    expect(imageSize(png)).toEqual({ format: 'png', width: 64, height: 48 });
    expect(imageSize(jpeg.subarray(0, jpeg.length - 10))).toBeNull();
    expect(imageSize(Buffer.from('not an image'))).toBeNull();
    expect(imageSize(await solid(10, 10).webp().toBuffer())).toBeNull();
  });

  it('accepts a real image part and refuses malformed ones with a 400', async () => {
    const jpeg = await solid(1024, 768).jpeg().toBuffer();
    expect(inspectImages([part(dataUrl(jpeg))])).toEqual({
      images: [
        {
          format: 'jpeg',
          width: 1024,
          height: 768,
          bytes: jpeg.length,
          detail: 'auto',
          tokens: 765,
        },
      ],
    });
    const bad = [
      [part(dataUrl(Buffer.from('garbage'))), 'invalid_image_format'],
      [part('data:text/plain;base64,aGVsbG8='), 'invalid_image_url'],
      [part('https://example.com/cat.jpg'), 'invalid_image_url'],
      [part(dataUrl(jpeg), 'ultra'), 'invalid_value'],
      [
        { role: 'user', content: [{ type: 'image_url', image_url: {} }] },
        'missing_required_parameter',
      ],
      [
        { role: 'system', content: [{ type: 'image_url', image_url: { url: dataUrl(jpeg) } }] },
        'invalid_value',
      ],
      [{ role: 'user', content: [{ type: 'text', text: 5 }] }, 'invalid_type'],
    ] as const;
    for (const [message, code] of bad)
      expect(inspectImages([message])).toMatchObject({ status: 400, code });
  });
});
