import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { EnvSchema } from '../../config/env';
import { ensureTool } from '../../scripts/infra';

/**
 * The two ways to run production, the Helm chart (deploy/helm/line-ai/) and docker-compose.yml
 * (one host), give the API and every worker the variables config/env.ts requires, under names
 * the schema knows (a misspelled name would silently fall back to a default).
 */

const root = path.join(__dirname, '../..');
const schemaNames = new Set(Object.keys(EnvSchema.shape));
const requiredByConfig = Object.entries(EnvSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([name]) => name);
/** Their defaults point at localhost, which is wrong in a container: both must set them. */
const connectionVars = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'S3_ENDPOINT', 'S3_BUCKET'];
const PROCESSES = ['api', 'worker-chat', 'worker-stamp', 'worker-billing'];

interface Container {
  env?: Array<{ name: string }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: Container[] } } };
}

/** Variable names each chart process gets: its ConfigMap's keys plus its own env entries. */
function chartEnv(): Record<string, string[]> {
  const helm = spawnSync(chartHelm, ['template', 'rel', path.join(root, 'deploy/helm/line-ai')], {
    encoding: 'utf8',
  });
  if (helm.status !== 0) throw new Error(helm.stderr);
  const all = parseAllDocuments(helm.stdout).map((d) => d.toJS() as Manifest);
  const configMaps = new Map(
    all.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]),
  );
  const result: Record<string, string[]> = {};
  for (const m of all.filter((d) => d.kind === 'Deployment')) {
    const container = m.spec!.template!.spec!.containers![0]!;
    const fromMaps = (container.envFrom ?? []).flatMap((f) =>
      Object.keys(configMaps.get(f.configMapRef?.name ?? '') ?? {}),
    );
    result[m.metadata.name.replace(/^rel-line-ai-/, '')] = [
      ...fromMaps,
      ...(container.env ?? []).map((e) => e.name),
    ];
  }
  return result;
}

function composeEnv(): Record<string, string[]> {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, { environment?: Record<string, unknown> }> };
  return Object.fromEntries(
    PROCESSES.map((name) => [name, Object.keys(compose.services[name]?.environment ?? {})]),
  );
}

let chartHelm = '';
let chart: Record<string, string[]> = {};
const compose = composeEnv();

beforeAll(async () => {
  chartHelm = await ensureTool('helm');
  chart = chartEnv();
}, 45 * 60_000);

describe('chart, compose and the config schema agree', () => {
  it('both run the API and one worker per task queue', () => {
    expect(Object.keys(chart).sort()).toEqual([...PROCESSES].sort());
    for (const name of PROCESSES) expect(compose[name]!.length).toBeGreaterThan(0);
  });

  it.each(PROCESSES)('%s gets every variable the schema requires, in both', (name) => {
    for (const [source, env] of [
      ['chart', chart[name]!],
      ['compose', compose[name]!],
    ] as const) {
      const missing = [...requiredByConfig, ...connectionVars].filter((v) => !env.includes(v));
      expect({ source, name, missing }).toEqual({ source, name, missing: [] });
    }
  });

  it.each(PROCESSES)('%s gets only variables the schema knows, in both', (name) => {
    for (const [source, env] of [
      ['chart', chart[name]!],
      ['compose', compose[name]!],
    ] as const) {
      const unknown = env.filter((v) => !schemaNames.has(v));
      expect({ source, name, unknown }).toEqual({ source, name, unknown: [] });
    }
  });

  it('workers serve the same queue in both', () => {
    for (const queue of ['chat', 'stamp', 'billing']) {
      expect(chart[`worker-${queue}`]).toContain('WORKER_QUEUES');
      expect(compose[`worker-${queue}`]).toContain('WORKER_QUEUES');
    }
  });
});
