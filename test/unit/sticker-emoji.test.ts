import { emojiFont, emojiRendering } from '../../lib/stickers/emoji';
import { findUnsupportedCharacters } from '../../lib/stickers/font';
import { prepareBase, renderStickerFromPrepared } from '../../lib/stickers/render';
import { checkStickerImage } from '../../lib/stickers/check';
import { photoJpeg, pixel, rgba } from './sticker-fixtures';

/** Saturated (non-grey) opaque pixels and opaque pixels in a rectangle. */
function inkAndColour(
  px: { data: Buffer; width: number },
  rect: { left: number; top: number; width: number; height: number },
): { ink: number; colour: number } {
  let ink = 0;
  let colour = 0;
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    for (let x = rect.left; x < rect.left + rect.width; x++) {
      const [r, g, b, a] = pixel(px, x, y);
      if (a < 200) continue;
      ink++;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 80) colour++;
    }
  }
  return { ink, colour };
}

describe('emoji in captions', () => {
  it('uses an explicitly named, installed colour emoji font (never tofu)', async () => {
    const font = emojiFont();
    expect(font).not.toBeNull();
    expect(font?.name).toBe('Noto Color Emoji');
    expect(await emojiRendering()).toBe('colour');
    expect(findUnsupportedCharacters('やったね🎉👍🏽❤️🇯🇵')).toEqual([]);
  });

  it('draws the emoji of a caption in colour', async () => {
    // A grey photo, black-on-white text: any saturated pixel comes from the emoji.
    const grey = await prepareBase(await photoJpeg({ width: 800, height: 600 }));
    grey.data.fill(128);
    const style = {
      look: 'bold',
      caption: 'bottom',
      textColor: '#ffffff',
      strokeColor: '#000000',
      accentColor: '#ffffff',
    } as const;
    const withEmoji = await rgba(await renderStickerFromPrepared(grey, 'ねこ🐱', { style }));
    const without = await rgba(await renderStickerFromPrepared(grey, 'ねこねこ', { style }));
    // The caption sits at the bottom; the emoji is its right part.
    const area = { left: 185, top: 160, width: 175, height: 150 };
    const a = inkAndColour(withEmoji, area);
    expect(a.colour).toBeGreaterThan(300);
    expect(inkAndColour(without, area).colour).toBe(0);
  });

  it('keeps the LINE rules with emoji', async () => {
    const prepared = await prepareBase(await photoJpeg({ width: 800, height: 600 }));
    const png = await renderStickerFromPrepared(prepared, '🎂おめでとう🎉');
    expect(await checkStickerImage(png, 'sticker')).toEqual([]);
  });
});
