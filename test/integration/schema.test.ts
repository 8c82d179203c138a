import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createPrisma, Prisma, type Db } from '../../lib/db';

/**
 * The database schema as migrated by the global setup: migration history in sync, every table
 * present, the unique constraints that make writes idempotent, and the purge cascade.
 * Rows are created under fresh IDs, so this suite can share the database with others.
 */

const ROOT = path.resolve(__dirname, '..', '..');

/** Every application table (seed tables keep the seed's names). */
const TABLES = [
  'users',
  'chat_archives',
  'prompt_archives',
  'point_lots',
  'point_ledger_logs',
  'point_reservations',
  'point_grants',
  'usage_records',
  'openai_usages',
  'ai_chat_usage_logs',
  'line_stamp_generate_queue_messages',
  'line_stamp_generate_queues',
  'line_stamp_images',
  'line_stamp_ticket_consumptions',
  'line_stamp_tickets',
  'user_settings',
  'privileged_users',
  'processed_events',
  'line_replies',
  'line_inbox_events',
  'line_conversations',
  'admin_audit_logs',
  'system_checks',
];

/** Tables whose rows belong to a user (user_id) and go with the user when it is purged. */
const USER_OWNED_TABLES = [
  'chat_archives',
  'prompt_archives',
  'point_lots',
  'point_ledger_logs',
  'point_reservations',
  'point_grants',
  'usage_records',
  'openai_usages',
  'ai_chat_usage_logs',
  'line_stamp_generate_queue_messages',
  'line_stamp_generate_queues',
  'line_stamp_images',
  'line_stamp_ticket_consumptions',
  'line_stamp_tickets',
  'user_settings',
];

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run through jest (global setup)');
  return url;
}

let db: Db;

beforeAll(() => {
  db = createPrisma(databaseUrl());
});

afterAll(async () => {
  await db.$disconnect();
});

const newUser = () =>
  db.user.create({ data: { lineUserId: `U${randomUUID().replaceAll('-', '')}` } });

/** Creates a stamp job with one message for the user. */
async function newQueue(userId: string) {
  return db.lineStampGenerateQueue.create({
    data: {
      userId,
      imageUri: `stamps/${userId}/${randomUUID()}/base.jpg`,
      imageType: 'image/jpeg',
      source: 'line',
      messages: { create: { userId, message: 'ありがとう', orderPriority: 1 } },
    },
    include: { messages: true },
  });
}

/** Asserts that a write fails on a unique constraint (Prisma P2002). */
async function expectDuplicateRejected(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  expect((error as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
}

describe('database schema', () => {
  test('migration history is in sync (prisma migrate status exits 0)', () => {
    const cli = path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js');
    const result = spawnSync(process.execPath, [cli, 'migrate', 'status'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl() },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
      status: 0,
      output: expect.stringContaining('Database schema is up to date'),
    });
  });

  test('every table exists', async () => {
    const rows = await db.$queryRaw<{ table_name: string }[]>`
      SELECT table_name::text AS table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
    const present = new Set(rows.map((r) => r.table_name));
    expect(TABLES.filter((t) => !present.has(t))).toEqual([]);
    expect(present.has('_prisma_migrations')).toBe(true);
  });

  test('the tables the retention purge scans by age have an index on that column', async () => {
    const rows = await db.$queryRaw<{ tablename: string; indexdef: string }[]>`
      SELECT tablename::text AS tablename, indexdef FROM pg_indexes
      WHERE schemaname = current_schema()`;
    const leadingColumn = (table: string, column: string) =>
      rows.some((r) => r.tablename === table && r.indexdef.includes(`(${column})`));
    expect(
      [
        ['chat_archives', 'created_at'],
        ['usage_records', 'created_at'],
        ['openai_usages', 'created_at'],
        ['processed_events', 'received_at'],
        ['line_replies', 'replied_at'],
        ['line_inbox_events', 'received_at'],
      ].filter(([table, column]) => !leadingColumn(table!, column!)),
    ).toEqual([]);
  });

  test('the seed 001 stamp tables keep the seed columns', async () => {
    const rows = await db.$queryRaw<{ table_name: string; column_name: string }[]>`
      SELECT table_name::text AS table_name, column_name::text AS column_name
      FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name LIKE 'line_stamp_%'`;
    const columns = (table: string) =>
      rows.filter((r) => r.table_name === table).map((r) => r.column_name);
    const common = ['id', 'user_id', 'created_at', 'updated_at', 'deleted_at'];
    expect(columns('line_stamp_generate_queues')).toEqual(
      expect.arrayContaining([...common, 'image_uri', 'image_type', 'image_exif', 'consumed_at']),
    );
    expect(columns('line_stamp_generate_queue_messages')).toEqual(
      expect.arrayContaining([
        ...common,
        'line_stamp_generate_queue_id',
        'message',
        'order_priority',
      ]),
    );
    expect(columns('line_stamp_images')).toEqual(
      expect.arrayContaining([
        ...common,
        'line_stamp_generate_queue_id',
        'line_stamp_generate_queue_message_id',
        'image_uri',
      ]),
    );
    expect(columns('line_stamp_ticket_consumptions')).toEqual(
      expect.arrayContaining([...common, 'line_stamp_generate_queue_id', 'line_stamp_ticket_id']),
    );
    expect(columns('line_stamp_tickets')).toEqual(expect.arrayContaining(common));
  });

  describe('unique constraints reject duplicates', () => {
    test('users.line_user_id', async () => {
      const user = await newUser();
      await expectDuplicateRejected(db.user.create({ data: { lineUserId: user.lineUserId } }));
    });

    test('ai_chat_usage_logs (user_id, usage_date)', async () => {
      const user = await newUser();
      const usageDate = new Date('2030-04-01T00:00:00Z');
      await db.aiChatUsageLog.create({ data: { userId: user.id, usageDate, usageCount: 1 } });
      await expectDuplicateRejected(
        db.aiChatUsageLog.create({ data: { userId: user.id, usageDate, usageCount: 1 } }),
      );
      // another day is a new row
      await db.aiChatUsageLog.create({
        data: { userId: user.id, usageDate: new Date('2030-04-02T00:00:00Z') },
      });
    });

    test('one ticket consumption per stamp job and per ticket', async () => {
      const user = await newUser();
      const [queue, otherQueue] = [await newQueue(user.id), await newQueue(user.id)];
      const [ticket, otherTicket] = [
        await db.lineStampTicket.create({ data: { userId: user.id } }),
        await db.lineStampTicket.create({ data: { userId: user.id } }),
      ];
      await db.lineStampTicketConsumption.create({
        data: { userId: user.id, lineStampGenerateQueueId: queue.id, lineStampTicketId: ticket.id },
      });
      // a second ticket for the same job
      await expectDuplicateRejected(
        db.lineStampTicketConsumption.create({
          data: {
            userId: user.id,
            lineStampGenerateQueueId: queue.id,
            lineStampTicketId: otherTicket.id,
          },
        }),
      );
      // the same ticket for another job
      await expectDuplicateRejected(
        db.lineStampTicketConsumption.create({
          data: {
            userId: user.id,
            lineStampGenerateQueueId: otherQueue.id,
            lineStampTicketId: ticket.id,
          },
        }),
      );
    });

    test('line_stamp_images (queue, image_uri), also for images without a message', async () => {
      const user = await newUser();
      const queue = await newQueue(user.id);
      const image = {
        userId: user.id,
        lineStampGenerateQueueId: queue.id,
        imageUri: `${queue.imageUri}/main.png`,
        kind: 'main' as const,
      };
      await db.lineStampImage.create({ data: image });
      await expectDuplicateRejected(db.lineStampImage.create({ data: image }));
    });

    test('chat_archives (turn_id, role)', async () => {
      const user = await newUser();
      const turnId = randomUUID();
      const message = { userId: user.id, turnId, content: 'こんにちは', tokenCount: 5 };
      await db.chatArchive.create({ data: { ...message, role: 'user' } });
      await db.chatArchive.create({ data: { ...message, role: 'assistant' } });
      await expectDuplicateRejected(db.chatArchive.create({ data: { ...message, role: 'user' } }));
    });

    test('usage_records (turn_id, io_type)', async () => {
      const user = await newUser();
      const record = {
        userId: user.id,
        turnId: randomUUID(),
        model: 'gpt-4o-mini',
        platform: 'openai',
        tokens: 100,
        dollars: '0.000015',
        yen: '0.00225',
        points: 1,
        dollarPerToken: '0.00000015',
        yenPerDollar: 150,
        pointsPerYen: 1,
      };
      await db.usageRecord.create({ data: { ...record, ioType: 'in' } });
      await db.usageRecord.create({ data: { ...record, ioType: 'out' } });
      await expectDuplicateRejected(db.usageRecord.create({ data: { ...record, ioType: 'in' } }));
      const stored = await db.usageRecord.findFirstOrThrow({
        where: { turnId: record.turnId, ioType: 'in' },
      });
      expect(stored.dollarPerToken?.toString()).toBe('1.5e-7');
    });

    test('point_reservations.turn_id and point_grants.source_ref', async () => {
      const user = await newUser();
      const turnId = randomUUID();
      await db.pointReservation.create({ data: { userId: user.id, turnId, amount: 10 } });
      await expectDuplicateRejected(
        db.pointReservation.create({ data: { userId: user.id, turnId, amount: 10 } }),
      );
      const sourceRef = `stripe:evt_${randomUUID()}`;
      const grant = { userId: user.id, sourceRef, points: 100, reason: 'purchase' };
      await db.pointGrant.create({ data: grant });
      await expectDuplicateRejected(db.pointGrant.create({ data: grant }));
    });

    test('processed_events (source, event_id)', async () => {
      const eventId = randomUUID();
      await db.processedEvent.create({ data: { source: 'line', eventId, eventType: 'message' } });
      await expectDuplicateRejected(
        db.processedEvent.create({ data: { source: 'line', eventId, eventType: 'message' } }),
      );
      // the same ID from another source is a different event
      await db.processedEvent.create({ data: { source: 'stripe', eventId, eventType: 'x' } });
    });
  });

  test('purging a user deletes all of their data, but not the audit trail', async () => {
    const user = await newUser();
    const userId = user.id;
    const queue = await newQueue(userId);
    const ticket = await db.lineStampTicket.create({ data: { userId } });
    const lot = await db.pointLot.create({ data: { userId, amount: 100 } });
    const turnId = randomUUID();
    await db.$transaction([
      db.chatArchive.create({ data: { userId, turnId, role: 'user', content: 'hi' } }),
      db.promptArchive.create({ data: { userId, prompt: 'あなたは親切なアシスタントです' } }),
      db.pointLedgerLog.create({
        data: { userId, lotId: lot.id, delta: 100, lotAmountAfter: 100, reason: 'grant', ref: 'g' },
      }),
      db.pointReservation.create({ data: { userId, turnId, amount: 5 } }),
      db.pointGrant.create({
        data: { userId, sourceRef: `test:${randomUUID()}`, points: 100, reason: 'test' },
      }),
      db.usageRecord.create({
        data: {
          userId,
          turnId,
          ioType: 'search',
          model: 'gpt-4o-search-preview',
          platform: 'openai',
          searchCount: 1,
          dollars: '0.025',
          yen: '3.75',
          points: 4,
          dollarPerSearch: '0.025',
          yenPerDollar: 150,
          pointsPerYen: 1,
        },
      }),
      db.openaiUsage.create({ data: { userId, turnId, usage: { total_tokens: 3 }, metadata: {} } }),
      db.aiChatUsageLog.create({ data: { userId, usageDate: new Date('2030-05-01T00:00:00Z') } }),
      db.lineStampImage.create({
        data: {
          userId,
          lineStampGenerateQueueId: queue.id,
          lineStampGenerateQueueMessageId: queue.messages[0]!.id,
          imageUri: `${queue.imageUri}/01.png`,
          kind: 'sticker',
        },
      }),
      db.lineStampTicketConsumption.create({
        data: { userId, lineStampGenerateQueueId: queue.id, lineStampTicketId: ticket.id },
      }),
      db.userSetting.create({ data: { userId } }),
      db.adminAuditLog.create({
        data: { actor: 'test', action: 'grant', targetUserId: userId, after: { points: 100 } },
      }),
    ]);

    const countRows = async (table: string): Promise<number> => {
      const [row] = await db.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "${table}" WHERE user_id = $1::uuid`,
        userId,
      );
      return row?.n ?? -1;
    };
    const counts = async () =>
      Object.fromEntries(
        await Promise.all(USER_OWNED_TABLES.map(async (t) => [t, await countRows(t)] as const)),
      );

    // every table really had a row of this user, so the check below means something
    expect(Object.entries(await counts()).filter(([, n]) => n === 0)).toEqual([]);

    await db.user.delete({ where: { id: userId } });

    expect(Object.entries(await counts()).filter(([, n]) => n !== 0)).toEqual([]);
    expect(await db.adminAuditLog.count({ where: { targetUserId: userId } })).toBe(1);
  });

  test('ledger logs outlive the lots they describe (lot_id is not a foreign key)', async () => {
    const user = await newUser();
    const lot = await db.pointLot.create({ data: { userId: user.id, amount: 10 } });
    await db.pointLedgerLog.create({
      data: {
        userId: user.id,
        lotId: lot.id,
        delta: -10,
        lotAmountAfter: 0,
        reason: 'charge',
        ref: randomUUID(),
      },
    });
    await db.pointLot.delete({ where: { id: lot.id } });
    expect(await db.pointLedgerLog.count({ where: { lotId: lot.id } })).toBe(1);
  });
});
