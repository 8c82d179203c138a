import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureTool } from '../../scripts/infra';
import { ensureLocalTool } from '../../scripts/infra/local-tools';

/**
 * deploy/helm/line-ai/ rendered with `helm template` and every manifest decoded strictly into
 * the Kubernetes API types by deploy/validate/ (no cluster, no schema download). Both tools are
 * built once from source into the tool cache (first build: minutes).
 */

const chart = path.join(__dirname, '../../deploy/helm/line-ai');
const QUEUES = ['chat', 'stamp', 'billing'];
let helm = '';
let validator = '';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function render(dir: string, args: string[] = []): string {
  const result = spawnSync(helm, ['template', 'rel', dir, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.stdout;
}

function validate(yamlText: string): { ok: boolean; output: string } {
  const result = spawnSync(validator, [], { input: yamlText, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

function manifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** Values that switch every optional part on: ingress, mTLS, an API key, fixed API replicas. */
const FULL = [
  '--set',
  'api.ingress.enabled=true,api.ingress.tlsSecretName=line-ai-tls,api.ingress.className=nginx',
  '--set',
  'temporal.clientCertSecret.name=temporal-client,temporal.clientCertSecret.withServerCa=true',
  '--set',
  'temporal.apiKeySecret.name=temporal-cloud,api.autoscaling.enabled=false',
  '--set',
  'imagePullSecrets[0].name=registry',
];

beforeAll(async () => {
  [helm, validator] = await Promise.all([ensureTool('helm'), ensureLocalTool('k8s-validate')]);
}, 45 * 60_000);

describe('Helm chart deploy/helm/line-ai', () => {
  it.each([
    ['default values', []],
    ['every option on', FULL],
  ])('renders and validates against the Kubernetes types (%s)', (_label, args) => {
    const { ok, output } = validate(render(chart, args as string[]));
    expect({ ok, output }).toEqual({ ok: true, output: expect.stringMatching(/manifests valid/) });
  });

  it('has one worker Deployment and one HorizontalPodAutoscaler per task queue', () => {
    const all = manifests(render(chart));
    for (const queue of QUEUES) {
      const name = `rel-line-ai-worker-${queue}`;
      const deployment = all.find((m) => m.kind === 'Deployment' && m.metadata.name === name);
      const env = JSON.stringify(deployment?.spec);
      expect(env).toContain(`{"name":"WORKER_QUEUES","value":"${queue}"}`);
      const hpa = all.find((m) => m.kind === 'HorizontalPodAutoscaler' && m.metadata.name === name);
      expect(hpa?.spec?.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name,
      });
    }
    expect(
      all
        .filter((m) => m.kind === 'Deployment')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['rel-line-ai-api', ...QUEUES.map((q) => `rel-line-ai-worker-${q}`)].sort());
  });

  it('migrates with a pre-install/pre-upgrade hook Job and probes the API on /healthz', () => {
    const all = manifests(render(chart));
    const job = all.find((m) => m.kind === 'Job' && m.metadata.name === 'rel-line-ai-migrate');
    expect(job?.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(JSON.stringify(job?.spec)).toContain('"command":["npx","prisma","migrate","deploy"]');
    const api = all.find((m) => m.metadata.name === 'rel-line-ai-api' && m.kind === 'Deployment');
    expect(JSON.stringify(api?.spec)).toContain('"readinessProbe":{"httpGet":{"path":"/healthz"');
  });

  it("registers the search attributes before the pods start, with the app's Temporal settings", () => {
    const setupOf = (args: string[] = []) =>
      manifests(render(chart, args)).find(
        (m) => m.kind === 'Job' && m.metadata.name === 'rel-line-ai-temporal-setup',
      );
    const plain = setupOf();
    expect(plain?.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const spec = JSON.stringify(plain?.spec);
    expect(spec).toContain('--name LineUserId --type Keyword --name WorkKind --type Keyword');
    expect(spec).toContain(
      '{"name":"TEMPORAL_ADDRESS","value":"temporal-frontend.temporal.svc.cluster.local:7233"}',
    );
    expect(spec).not.toContain('TEMPORAL_TLS');
    // mTLS and an API key: the same certificate mount and key reference as the app's pods.
    const full = JSON.stringify(setupOf(FULL)?.spec);
    expect(full).toContain('{"name":"TEMPORAL_TLS","value":"true"}');
    expect(full).toContain('"secretKeyRef":{"name":"temporal-cloud","key":"api-key"}');
    expect(full).toContain(
      '{"name":"temporal-tls","mountPath":"/etc/temporal-tls","readOnly":true}',
    );
    // Temporal Cloud: registered in its UI or with tcld, not by this Job.
    expect(setupOf(['--set', 'temporal.registerSearchAttributes.enabled=false'])).toBeUndefined();
  });

  it('holds no secret value: secrets are references into the operator Secret', () => {
    const text = render(chart, FULL);
    expect(manifests(text).map((m) => m.kind)).not.toContain('Secret');
    const configMap = manifests(text).find((m) => m.kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    for (const name of ['PAYLOAD_KEYS', 'ADMIN_TOKEN', 'DATABASE_URL', 'STRIPE_SECRET_KEY']) {
      expect(Object.keys(configMap.data)).not.toContain(name);
      expect(text).toContain(
        `- name: ${name}\n              valueFrom:\n                secretKeyRef:`,
      );
    }
  });

  it('fails on a broken manifest: a misspelled field in a copy of the chart', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'line-ai-chart-'));
    try {
      fs.cpSync(chart, copy, { recursive: true });
      const file = path.join(copy, 'templates', 'workers.yaml');
      fs.writeFileSync(
        file,
        fs
          .readFileSync(file, 'utf8')
          .replace('terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:'),
      );
      const { ok, output } = validate(render(copy));
      expect(ok).toBe(false);
      expect(output).toMatch(
        /Deployment "rel-line-ai-worker-chat".*unknown field "terminationGracePeriodSecond"/,
      );
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('fails on a wrong type, a bad quantity and an unknown kind', () => {
    const good = render(chart);
    for (const [broken, problem] of [
      [good.replace('containerPort: 3000', 'containerPort: http'), /containerPort/],
      [good.replace('cpu: 250m', 'cpu: a-lot'), /quantities must match/],
      [
        good.replace('kind: ConfigMap', 'kind: ConfigMapp'),
        /unknown apiVersion\/kind v1\/ConfigMapp/,
      ],
    ] as const) {
      expect(broken).not.toBe(good);
      const { ok, output } = validate(broken);
      expect({ ok, output }).toEqual({ ok: false, output: expect.stringMatching(problem) });
    }
  });
});
