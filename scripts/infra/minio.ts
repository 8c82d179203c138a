import {
  CreateBucketCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { InfraError } from './errors';
import type { ServiceDefinition } from './service';

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MinioOptions {
  host: string;
  port: number;
  consolePort: number;
  dataDir: string;
  s3: Omit<S3Settings, 'endpoint'>;
}

export function minioService(o: MinioOptions): ServiceDefinition {
  const endpoint = `http://${o.host}:${o.port}`;
  return {
    name: 'minio',
    label: 'MinIO',
    tool: 'minio',
    host: o.host,
    port: o.port,
    ports: { api: o.port, console: o.consolePort },
    portVariable: 'MINIO_PORT',
    args: [
      'server',
      o.dataDir,
      '--address',
      `${o.host}:${o.port}`,
      '--console-address',
      `${o.host}:${o.consolePort}`,
    ],
    env: {
      MINIO_ROOT_USER: o.s3.accessKeyId,
      MINIO_ROOT_PASSWORD: o.s3.secretAccessKey,
      MINIO_UPDATE: 'off',
    },
    async check() {
      const response = await fetch(`${endpoint}/minio/health/live`, {
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) throw new Error(`GET /minio/health/live answered ${response.status}`);
      await ensureBucket({ ...o.s3, endpoint });
    },
  };
}

/** Creates the bucket unless it exists (idempotent). Wrong credentials are final. */
export async function ensureBucket(s3: S3Settings): Promise<void> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
      return;
    } catch (error) {
      if (!(error instanceof S3ServiceException) || error.$metadata.httpStatusCode !== 404) {
        throw error;
      }
    }
    await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
  } catch (error) {
    if (error instanceof S3ServiceException) {
      if (['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(error.name)) return;
      const status = error.$metadata.httpStatusCode;
      if (
        status === 403 ||
        ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(error.name)
      ) {
        throw new InfraError(
          `The S3 server at ${s3.endpoint} rejected the credentials for bucket ${s3.bucket} ` +
            `(${error.name}). Check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (a MinIO started ` +
            `earlier keeps the root credentials it was started with until restarted).`,
        );
      }
    }
    throw error;
  } finally {
    client.destroy();
  }
}
