import * as exifr from 'exifr';
import sharp from 'sharp';
import { exifDateToIso, readSafeExif } from '../../lib/stickers/exif';
import { photoJpeg } from './sticker-fixtures';

describe('readSafeExif', () => {
  let photo: Buffer;

  beforeAll(async () => {
    photo = await photoJpeg({ width: 80, height: 40, orientation: 6, withCameraExif: true });
  });

  it('the fixture really carries GPS (so the next test means something)', async () => {
    const gps = await exifr.gps(photo);
    expect(gps.latitude).toBeCloseTo(35.6896, 3);
    expect(gps.longitude).toBeCloseTo(139.6918, 3);
    const all = (await exifr.parse(photo, true)) as Record<string, unknown>;
    expect(all).toHaveProperty('GPSLatitude');
    expect(all).toHaveProperty('Software');
  });

  it('keeps camera, date, orientation and size, and nothing else', async () => {
    const safe = await readSafeExif(photo);
    expect(safe).toEqual({
      make: 'Canon',
      model: 'Canon EOS R5',
      dateTimeOriginal: '2024-05-01T12:34:56+09:00',
      orientation: 6,
      width: 80,
      height: 40,
    });
    const json = JSON.stringify(safe);
    expect(json).not.toMatch(/gps|latitude|longitude|35\.6|139\.6|secret-editor/i);
  });

  it('returns {} for an image without EXIF', async () => {
    const png = await sharp({
      create: { width: 8, height: 8, channels: 3, background: '#123456' },
    })
      .png()
      .toBuffer();
    await expect(readSafeExif(png)).resolves.toEqual({});
    // sharp strips metadata on re-encode unless told otherwise
    const stripped = await sharp(photo).jpeg().toBuffer();
    await expect(readSafeExif(stripped)).resolves.toEqual({});
  });

  it('returns null, without throwing, for corrupt EXIF or a non-image', async () => {
    // Replace the TIFF header inside the APP1 segment with garbage.
    const broken = Buffer.from(photo);
    const at = broken.indexOf('Exif\0\0', 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    broken.write('XXXXXXXX', at + 6, 'latin1');
    const result = await readSafeExif(broken);
    expect(result === null || Object.keys(result).length === 0).toBe(true);
    await expect(readSafeExif(Buffer.from('definitely not an image'))).resolves.toBeNull();
    await expect(readSafeExif(Buffer.alloc(0))).resolves.toBeNull();
  });

  it('formats EXIF dates as ISO 8601 and rejects malformed ones', () => {
    expect(exifDateToIso('2023:12:31 23:59:59')).toBe('2023-12-31T23:59:59');
    expect(exifDateToIso('2023:12:31 23:59:59', '-05:00')).toBe('2023-12-31T23:59:59-05:00');
    expect(exifDateToIso('2023:12:31 23:59:59', 'garbage')).toBe('2023-12-31T23:59:59');
    expect(exifDateToIso('0000:00:00 00:00:00')).toBeUndefined();
    expect(exifDateToIso('yesterday')).toBeUndefined();
    expect(exifDateToIso(12345)).toBeUndefined();
  });
});
