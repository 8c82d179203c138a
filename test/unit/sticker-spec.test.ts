import {
  ALLOWED_SET_SIZES,
  MAX_IMAGE_BYTES,
  isAllowedSetSize,
  smallestSetSizeFor,
  validateStickerPng,
  type StickerImageMeta,
} from '../../domain/sticker-spec';

const ok: StickerImageMeta = {
  width: 370,
  height: 320,
  format: 'png',
  channels: 4,
  hasAlpha: true,
  bytes: 120_000,
};

const codes = (meta: StickerImageMeta, kind: 'sticker' | 'main' | 'tab' = 'sticker'): string[] =>
  validateStickerPng(meta, kind).map((v) => v.code);

describe('validateStickerPng', () => {
  it('accepts a conforming sticker, main and tab image', () => {
    expect(validateStickerPng(ok, 'sticker')).toEqual([]);
    expect(validateStickerPng({ ...ok, width: 240, height: 240 }, 'main')).toEqual([]);
    expect(validateStickerPng({ ...ok, width: 96, height: 74 }, 'tab')).toEqual([]);
    // Stickers may be smaller than the maximum, as long as the sides stay even.
    expect(validateStickerPng({ ...ok, width: 300, height: 200 }, 'sticker')).toEqual([]);
  });

  it('reports each broken rule', () => {
    expect(codes({ ...ok, format: 'jpeg' })).toEqual(['FORMAT']);
    expect(codes({ ...ok, channels: 3, hasAlpha: false })).toEqual(['CHANNELS', 'NO_ALPHA']);
    expect(codes({ ...ok, channels: 2 })).toEqual(['CHANNELS']);
    expect(codes({ ...ok, width: 372 })).toEqual(['SIZE']);
    expect(codes({ ...ok, height: 322 })).toEqual(['SIZE']);
    expect(codes({ ...ok, width: 369 })).toEqual(['ODD_WIDTH']);
    expect(codes({ ...ok, height: 319 })).toEqual(['ODD_HEIGHT']);
    expect(codes({ ...ok, bytes: MAX_IMAGE_BYTES + 1 })).toEqual(['TOO_LARGE']);
    expect(codes({ ...ok, bytes: 0 })).toEqual(['EMPTY']);
    expect(codes({ ...ok, density: 25.4 })).toEqual(['LOW_DPI']);
    expect(codes({ ...ok, density: 72, hasExif: true })).toEqual(['METADATA']);
  });

  it('requires the exact size for main and tab images', () => {
    expect(codes({ ...ok, width: 238, height: 240 }, 'main')).toEqual(['SIZE']);
    expect(codes({ ...ok, width: 370, height: 320 }, 'tab')).toEqual(['SIZE']);
    expect(codes({ ...ok, width: 95, height: 74 }, 'tab')).toEqual(['SIZE', 'ODD_WIDTH']);
  });
});

describe('set sizes', () => {
  it('knows the allowed set sizes', () => {
    expect(ALLOWED_SET_SIZES).toEqual([8, 16, 24, 32, 40]);
    expect(isAllowedSetSize(16)).toBe(true);
    expect(isAllowedSetSize(12)).toBe(false);
  });

  it('finds the smallest set that holds a number of stickers', () => {
    expect(smallestSetSizeFor(1)).toBe(8);
    expect(smallestSetSizeFor(8)).toBe(8);
    expect(smallestSetSizeFor(9)).toBe(16);
    expect(smallestSetSizeFor(40)).toBe(40);
    expect(smallestSetSizeFor(41)).toBeNull();
  });
});
