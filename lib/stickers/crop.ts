/**
 * Subject-aware crop: which part of the photo a sticker keeps when the photo box has another
 * aspect ratio than the photo.
 *
 * `smartcrop` (MIT, Jonas Wagner's content-aware crop: skin tone, saturation and edge detail,
 * with a rule-of-thirds weighting) picks the crop. Its sharp binding `smartcrop-sharp` pins
 * sharp ^0.32 as a peer dependency, which npm refuses next to our sharp 0.35, so the three
 * image operations smartcrop needs (open, resample, read pixels) are implemented here on the
 * already decoded photo. smartcrop analyses a copy of at most 256 px, so a crop costs a few
 * milliseconds, once per photo box of a set.
 *
 * With `minScale: 1` the crop is the largest one with the box's aspect: smartcrop only decides
 * where it sits, so as much of the photo as possible stays and the subject is not cut off.
 */

import sharp from 'sharp';
import smartcrop from 'smartcrop';

export interface CropRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A decoded photo: RGB bytes, 3 channels. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

interface SmartcropImage {
  width: number;
  height: number;
  rgb: Buffer;
}

const imageOperations = {
  open(image: RgbImage): Promise<SmartcropImage> {
    return Promise.resolve({ width: image.width, height: image.height, rgb: image.data });
  },
  async resample(image: SmartcropImage, width: number, height: number): Promise<SmartcropImage> {
    const w = Math.max(1, Math.round(width));
    const h = Math.max(1, Math.round(height));
    const data = await sharp(image.rgb, {
      raw: { width: image.width, height: image.height, channels: 3 },
    })
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer();
    return { width: w, height: h, rgb: data };
  },
  getData(
    image: SmartcropImage,
  ): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
    const n = image.width * image.height;
    const rgba = new Uint8ClampedArray(n * 4);
    for (let i = 0; i < n; i++) {
      rgba[i * 4] = image.rgb[i * 3] ?? 0;
      rgba[i * 4 + 1] = image.rgb[i * 3 + 1] ?? 0;
      rgba[i * 4 + 2] = image.rgb[i * 3 + 2] ?? 0;
      rgba[i * 4 + 3] = 255;
    }
    return Promise.resolve({ width: image.width, height: image.height, data: rgba });
  },
};

type SmartcropWithOperations = {
  crop(
    image: RgbImage,
    options: {
      width: number;
      height: number;
      minScale: number;
      edgeWeight: number;
      imageOperations: typeof imageOperations;
    },
  ): Promise<{ topCrop: { x: number; y: number; width: number; height: number } }>;
};

/**
 * The largest crop of `image` with the aspect `width`:`height`, placed on the subject. Always
 * inside the image.
 */
export async function subjectCrop(
  image: RgbImage,
  width: number,
  height: number,
): Promise<CropRect> {
  const scale = Math.min(image.width / width, image.height / height);
  const cw = Math.max(1, Math.min(image.width, Math.round(width * scale)));
  const ch = Math.max(1, Math.min(image.height, Math.round(height * scale)));
  if (cw === image.width && ch === image.height) {
    return { left: 0, top: 0, width: cw, height: ch };
  }
  const { topCrop } = await (smartcrop as unknown as SmartcropWithOperations).crop(image, {
    width,
    height,
    minScale: 1,
    // smartcrop lowers the weight of detail near a crop's edge (edgeWeight -20) so subjects end
    // up away from it; for a subject hard against the photo's edge (a cat at the right of a
    // wide shot) that made every crop containing it score below an empty one. Neutral edges
    // keep "is the subject in frame" first; rule of thirds still positions it.
    edgeWeight: 0,
    imageOperations,
  });
  // Keep the exact largest size; take only the position from smartcrop, clamped inside.
  const cx = topCrop.x + topCrop.width / 2;
  const cy = topCrop.y + topCrop.height / 2;
  const left = Math.round(Math.min(Math.max(0, cx - cw / 2), image.width - cw));
  const top = Math.round(Math.min(Math.max(0, cy - ch / 2), image.height - ch));
  return { left, top, width: cw, height: ch };
}
