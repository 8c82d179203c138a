import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

/**
 * Validates what the product sends to LINE against LINE's own OpenAPI description
 * (test/fixtures/line-openapi/messaging-api.yml), and webhook bodies as LINE posts them against
 * its description of webhook events (webhook.yml), with a JSON-schema validator, plus the limits
 * the description does not state (LINE's documentation: Flex JSON under 30 KB, carousel ≤ 12
 * bubbles).
 *
 * The description models polymorphism the OpenAPI 3.0 way: a base schema with a discriminator
 * mapping, its subtypes `allOf` the base. JSON Schema has no discriminator, so every reference
 * to such a base (other than a subtype's own `allOf`) is rewritten to a schema that checks the
 * discriminator's value is a known one and then validates against that subtype.
 */

const SPEC_PATH = path.resolve(__dirname, '../fixtures/line-openapi/messaging-api.yml');
/** LINE's description of webhook events (what LINE posts to the bot), same source and snapshot. */
const WEBHOOK_SPEC_PATH = path.resolve(__dirname, '../fixtures/line-openapi/webhook.yml');
const PREFIX = '#/components/schemas/';
const POLY = '__poly';

type Schema = Record<string, unknown>;

function loadSchemas(specPath: string): Record<string, Schema> {
  const spec = parse(readFileSync(specPath, 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  const schemas = spec.components.schemas;
  const bases = new Set(
    Object.entries(schemas)
      .filter(([, s]) => (s.discriminator as { mapping?: unknown } | undefined)?.mapping)
      .map(([name]) => name),
  );
  const rewrite = (node: unknown, inAllOf: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, inAllOf));
    if (!node || typeof node !== 'object') return node;
    const out: Schema = {};
    for (const [k, v] of Object.entries(node as Schema)) {
      if (k === '$ref' && typeof v === 'string' && !inAllOf && bases.has(v.slice(PREFIX.length))) {
        out[k] = `${v}${POLY}`;
      } else out[k] = rewrite(v, k === 'allOf');
    }
    return out;
  };
  const result: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    result[name] = rewrite(schema, false) as Schema;
  }
  for (const name of bases) {
    const { propertyName, mapping } = schemas[name]!.discriminator as {
      propertyName: string;
      mapping: Record<string, string>;
    };
    result[`${name}${POLY}`] = {
      type: 'object',
      required: [propertyName],
      properties: { [propertyName]: { enum: Object.keys(mapping) } },
      allOf: Object.entries(mapping).map(([value, ref]) => ({
        if: { properties: { [propertyName]: { const: value } } },
        then: { $ref: ref },
      })),
    };
  }
  return result;
}

const validators = new Map<string, { ajv: Ajv.Ajv; compiled: Map<string, Ajv.ValidateFunction> }>();

function validatorFor(schemaName: string, specPath = SPEC_PATH): Ajv.ValidateFunction {
  let spec = validators.get(specPath);
  if (!spec) {
    // OpenAPI's own keywords (discriminator, example) are not JSON Schema: ignored; formats
    // (int32, int64, uri) are not what LINE rejects requests for.
    const ajv = new Ajv({
      allErrors: true,
      format: false,
      unknownFormats: 'ignore',
      nullable: true,
    });
    ajv.addSchema({ components: { schemas: loadSchemas(specPath) } }, 'line');
    spec = { ajv, compiled: new Map() };
    validators.set(specPath, spec);
  }
  let fn = spec.compiled.get(schemaName);
  if (fn) return fn;
  const name = spec.ajv.getSchema(`line${PREFIX}${schemaName}${POLY}`)
    ? `${schemaName}${POLY}`
    : schemaName;
  fn = spec.ajv.getSchema(`line${PREFIX}${name}`);
  if (!fn) throw new Error(`no schema ${schemaName} in LINE's OpenAPI description`);
  spec.compiled.set(schemaName, fn);
  return fn;
}

function errorsOf(fn: Ajv.ValidateFunction, value: unknown): string[] {
  if (fn(value)) return [];
  return (fn.errors ?? []).map((e) => `${e.dataPath || '/'} ${e.message ?? ''}`.trim());
}

/** Problems with `value` as the named schema (e.g. 'Message', 'ReplyMessageRequest'); [] if valid. */
export function lineSchemaErrors(schemaName: string, value: unknown): string[] {
  return errorsOf(validatorFor(schemaName), value);
}

/**
 * Problems with a webhook body as LINE posts it (`{destination, events}`, the schema
 * `CallbackRequest` of test/fixtures/line-openapi/webhook.yml); [] if valid.
 */
export function lineWebhookErrors(body: unknown): string[] {
  return errorsOf(validatorFor('CallbackRequest', WEBHOOK_SPEC_PATH), body);
}

/** LINE's documented limits beyond the schema (messaging API reference, Flex Message limits). */
export const LINE_LIMITS = {
  messagesPerCall: 5,
  quickReplyItems: 13,
  carouselBubbles: 12,
  /** A Flex message's `contents` must be under 30 KB of JSON. */
  flexContentsBytes: 30 * 1024,
} as const;

/** Schema and documented limits for one reply's or push's messages; [] if LINE would accept them. */
export function lineMessagesErrors(messages: readonly unknown[]): string[] {
  const errors: string[] = [];
  if (messages.length < 1 || messages.length > LINE_LIMITS.messagesPerCall)
    errors.push(`${messages.length} messages (1..${LINE_LIMITS.messagesPerCall} allowed)`);
  messages.forEach((m, i) => {
    errors.push(...lineSchemaErrors('Message', m).map((e) => `messages[${i}]${e}`));
    const msg = m as {
      type?: string;
      contents?: { type?: string; contents?: unknown[] };
      quickReply?: { items?: unknown[] };
    };
    const items = msg.quickReply?.items;
    if (items && (items.length < 1 || items.length > LINE_LIMITS.quickReplyItems))
      errors.push(`messages[${i}] has ${items.length} quick-reply items`);
    if (msg.type === 'flex') {
      const bytes = Buffer.byteLength(JSON.stringify(msg.contents));
      if (bytes >= LINE_LIMITS.flexContentsBytes)
        errors.push(`messages[${i}] Flex contents of ${bytes} bytes`);
      const bubbles = msg.contents?.type === 'carousel' ? (msg.contents.contents ?? []) : [];
      if (bubbles.length > LINE_LIMITS.carouselBubbles)
        errors.push(`messages[${i}] carousel of ${bubbles.length} bubbles`);
    }
  });
  return errors;
}
