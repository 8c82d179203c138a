import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Db } from '../lib/db';

export interface SelfCheckDeps {
  db: Db;
  s3: S3Client;
  bucket: string;
}

/**
 * Activities of the stack self-check: one database effect and one S3 effect, each idempotent
 * by the check ID, so a retried or replayed activity never doubles its effect. The `writes`
 * counter makes a second physical execution visible instead of silently absorbed.
 */
export function createSelfCheckActivities({ db, s3, bucket }: SelfCheckDeps) {
  return {
    async recordSelfCheck(checkId: string): Promise<{ writes: number }> {
      const row = await db.systemCheck.upsert({
        where: { checkId },
        create: { checkId, note: 'stack self-check' },
        update: { writes: { increment: 1 } },
      });
      return { writes: row.writes };
    },

    async storeSelfCheckObject(checkId: string): Promise<{ key: string }> {
      const key = selfCheckObjectKey(checkId);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify({ checkId }),
          ContentType: 'application/json',
        }),
      );
      return { key };
    },
  };
}

export function selfCheckObjectKey(checkId: string): string {
  return `self-check/${checkId}.json`;
}

export type SelfCheckActivities = ReturnType<typeof createSelfCheckActivities>;
