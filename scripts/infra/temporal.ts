import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SearchAttributes } from '../../config/task-queues';
import { InfraError } from './errors';
import { isPortOpen } from './ports';
import type { ServiceDefinition } from './service';

export interface TemporalOptions {
  host: string;
  port: number;
  uiPort: number;
  /** SQLite file; null keeps state in memory. */
  dbFile: string | null;
  namespace: string;
  /**
   * The Web UI decodes sealed payloads through this endpoint (the browser calls it; see
   * api/routes/codec.ts), e.g. http://127.0.0.1:3000/codec/<CODEC_TOKEN>.
   */
  uiCodecEndpoint?: string;
}

type AttributeType = (typeof SearchAttributes)[keyof typeof SearchAttributes]['type'];

function indexedType(type: AttributeType) {
  return encodeSearchAttributeIndexedValueType(type.toUpperCase() as Uppercase<AttributeType>);
}

export function temporalService(o: TemporalOptions): ServiceDefinition {
  const attributes = Object.values(SearchAttributes);
  const address = `${o.host}:${o.port}`;
  return {
    name: 'temporal',
    label: 'Temporal',
    tool: 'temporal',
    host: o.host,
    port: o.port,
    ports: { grpc: o.port, ui: o.uiPort },
    portVariable: 'TEMPORAL_PORT',
    args: [
      'server',
      'start-dev',
      '--ip',
      o.host,
      '--port',
      String(o.port),
      '--ui-port',
      String(o.uiPort),
      // Write-ahead log, synced at checkpoints rather than every commit: several times the
      // throughput on this kind of machine; a killed server loses nothing, only a power cut
      // can lose the last transactions.
      ...(o.dbFile
        ? [
            '--db-filename',
            o.dbFile,
            '--sqlite-pragma',
            'journal_mode=wal',
            '--sqlite-pragma',
            'synchronous=normal',
          ]
        : []),
      ...(o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
      '--namespace',
      o.namespace,
      ...attributes.flatMap((a) => ['--search-attribute', `${a.name}=${a.type}`]),
      '--log-level',
      'warn',
    ],
    async check() {
      if (!(await isPortOpen(o.port, o.host))) throw new Error('port not open yet');
      await checkTemporal(address, o.namespace);
    },
  };
}

/**
 * Health: the frontend answers GetSystemInfo and the namespace has our search attributes
 * (registered here when missing, e.g. on a Temporal server we did not start).
 */
export async function checkTemporal(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.workflowService.getSystemInfo({});
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace,
    });
    const existing = customAttributes ?? {};
    const missing: Record<string, number> = {};
    for (const { name, type } of Object.values(SearchAttributes)) {
      const wanted = indexedType(type) as number;
      const found = existing[name] as number | undefined;
      if (found === undefined) missing[name] = wanted;
      else if (found !== wanted) {
        throw new InfraError(
          `Temporal at ${address}: search attribute ${name} exists with another type ` +
            `(${found}) than ${type}; use a fresh Temporal database.`,
        );
      }
    }
    if (Object.keys(missing).length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: missing,
      });
      throw new Error(`search attributes ${Object.keys(missing).join(', ')} were just added`);
    }
  } finally {
    await connection.close();
  }
}
