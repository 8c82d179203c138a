import { Router, type Request } from 'express';
import { lineLoginAuth } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { toUsageResponse } from '../usage-response';

/**
 * The user API (seed 004), for a LINE Login user (`Authorization: Bearer <ID token>`):
 *
 *   GET /api/ai/usage  → { remaining_count, daily_limit, reset_time, can_use_chat }  (seed 004
 *                        AIChatUsageResponse; daily_limit -1 = unlimited)
 *   GET /api/balance   → { balance, held, lots: [{ amount, expires_at }] }
 *
 * Read-only: nothing here changes state, so the ledger is queried directly. A valid token for a
 * LINE user we have never seen (or who unfollowed) answers 404 UNKNOWN_USER.
 */
export function userRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env } = deps.config;
  const { ledger } = deps;
  const auth = lineLoginAuth(env);

  async function currentUserId(req: Request): Promise<string> {
    const lineUserId = req.lineUserId!;
    const user = await deps.db.user.findUnique({
      where: { lineUserId },
      select: { id: true, deletedAt: true },
    });
    if (!user || user.deletedAt)
      throw new HttpError(
        404,
        'UNKNOWN_USER',
        'no user for this LINE account: add the official account as a friend, or send it a ' +
          'message, first',
      );
    return user.id;
  }

  router.get('/api/ai/usage', auth, async (req, res) => {
    const userId = await currentUserId(req);
    const usage = await ledger.getUsage(userId);
    res.set('Cache-Control', 'no-store').json(toUsageResponse(usage));
  });

  router.get('/api/balance', auth, async (req, res) => {
    const userId = await currentUserId(req);
    const view = await ledger.getBalance(userId);
    res.set('Cache-Control', 'no-store').json({
      balance: view.balance,
      held: view.held,
      lots: view.lots.map((l) => ({ amount: l.amount, expires_at: l.expiresAt })),
    });
  });

  return router;
}
