/**
 * The picture layers of a sticker: the photo cut to the look's shape (rounded card, circle or
 * full bleed) on its outline, cached per shape on the prepared photo, and the speech bubble.
 */

import sharp from 'sharp';
import type { CanvasSpec } from '../../domain/sticker-layout';
import type { BubbleShape, PhotoShape } from '../../domain/sticker-style-layout';
import { subjectCrop } from './crop';
import type { Layer } from './pixels';

/** The decoded photo and its layer cache (`PreparedBase` in `./render.ts`). */
export interface PhotoSource {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly layers: Map<string, Promise<Layer>>;
}

function roundedRectSvg(
  width: number,
  height: number,
  radius: number,
  fill: string,
  hairline: boolean,
): Buffer {
  const r = Math.min(radius, width / 2, height / 2);
  const stroke = hairline ? ' stroke="#000000" stroke-opacity="0.14" stroke-width="1"' : '';
  const inset = hairline ? 0.5 : 0;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect x="${inset}" y="${inset}" width="${width - 2 * inset}" height="${height - 2 * inset}"` +
      ` rx="${r}" ry="${r}" fill="${fill}"${stroke}/></svg>`,
  );
}

function circleSvg(size: number, fill: string, hairline: boolean): Buffer {
  const r = size / 2;
  const stroke = hairline ? ' stroke="#000000" stroke-opacity="0.14" stroke-width="1"' : '';
  const rr = hairline ? r - 0.5 : r;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">` +
      `<circle cx="${r}" cy="${r}" r="${rr}" fill="${fill}"${stroke}/></svg>`,
  );
}

function shapeSvg(
  shape: PhotoShape,
  width: number,
  height: number,
  radius: number,
  fill: string,
  hairline: boolean,
): Buffer {
  return shape.shape === 'circle'
    ? circleSvg(width, fill, hairline)
    : roundedRectSvg(width, height, radius, fill, hairline);
}

/** The photo cropped on its subject to the shape, on an outline of `accent` when it has one. */
async function buildPhotoLayer(
  prepared: PhotoSource,
  shape: PhotoShape,
  accent: string,
): Promise<Layer> {
  const innerW = Math.max(1, shape.width - 2 * shape.border);
  const innerH = Math.max(1, shape.height - 2 * shape.border);
  const innerR = Math.max(0, shape.radius - shape.border);
  const crop = await subjectCrop(prepared, innerW, innerH);
  const photo = await sharp(prepared.data, {
    raw: { width: prepared.width, height: prepared.height, channels: prepared.channels },
  })
    .extract(crop)
    .resize(innerW, innerH, { fit: 'fill' })
    .ensureAlpha()
    .composite([
      { input: shapeSvg(shape, innerW, innerH, innerR, '#ffffff', false), blend: 'dest-in' },
    ])
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (shape.border === 0) {
    return { data: photo.data, width: photo.info.width, height: photo.info.height };
  }
  const { data, info } = await sharp(
    shapeSvg(shape, shape.width, shape.height, shape.radius, accent, true),
  )
    .composite([
      {
        input: photo.data,
        raw: { width: photo.info.width, height: photo.info.height, channels: 4 },
        left: shape.border,
        top: shape.border,
      },
    ])
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function photoLayer(
  prepared: PhotoSource,
  shape: PhotoShape,
  accent: string,
): Promise<Layer> {
  const key = `${shape.shape}${shape.width}x${shape.height}r${shape.radius}b${shape.border}${accent}`;
  let layer = prepared.layers.get(key);
  if (!layer) {
    layer = buildPhotoLayer(prepared, shape, accent);
    prepared.layers.set(key, layer);
    layer.catch(() => prepared.layers.delete(key));
  }
  return layer;
}

/** The speech bubble (fill `accent`, dark outline) with its tail, as an RGBA layer. */
export async function bubbleLayer(
  bubble: BubbleShape,
  accent: string,
  canvas: CanvasSpec,
): Promise<Layer> {
  const { left, top, width, height, radius, tailX, tailHeight } = bubble;
  const baseY = bubble.tail === 'up' ? top : top + height;
  const tipY = bubble.tail === 'up' ? top - tailHeight : top + height + tailHeight;
  const tail = `M ${tailX - 12} ${baseY} L ${tailX - 4} ${tipY} L ${tailX + 14} ${baseY} Z`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}">` +
    `<g stroke="#222222" stroke-width="3" stroke-linejoin="round">` +
    `<path d="${tail}" fill="${accent}"/>` +
    `<rect x="${left + 1.5}" y="${top + 1.5}" width="${width - 3}" height="${height - 3}" rx="${radius}" fill="${accent}"/>` +
    `</g><path d="${tail}" fill="${accent}" transform="translate(0 ${bubble.tail === 'up' ? 3 : -3})"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
