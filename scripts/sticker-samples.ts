/**
 * Writes a sample preview sheet per sticker look to docs/stickers/<look>.png, made by the
 * renderer itself (`renderPreviewSheet`), for the README.
 *
 *   npm run stickers:samples
 *
 * The photo is drawn here (an SVG cat off to the right of a wide picture), so the samples also
 * show the subject-aware crop keeping it in frame.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { STICKER_LOOKS, parseStickerStyle } from '../domain/sticker-style';
import { prepareBase } from '../lib/stickers/render';
import { renderPreviewSheet } from '../lib/stickers/preview';

const OUT_DIR = path.join(__dirname, '..', 'docs', 'stickers');
const TEXTS = ['おつかれさま！', 'ありがとうございます', 'おやすみなさい', 'やったね🎉'];

function samplePhotoSvg(): string {
  const ear = (points: string): string => `<polygon points="${points}" fill="#f29d38"/>`;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900">' +
    '<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">' +
    '<stop offset="0" stop-color="#8ecdf2"/><stop offset="1" stop-color="#fbe7bd"/>' +
    '</linearGradient></defs>' +
    '<rect width="1600" height="900" fill="url(#sky)"/>' +
    '<rect y="700" width="1600" height="200" fill="#9bd18b"/>' +
    ear('1020,330 1060,170 1150,290') +
    ear('1250,290 1340,170 1380,330') +
    '<ellipse cx="1200" cy="470" rx="220" ry="190" fill="#f29d38"/>' +
    '<ellipse cx="1200" cy="540" rx="90" ry="60" fill="#fff3e0"/>' +
    '<circle cx="1125" cy="440" r="24" fill="#2b2b2b"/><circle cx="1275" cy="440" r="24" fill="#2b2b2b"/>' +
    '<circle cx="1133" cy="432" r="7" fill="#ffffff"/><circle cx="1283" cy="432" r="7" fill="#ffffff"/>' +
    '<ellipse cx="1200" cy="505" rx="16" ry="11" fill="#e35d6a"/>' +
    '</svg>'
  );
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const photo = await sharp(Buffer.from(samplePhotoSvg())).jpeg({ quality: 90 }).toBuffer();
  const prepared = await prepareBase(photo);
  for (const look of STICKER_LOOKS) {
    const sheet = await renderPreviewSheet(parseStickerStyle({ look }), prepared, TEXTS);
    const file = path.join(OUT_DIR, `${look}.png`);
    writeFileSync(file, await sharp(sheet).png({ compressionLevel: 9, palette: true }).toBuffer());
    process.stdout.write(`written ${path.relative(process.cwd(), file)}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
