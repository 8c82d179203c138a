import {
  baseKey,
  isUuid,
  mainKey,
  previewKey,
  refundSourceRef,
  stampJobPrefix,
  stampJobWorkflowId,
  stampPhotoExpiryWorkflowId,
  stampUploadWorkflowId,
  stickerFileName,
  stickerKey,
  tabKey,
  uploadKey,
  zipKey,
} from '../../domain/stamp-keys';

const U = '11111111-2222-4333-8444-555555555555';
const Q = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('stamp S3 key layout', () => {
  it('puts every file of a job under stamps/<userId>/<queueId>/', () => {
    const prefix = `stamps/${U}/${Q}/`;
    expect(stampJobPrefix(U, Q)).toBe(prefix);
    expect(uploadKey(U, Q, 'jpeg')).toBe(`${prefix}upload.jpg`);
    expect(uploadKey(U, Q, 'png')).toBe(`${prefix}upload.png`);
    expect(uploadKey(U, Q, 'webp')).toBe(`${prefix}upload.webp`);
    expect(baseKey(U, Q)).toBe(`${prefix}base.jpg`);
    expect(stickerKey(U, Q, 1)).toBe(`${prefix}01.png`);
    expect(stickerKey(U, Q, 40)).toBe(`${prefix}40.png`);
    expect(mainKey(U, Q)).toBe(`${prefix}main.png`);
    expect(tabKey(U, Q)).toBe(`${prefix}tab.png`);
    expect(zipKey(U, Q)).toBe(`${prefix}stickers.zip`);
    expect(previewKey(U, Q)).toBe(`${prefix}preview.jpg`);
  });

  it('normalises UUID case and refuses anything that is not a UUID (no path tricks)', () => {
    expect(stampJobPrefix(U.toUpperCase(), Q)).toBe(`stamps/${U}/${Q}/`);
    for (const bad of ['', '..', '../x', `${U}/..`, 'U1234', `${U} `]) {
      expect(() => stampJobPrefix(bad, Q)).toThrow(TypeError);
      expect(() => stampJobPrefix(U, bad)).toThrow(TypeError);
    }
    expect(isUuid(U)).toBe(true);
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });

  it('names stickers as LINE Creators Market does (01.png … 40.png)', () => {
    expect(stickerFileName(1)).toBe('01.png');
    expect(stickerFileName(9)).toBe('09.png');
    expect(stickerFileName(10)).toBe('10.png');
    for (const bad of [0, -1, 1.5, 100, Number.NaN]) {
      expect(() => stickerFileName(bad)).toThrow(RangeError);
    }
  });

  it('derives workflow IDs and the refund source ref from the queue ID', () => {
    expect(stampJobWorkflowId(Q)).toBe(`stamp-${Q}`);
    expect(stampUploadWorkflowId(Q)).toBe(`stamp-upload-${Q}`);
    // Only replayed histories still name the former expiry timer workflow.
    expect(stampPhotoExpiryWorkflowId(Q)).toBe(`stamp-expiry-${Q}`);
    expect(refundSourceRef(Q)).toBe(`refund:${Q}`);
  });
});
