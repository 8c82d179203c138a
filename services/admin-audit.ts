import { Prisma, type Tx } from '../lib/db';

/**
 * The admin audit log (seed 004 監査ログ: every admin change is recorded): one admin_audit_logs
 * row per change (actor, action, target, before, after, reason), written in the change's own
 * transaction so that either both land or neither.
 */

export const AUDIT_ACTIONS = {
  grantPoints: 'points.grant',
  adjustPoints: 'points.adjust',
  setPlan: 'plan.set',
  addPrivileged: 'privileged.add',
  removePrivileged: 'privileged.remove',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** JSON-safe copy (Dates → ISO strings) for the audit columns. */
function json(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

export interface AuditEntry {
  id?: string;
  actor: string;
  action: AuditAction;
  targetUserId: string | null;
  before: unknown;
  after: unknown;
  reason?: string | null;
  at: Date;
}

function auditRow(e: AuditEntry) {
  return {
    ...(e.id ? { id: e.id } : {}),
    actor: e.actor,
    action: e.action,
    targetUserId: e.targetUserId,
    before: e.before === null ? Prisma.JsonNull : json(e.before),
    after: e.after === null ? Prisma.JsonNull : json(e.after),
    reason: e.reason ?? null,
    createdAt: e.at,
  };
}

/** Writes an audit row inside the caller's transaction. */
export async function writeAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.adminAuditLog.create({ data: auditRow(entry) });
}
