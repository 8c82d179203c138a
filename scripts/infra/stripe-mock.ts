import type { ServiceDefinition } from './service';

export interface StripeMockOptions {
  host: string;
  port: number;
  /** stripe-mock always serves HTTPS too; keep it on loopback, off the default 12112. */
  httpsPort: number;
}

export function stripeMockService(o: StripeMockOptions): ServiceDefinition {
  return {
    name: 'stripe-mock',
    label: 'stripe-mock',
    tool: 'stripe-mock',
    host: o.host,
    port: o.port,
    ports: { http: o.port, https: o.httpsPort },
    portVariable: 'STRIPE_MOCK_PORT',
    args: ['-http-addr', `${o.host}:${o.port}`, '-https-addr', `${o.host}:${o.httpsPort}`],
    async check() {
      await checkStripeMock(`http://${o.host}:${o.port}`);
    },
  };
}

/** Health: a Stripe-shaped answer to GET /v1/customers. */
export async function checkStripeMock(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/customers?limit=1`, {
    headers: { Authorization: 'Bearer sk_test_123' },
    signal: AbortSignal.timeout(2000),
  });
  const body = (await response.json().catch(() => null)) as { object?: string } | null;
  if (!response.ok || body?.object !== 'list') {
    throw new Error(`GET /v1/customers answered ${response.status} without a Stripe list`);
  }
}
