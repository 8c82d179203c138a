import type { Catalog } from '../config/catalog';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';

/** What the refund needs from the ledger (ledger/refund.ts). */
export interface TurnRefundLedger {
  refundTurn(input: { turnId: string; userId: string }): Promise<{ pointsRefunded: number }>;
}

export interface ChatDeliveryDeps {
  catalog: Pick<Catalog, 'chat'>;
  ledger: TurnRefundLedger;
  logger: Logger;
  metrics: Pick<Metrics, 'chatTurnsRefunded' | 'chatTurnFailures'>;
}

/**
 * The overload rule (issue #12): a turn is never charged without its answer delivered. When
 * the settled answer cannot be delivered (LINE refuses it for good, or it is still undelivered
 * after chat.maxDeliveryWaitSeconds), the turn puts its charge back (ledger refundTurn, by the
 * turn ID: idempotent) and tells the user. Counted in chat_turns_refunded_total{reason} and
 * chat_turn_failures_total{step="reply"}; one structured log line (turn, type; no text).
 */
export function createChatDeliveryActivities(deps: ChatDeliveryDeps) {
  const { catalog, ledger, logger, metrics } = deps;
  return {
    async refundUndeliveredTurn(input: {
      turnId: string;
      userId: string;
      /** Why delivery gave up: the failure's type (LINE_REJECTED, a timeout, ...). */
      errorType: string;
    }): Promise<{ pointsRefunded: number; texts: string[] }> {
      const { pointsRefunded } = await ledger.refundTurn({
        turnId: input.turnId,
        userId: input.userId,
      });
      metrics.chatTurnsRefunded.inc({ reason: input.errorType });
      metrics.chatTurnFailures.inc({ step: 'reply', reason: input.errorType });
      logger.error(
        { turnId: input.turnId, errorType: input.errorType, pointsRefunded },
        'chat answer undelivered; charge put back',
      );
      const text = catalog.chat.undeliveredReply.replaceAll('{points}', String(pointsRefunded));
      return { pointsRefunded, texts: [text] };
    },
  };
}

export type ChatDeliveryActivities = ReturnType<typeof createChatDeliveryActivities>;
