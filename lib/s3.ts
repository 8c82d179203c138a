import {
  CreateBucketCommand,
  HeadBucketCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { Env } from '../config/env';

export function createS3(
  env: Pick<Env, 'S3_ENDPOINT' | 'S3_REGION' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY'>,
): S3Client {
  const config: S3ClientConfig = { region: env.S3_REGION };
  if (env.S3_ENDPOINT) {
    // MinIO and other S3-compatible servers serve buckets as paths, not subdomains.
    config.endpoint = env.S3_ENDPOINT;
    config.forcePathStyle = true;
  }
  if (env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    };
  }
  return new S3Client(config);
}

/**
 * A client for presigning only, for S3_PUBLIC_ENDPOINT (null when unset: presign with the
 * normal client). A presigned URL's signature covers its host, so it must be made for the
 * host that will be asked.
 */
export function createPublicS3(
  env: Pick<
    Env,
    'S3_PUBLIC_ENDPOINT' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY'
  >,
): S3Client | null {
  if (!env.S3_PUBLIC_ENDPOINT) return null;
  return createS3({ ...env, S3_ENDPOINT: env.S3_PUBLIC_ENDPOINT });
}

export async function checkBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new HeadBucketCommand({ Bucket: bucket }));
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await checkBucket(s3, bucket);
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
  }
}
