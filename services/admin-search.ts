import { z } from 'zod';
import type { Db } from '../lib/db';

/**
 * The operator console's user search (`GET /admin/api/users?q=…`): by LINE user ID prefix
 * (`U` and up to 32 hex digits), by Stripe customer ID (`cus_…`, exact) or by display name
 * (substring, case-insensitive). Results are bounded by `limit`; `truncated` says more matched.
 *
 * Each form uses an index: the ID prefix is a range scan of the unique index on line_user_id
 * (a LIKE would need pattern ops under a non-C collation), the customer the unique index on
 * stripe_customer_id, the name the trigram GIN index on display_name (ILIKE).
 */

export const SEARCH_KINDS = ['auto', 'lineUserId', 'stripeCustomer', 'displayName'] as const;
export type SearchKind = Exclude<(typeof SEARCH_KINDS)[number], 'auto'>;

export const MAX_SEARCH_LIMIT = 100;

export const UserSearchQuery = z.strictObject({
  q: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters'),
  by: z.enum(SEARCH_KINDS, { error: `must be one of ${SEARCH_KINDS.join(', ')}` }).default('auto'),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_SEARCH_LIMIT, `must be at most ${MAX_SEARCH_LIMIT}`)
    .default(20),
});
export type UserSearchInput = z.infer<typeof UserSearchQuery>;

const LINE_ID_PREFIX = /^U[0-9a-f]{0,32}$/i;
const STRIPE_CUSTOMER = /^cus_[A-Za-z0-9]{1,64}$/;

/** What the query means: `auto` reads it by its shape (a name is anything else). */
export function searchKindOf(q: string, by: UserSearchInput['by']): SearchKind {
  if (by !== 'auto') return by;
  if (LINE_ID_PREFIX.test(q) && q.length >= 2) return 'lineUserId';
  if (STRIPE_CUSTOMER.test(q)) return 'stripeCustomer';
  return 'displayName';
}

const HEX = '0123456789abcdef';

/**
 * The smallest string above every ID that starts with `prefix` (`U` + lowercase hex): the last
 * digit that is not `f` goes up by one, and everything after it is dropped (`U1f` → `U2`,
 * `Uff` → `V`). Hex digits and `U` sort the same way in every collation, so `[prefix, upper)`
 * is exactly the IDs with that prefix.
 */
export function prefixUpperBound(prefix: string): string {
  let end = prefix.length;
  while (end > 1 && prefix[end - 1] === 'f') end--;
  if (end === 1) return 'V';
  const last = prefix[end - 1]!;
  return prefix.slice(0, end - 1) + HEX[HEX.indexOf(last) + 1]!;
}

/** `%`, `_` and `\` match themselves in an ILIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface UserSearchHit {
  lineUserId: string;
  displayName: string | null;
  stripeCustomerId: string | null;
  planId: string;
  createdAt: string;
  deletedAt: string | null;
}

export interface UserSearchResult {
  kind: SearchKind;
  users: UserSearchHit[];
  /** More users matched than `limit`. */
  truncated: boolean;
}

type Row = {
  lineUserId: string;
  displayName: string | null;
  stripeCustomerId: string | null;
  planId: string;
  createdAt: Date;
  deletedAt: Date | null;
};

export async function searchUsers(db: Db, input: UserSearchInput): Promise<UserSearchResult> {
  const kind = searchKindOf(input.q, input.by);
  const take = input.limit + 1;
  let rows: Row[];
  if (kind === 'lineUserId') {
    if (!LINE_ID_PREFIX.test(input.q)) rows = [];
    else {
      const prefix = `U${input.q.slice(1).toLowerCase()}`;
      rows = await db.$queryRaw<Row[]>`
        SELECT line_user_id AS "lineUserId", display_name AS "displayName",
               stripe_customer_id AS "stripeCustomerId", plan_id AS "planId",
               created_at AS "createdAt", deleted_at AS "deletedAt"
        FROM users
        WHERE line_user_id >= ${prefix} AND line_user_id < ${prefixUpperBound(prefix)}
        ORDER BY line_user_id LIMIT ${take}`;
    }
  } else if (kind === 'stripeCustomer') {
    rows = await db.user.findMany({
      where: { stripeCustomerId: input.q },
      select: {
        lineUserId: true,
        displayName: true,
        stripeCustomerId: true,
        planId: true,
        createdAt: true,
        deletedAt: true,
      },
      take,
    });
  } else {
    const pattern = `%${likeEscape(input.q)}%`;
    rows = await db.$queryRaw<Row[]>`
      SELECT line_user_id AS "lineUserId", display_name AS "displayName",
             stripe_customer_id AS "stripeCustomerId", plan_id AS "planId",
             created_at AS "createdAt", deleted_at AS "deletedAt"
      FROM users
      WHERE display_name ILIKE ${pattern}
      ORDER BY created_at DESC, line_user_id LIMIT ${take}`;
  }
  return {
    kind,
    truncated: rows.length > input.limit,
    users: rows.slice(0, input.limit).map((r) => ({
      lineUserId: r.lineUserId,
      displayName: r.displayName,
      stripeCustomerId: r.stripeCustomerId,
      planId: r.planId,
      createdAt: new Date(r.createdAt).toISOString(),
      deletedAt: r.deletedAt ? new Date(r.deletedAt).toISOString() : null,
    })),
  };
}
