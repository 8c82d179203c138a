import type { LineMessage, LineRecord } from '../../stand-ins';
import { sessionWorkflowId } from '../../workflows/line-user-session';
import type { SentEntry } from './sent-log';
import type { Simulator } from './simulator';
import { countUnusedTickets } from '../../ledger/tickets';
import { toUsageResponse } from '../usage-response';
import { flexCards, quickReplyButtons } from './flex-view';

/**
 * A user's timeline for the page: what the simulator sent (with the workflows that handled
 * each event, linked to the Temporal Web UI), what the bot replied or pushed (from the LINE
 * stand-in), and the account as the database and ledger see it.
 */

const TIMELINE_LIMIT = 300;
const WORKFLOW_LIMIT = 50;

export interface WorkflowView {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string | null;
  closeTime: string | null;
  url: string;
}

/** A message's quick-reply buttons and Flex cards as the page draws them (api/dev/flex-view). */
function buttonsOf(m: LineMessage) {
  const quickReply = quickReplyButtons(m);
  const cards = flexCards(m);
  return { ...(quickReply ? { quickReply } : {}), ...(cards ? { cards } : {}) };
}

/**
 * Whether the stand-in's record went to the chat: a user's one-to-one chat (its `to`, not a
 * reply the user's event got in a group) or a group or room (a reply there, a push to it).
 */
export function inChat(r: LineRecord, chatId: string): boolean {
  return r.chatId !== undefined ? r.chatId === chatId : r.to === chatId;
}

export function botEntries(records: LineRecord[]) {
  return records.map((r) => ({
    kind: r.kind,
    seq: r.seq,
    at: r.at.toISOString(),
    messages: (r.messages ?? []).map((m) => ({
      type: m.type,
      ...(typeof m.text === 'string' ? { text: m.text } : {}),
      ...(typeof m.originalContentUrl === 'string'
        ? { originalContentUrl: m.originalContentUrl }
        : {}),
      ...(typeof m.previewImageUrl === 'string' ? { previewImageUrl: m.previewImageUrl } : {}),
      ...(typeof m.altText === 'string' ? { altText: m.altText } : {}),
      ...buttonsOf(m),
    })),
  }));
}

/** The user's plan, tickets, balance and usage (null before the first event created them). */
export function accountReader(sim: Simulator) {
  const { deps, catalog } = sim;
  const { ledger } = deps;
  return async function accountOf(lineUserId: string) {
    const user = await deps.db.user.findUnique({ where: { lineUserId } });
    if (!user) return null;
    const tickets = await countUnusedTickets(deps.db, user.id);
    const base = {
      userId: user.id,
      planId: user.planId,
      planName: catalog.plans[user.planId]?.name ?? user.planId,
      deleted: user.deletedAt !== null,
      messageCount: user.messageCount,
      tickets,
    };
    try {
      const [balance, usage] = await Promise.all([
        ledger.getBalance(user.id),
        ledger.getUsage(user.id),
      ]);
      return { ...base, balance, usage: toUsageResponse(usage) };
    } catch (err) {
      return { ...base, balance: null, usage: null, error: (err as Error).message };
    }
  };
}

/**
 * The sent entries with links to the workflows that handled each: children named after the
 * webhook event (chat-<id>, stamp-photo-<id>, follow-<id>) and the session run that claimed it.
 */
export async function withWorkflows(sim: Simulator, recent: SentEntry[], known: WorkflowView[]) {
  const { deps, ui } = sim;
  const byId = new Map(known.map((w) => [w.workflowId, w]));
  const linkFor = (workflowId: string) =>
    byId.get(workflowId)?.url ?? ui.query(`WorkflowId="${workflowId}"`);
  const eventIds = recent.flatMap((e) => (e.webhookEventId ? [e.webhookEventId] : []));
  const claims = await deps.db.processedEvent
    .findMany({
      where: { source: 'line', eventId: { in: eventIds } },
      select: { eventId: true, workflowId: true, runId: true },
    })
    .catch(() => []);
  const claimOf = new Map(claims.map((c) => [c.eventId, c]));
  return recent.map((e) => {
    const links = new Map<string, string>();
    for (const id of e.workflowIds ?? []) links.set(id, linkFor(id));
    if (e.webhookEventId)
      for (const w of known)
        if (w.workflowId.includes(e.webhookEventId)) links.set(w.workflowId, w.url);
    const claim = e.webhookEventId ? claimOf.get(e.webhookEventId) : undefined;
    if (claim?.workflowId && claim.runId)
      links.set(claim.workflowId, ui.workflow(claim.workflowId, claim.runId));
    return { ...e, workflows: [...links].map(([workflowId, url]) => ({ workflowId, url })) };
  });
}

export function timelineReader(sim: Simulator) {
  const { deps, ui } = sim;
  const accountOf = accountReader(sim);

  /** The user's workflows by the LineUserId search attribute (an error is shown, not thrown). */
  async function workflowsOf(
    lineUserId: string,
  ): Promise<{ list: WorkflowView[]; error?: string }> {
    const list: WorkflowView[] = [];
    try {
      for await (const wf of deps.temporal.workflow.list({
        query: `LineUserId="${lineUserId}"`,
        pageSize: WORKFLOW_LIMIT,
      })) {
        list.push({
          workflowId: wf.workflowId,
          runId: wf.runId,
          type: wf.type,
          status: wf.status.name,
          startTime: wf.startTime?.toISOString() ?? null,
          closeTime: wf.closeTime?.toISOString() ?? null,
          url: ui.workflow(wf.workflowId, wf.runId),
        });
        if (list.length >= WORKFLOW_LIMIT) break;
      }
      return { list };
    } catch (err) {
      return { list, error: (err as Error).message };
    }
  }

  return async function timeline(lineUserId: string) {
    const [records, account, workflows] = await Promise.all([
      sim.standIn
        .received({ userId: lineUserId })
        .then((all) => all.filter((r) => inChat(r, lineUserId)))
        .catch(() => null),
      accountOf(lineUserId),
      workflowsOf(lineUserId),
    ]);
    const byId = new Map(workflows.list.map((w) => [w.workflowId, w]));
    const linkFor = (workflowId: string) =>
      byId.get(workflowId)?.url ?? ui.query(`WorkflowId="${workflowId}"`);
    const sent = await withWorkflows(
      sim,
      sim.log.recent(lineUserId, TIMELINE_LIMIT),
      workflows.list,
    );
    return {
      lineUserId,
      standInReachable: records !== null,
      sent,
      bot: records ? botEntries(records.slice(-TIMELINE_LIMIT)) : [],
      account,
      workflows: workflows.list,
      workflowsError: workflows.error,
      temporal: {
        userWorkflowsUrl: ui.query(`LineUserId="${lineUserId}"`),
        sessionUrl: linkFor(sessionWorkflowId(lineUserId)),
      },
    };
  };
}
