import { randomUUID } from 'node:crypto';
import { createStampObjects } from '../../services/stamp-objects';
import { loadConfig } from '../../config';
import { createPublicS3, createS3 } from '../../lib/s3';

/**
 * Presigned sticker URLs for S3_PUBLIC_ENDPOINT: the worker talks to the store by its internal
 * address, users and LINE fetch by the public one. A presigned URL is signed for its host, so
 * it must be made for the public one, and the store must accept it there. Against the real
 * MinIO of the test stack, reached as `localhost` (public) and 127.0.0.1 (internal).
 */

const config = loadConfig(process.env);
const internal = new URL(config.env.S3_ENDPOINT as string);
const publicEndpoint = `http://localhost:${internal.port}`;

it('signs URLs for the public host, which the store then serves', async () => {
  const s3 = createS3(config.env);
  const presigner = createPublicS3({ ...config.env, S3_PUBLIC_ENDPOINT: publicEndpoint });
  expect(presigner).not.toBeNull();
  const objects = createStampObjects(s3, config.env.S3_BUCKET, presigner);
  const key = `test/public-endpoint/${randomUUID()}.png`;
  const body = Buffer.from('sticker bytes');
  try {
    await objects.put(key, body, 'image/png');
    const url = new URL(await objects.presign(key, 60));
    expect(url.host).toBe(`localhost:${internal.port}`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  } finally {
    await objects.delete(key);
    s3.destroy();
    presigner?.destroy();
  }
});

it('without S3_PUBLIC_ENDPOINT, presigns with the normal client', () => {
  expect(createPublicS3({ ...config.env, S3_PUBLIC_ENDPOINT: undefined })).toBeNull();
});
