import type { Payload } from '@temporalio/common';

/**
 * A payload in Temporal's JSON form (metadata values and data base64), as the Web UI's codec
 * endpoint protocol and `temporal workflow show --output json` write it.
 */
export type JsonPayload = { metadata?: Record<string, string> | null; data?: string | null };

export const payloadFromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});

export const payloadToJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
