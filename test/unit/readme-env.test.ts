import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config';
import { EnvSchema } from '../../config/env';
import { HANDLED_EVENT_TYPES } from '../../billing/events';
import { PORT_VARIABLES } from '../../scripts/infra/stack';
import { TEST_SECRETS } from '../support/config-secrets';

/**
 * The README is how a newcomer configures the product, so its variables must be the ones the
 * code reads: every name in its Configuration table is a key of the zod schema
 * (config/env.ts), every key of the schema is in that table, and every variable-like name
 * anywhere else in the README is one of them (or of the development stack's, or on the
 * commented list below). The Stripe events the README tells operators to send are exactly the
 * ones the webhook acts on.
 */

const README = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

/** An environment variable's shape: UPPER_SNAKE, at least one underscore or a schema key. */
const VARIABLE = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;
/** A table cell's backticked names (`PORT`, `TEMPORAL_TLS`), nothing else. */
const CELL_NAME = /`([A-Z][A-Z0-9_]*[A-Z0-9])`/g;
/** Per model tier, resolved by config/index.ts from the catalog's tiers (not zod shape keys). */
const TIER_PATTERNS = ['OPENAI_BASE_URL_<TIER>', 'OPENAI_API_KEY_<TIER>'];

/**
 * Read by `npm run dev` only (scripts/dev.ts), not by the API or the workers, so not in the
 * schema: the stand-ins' ports and latency and the state directory. The stack's own port
 * variables are imported from scripts/infra (PORT_VARIABLES).
 */
const DEV_SCRIPT_VARIABLES = [
  'LINE_STAND_IN_PORT',
  'LLM_STAND_IN_PORT',
  'LLM_STAND_IN_LATENCY_MS',
  'DEV_STATE_DIR',
];

/**
 * UPPER_SNAKE words in the README that are not environment variables: failure types and
 * codes the README quotes (what an operator sees in the Web UI), and examples of the per-tier
 * variables (checked through TIER_PATTERNS).
 */
const NOT_VARIABLES = new Set([
  'PAYMENT_MISMATCH', // a grant workflow's failure type (billing/payments.ts)
  'OPENAI_BASE_URL_FRONTIER', // example of OPENAI_BASE_URL_<TIER>, checked below
  'REPLAY_RELEASE', // the folder `npm run replay:record` writes, not the app's configuration
]);

interface Section {
  heading: string;
  level: number;
  body: string;
}

/** The README split at its headings (outside fenced code). */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section = { heading: '', level: 0, body: '' };
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^(#{1,6}) (.*)$/.exec(line);
    if (heading) {
      out.push(current);
      current = { heading: heading[2]!.trim(), level: heading[1]!.length, body: '' };
    } else current.body += `${line}\n`;
  }
  out.push(current);
  return out;
}

/** The text of a `##` section and its subsections, up to the next `##`. */
function topSection(markdown: string, heading: string): Section[] {
  const all = sections(markdown);
  const start = all.findIndex((s) => s.level === 2 && s.heading === heading);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = all.findIndex((s, i) => i > start && s.level <= 2);
  return all.slice(start, end < 0 ? undefined : end);
}

/** Names in the first cell of each table row (the header and the separator have none). */
function tableNames(body: string): string[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(CELL_NAME)].map((m) => m[1]!));
}

/** The variables the README's Configuration section documents, and its dev-stack table. */
function documentedVariables(markdown: string): { config: string[]; dev: string[] } {
  const parts = topSection(markdown, 'Configuration');
  const dev = parts.find((s) => s.heading === 'Development stack only');
  if (!dev) throw new Error('README has no "### Development stack only" table');
  return {
    config: parts.filter((s) => s !== dev).flatMap((s) => tableNames(s.body)),
    dev: tableNames(dev.body),
  };
}

/** Every variable-like word in code spans and fenced code, anywhere in the README. */
function namedAnywhere(markdown: string): string[] {
  const code: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (fenced) code.push(line);
    else code.push(...[...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  }
  return [...new Set(code.flatMap((c) => [...c.matchAll(VARIABLE)].map((m) => m[0])))];
}

const schemaKeys = Object.keys(EnvSchema.shape).sort();
const devStack = [...Object.values(PORT_VARIABLES), ...DEV_SCRIPT_VARIABLES].sort();

/** Both directions of the comparison between a README's Configuration table and the schema. */
function mismatches(markdown: string): { notInSchema: string[]; notInReadme: string[] } {
  const { config } = documentedVariables(markdown);
  return {
    notInSchema: config.filter((name) => !schemaKeys.includes(name)),
    notInReadme: schemaKeys.filter((name) => !config.includes(name)),
  };
}

describe('README configuration ↔ config/env.ts', () => {
  const { config, dev } = documentedVariables(README);

  it('every variable in the Configuration table is read by the schema', () => {
    expect(mismatches(README).notInSchema).toEqual([]);
  });

  it('every variable the schema reads is in the Configuration table', () => {
    expect(mismatches(README).notInReadme).toEqual([]);
  });

  it('the development stack table names exactly what npm run dev reads, none of it configuration', () => {
    expect([...new Set(dev)].sort()).toEqual(devStack);
    expect(dev.filter((name) => schemaKeys.includes(name))).toEqual([]);
  });

  it('every variable named anywhere in the README is documented in Configuration', () => {
    const documented = new Set([...config, ...dev]);
    const unknown = namedAnywhere(README).filter(
      (name) => !documented.has(name) && !NOT_VARIABLES.has(name),
    );
    expect(unknown).toEqual([]);
  });

  it('the per-tier LLM variables it names are read, per model tier of the catalog', () => {
    for (const pattern of TIER_PATTERNS) expect(README).toContain(`\`${pattern}\``);
    const base = { ...TEST_SECRETS, OPENAI_API_KEY: 'sk-shared-key-123' };
    const tiers = Object.keys(loadConfig(base).catalog.modelTiers);
    expect(tiers.length).toBeGreaterThan(0);
    const tier = tiers[0]!;
    const suffix = tier.toUpperCase();
    const config = loadConfig({
      ...base,
      [`OPENAI_BASE_URL_${suffix}`]: 'https://tier.example.com/v1',
      [`OPENAI_API_KEY_${suffix}`]: 'sk-tier-key-456',
    });
    expect(config.llmEndpoints[tier]).toEqual({
      baseURL: 'https://tier.example.com/v1',
      apiKey: 'sk-tier-key-456',
    });
    // The README's example names a tier that exists.
    expect(tiers.map((t) => `OPENAI_BASE_URL_${t.toUpperCase()}`)).toContain(
      'OPENAI_BASE_URL_FRONTIER',
    );
  });

  it('the check fails when a row is removed or a variable is misspelled', () => {
    const withoutRow = README.replace(/^\| `ADMIN_TOKEN` \|.*\n/m, '');
    expect(withoutRow).not.toBe(README);
    expect(mismatches(withoutRow)).toEqual({ notInSchema: [], notInReadme: ['ADMIN_TOKEN'] });
    const misspelled = README.replace('| `S3_PUBLIC_ENDPOINT` |', '| `S3_PUBLIC_ENDPOINTS` |');
    expect(misspelled).not.toBe(README);
    expect(mismatches(misspelled)).toEqual({
      notInSchema: ['S3_PUBLIC_ENDPOINTS'],
      notInReadme: ['S3_PUBLIC_ENDPOINT'],
    });
    expect(namedAnywhere('set `TEMPORAL_API_KEYS` and `ADMIN_TOKEN`')).toEqual([
      'TEMPORAL_API_KEYS',
      'ADMIN_TOKEN',
    ]);
  });
});

describe('README Stripe events ↔ billing/events.ts', () => {
  /** The backticked event names in the bullet list under "Events to send:". */
  function eventsToSend(markdown: string): string[] {
    const lines = markdown.split('\n');
    const start = lines.findIndex((l) => l.trim() === 'Events to send:');
    if (start < 0) throw new Error('README has no "Events to send:" list');
    const events: string[] = [];
    for (const line of lines.slice(start + 1)) {
      const item = /^\s*- `([a-z_]+(?:\.[a-z_]+)+)`/.exec(line);
      if (!item) break;
      events.push(item[1]!);
    }
    return events;
  }

  it('lists exactly the event types the webhook acts on', () => {
    expect(eventsToSend(README).sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
  });
});
