import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS, sdkLogLevel, temporalRuntimeLogger } from '../../lib/logger';

/** A pino logger like lib/logger.ts's (same redaction) at `level`, into memory. */
function captured(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  return { logger, lines };
}

describe('the Temporal Runtime logger, routed to pino', () => {
  it('writes workflow and activity logs at the process level, with their metadata, redacted', () => {
    const { logger, lines } = captured('info');
    const runtime = temporalRuntimeLogger(logger, sdkLogLevel('info'));
    runtime.info('chat turn finished', {
      sdkComponent: 'workflow',
      workflowId: 'chat-01ABC',
      outcome: 'answered',
      text: 'should never be logged',
    });
    runtime.log('WARN', 'activity gave up', { sdkComponent: 'activity', activityType: 'x' });
    runtime.debug('below the process level', { sdkComponent: 'workflow' });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'chat turn finished',
        sdkComponent: 'workflow',
        workflowId: 'chat-01ABC',
        outcome: 'answered',
        text: '[redacted]',
      }),
      expect.objectContaining({ level: 40, msg: 'activity gave up', activityType: 'x' }),
    ]);
  });

  it("holds the SDK's own messages to its quieter level", () => {
    const { logger, lines } = captured('info');
    const runtime = temporalRuntimeLogger(logger, sdkLogLevel('info'));
    runtime.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    runtime.info('no component at all');
    runtime.warn('core warning', { sdkComponent: 'core' });
    runtime.error('worker error', { sdkComponent: 'worker' });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'core warning'],
      [50, 'worker error'],
    ]);
  });

  it('maps our levels to the SDK levels', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(sdkLogLevel)).toEqual(
      ['DEBUG', 'DEBUG', 'WARN', 'WARN', 'ERROR', 'ERROR', 'ERROR'],
    );
  });
});
