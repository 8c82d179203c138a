import type { messagingApi } from '@line/bot-sdk';
import type { AppConfig } from '../config';
import { mainKey, previewKey, zipKey, ZIP_FILE } from '../domain/stamp-keys';
import {
  MY_STAMPS_LIMIT,
  MY_STAMPS_LINK_SECONDS,
  myStampsMessages,
  type StampSetEntry,
} from '../domain/stamp-library';
import { storedStyle } from '../domain/stamp-options';
import type { Db } from '../lib/db';
import { createS3 } from '../lib/s3';
import { stampObjectsOf } from './stamp-deps';
import type { StampObjects } from './stamp-objects';

/**
 * 「マイスタンプ」: the user's sets read from the queue rows, each finished one checked in the
 * bucket (its ZIP may have been purged since) and given links minted now, with the public
 * endpoint (services/stamp-deps stampObjectsOf), so they work from the phone.
 */

export interface StampLibraryDeps {
  db: Pick<Db, 'user' | 'lineStampGenerateQueue'>;
  config: Pick<AppConfig, 'env'>;
  objects: Pick<StampObjects, 'exists' | 'presign'>;
}

/** Sets that are (or will be) a set: a photo still waiting, cancelled or failed is not listed. */
const LISTED = ['completed', 'queued', 'processing'] as const;

export function createStampLibrary(deps: StampLibraryDeps) {
  const { db, config, objects } = deps;
  const when = new Intl.DateTimeFormat('ja-JP', {
    timeZone: config.env.TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });

  async function listStampSets(
    lineUserId: string,
    linkSeconds = MY_STAMPS_LINK_SECONDS,
  ): Promise<StampSetEntry[]> {
    const user = await db.user.findUnique({ where: { lineUserId }, select: { id: true } });
    if (!user) return [];
    const rows = await db.lineStampGenerateQueue.findMany({
      where: { userId: user.id, status: { in: [...LISTED] } },
      orderBy: { createdAt: 'desc' },
      take: MY_STAMPS_LIMIT,
      select: {
        id: true,
        status: true,
        style: true,
        createdAt: true,
        deletedAt: true,
        _count: { select: { messages: { where: { deletedAt: null } } } },
      },
    });
    return Promise.all(
      rows.map(async (row): Promise<StampSetEntry> => {
        const common = {
          queueId: row.id,
          madeAt: when.format(row.createdAt),
          count: row._count.messages,
          look: storedStyle(row.style)?.look ?? 'card',
        };
        if (row.status !== 'completed') return { state: 'making', ...common };
        const zip = zipKey(user.id, row.id);
        if (row.deletedAt || !(await objects.exists(zip))) return { state: 'purged', ...common };
        const [zipUrl, sheetUrl, mainUrl] = await Promise.all([
          objects.presign(zip, linkSeconds, ZIP_FILE),
          objects.presign(previewKey(user.id, row.id), linkSeconds),
          objects.presign(mainKey(user.id, row.id), linkSeconds),
        ]);
        return { state: 'ready', ...common, zipUrl, sheetUrl, mainUrl };
      }),
    );
  }

  return {
    listStampSets,
    /** The LINE answer to 「マイスタンプ」 (domain/stamp-library.ts). */
    async myStampsAnswer(lineUserId: string): Promise<messagingApi.Message[]> {
      return myStampsMessages(await listStampSets(lineUserId), MY_STAMPS_LINK_SECONDS);
    },
  };
}

export type StampLibrary = ReturnType<typeof createStampLibrary>;

/**
 * The library for the chat's command activity, which is built without an S3 client: each
 * 「マイスタンプ」 makes its own client and closes it afterwards (the command is rare; a client
 * kept for the process's life would hold sockets open past a worker's shutdown).
 */
export function stampLibraryFor(deps: {
  db: StampLibraryDeps['db'];
  config: AppConfig;
}): Pick<StampLibrary, 'myStampsAnswer'> {
  return {
    async myStampsAnswer(lineUserId) {
      const env = deps.config.env;
      const s3 = createS3(env);
      try {
        const objects = stampObjectsOf({ s3, bucket: env.S3_BUCKET, config: deps.config });
        return await createStampLibrary({
          db: deps.db,
          config: deps.config,
          objects,
        }).myStampsAnswer(lineUserId);
      } finally {
        s3.destroy();
      }
    },
  };
}
