/**
 * Local stack by hand:
 *   node --import tsx scripts/infra/cli.ts up [--foreground]   start (or reuse) the dev stack
 *   node --import tsx scripts/infra/cli.ts down                stop the dev services
 *   node --import tsx scripts/infra/cli.ts status              show the dev services
 *   node --import tsx scripts/infra/cli.ts tools               build/locate the pinned tools
 * `up` leaves the services running in the background (pid files in .stack/dev/) and prints
 * their environment; with --foreground it stops them on Ctrl-C instead.
 */
import { errorMessage, isInfraError } from './errors';
import { redactUrl } from './postgres';
import { stackStatus, startStack, stopRecordedServices } from './stack';
import { ensureTool, TOOLS, type ToolName } from './tools';

async function main(argv: string[]): Promise<void> {
  const [command = 'help', ...flags] = argv;
  switch (command) {
    case 'up': {
      const foreground = flags.includes('--foreground');
      const started = Date.now();
      const stack = await startStack('dev', { detached: !foreground });
      for (const [key, value] of Object.entries(stack.env)) {
        console.log(`${key}=${key === 'DATABASE_URL' ? redactUrl(value) : value}`);
      }
      console.log(
        `# dev stack ready in ${Date.now() - started} ms (env: ${stack.stateDir}/env.json)`,
      );
      if (foreground) {
        console.log('# Ctrl-C stops it');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await stack.stop();
      }
      return;
    }
    case 'down':
      await stopRecordedServices('dev', { log: (line) => console.log(line) });
      return;
    case 'status':
      for (const s of stackStatus('dev')) {
        const state = s.running ? `running (pid ${s.pid}, port ${s.port})` : 'stopped';
        console.log(`${s.name.padEnd(12)} ${state}${s.logFile ? `  log: ${s.logFile}` : ''}`);
      }
      return;
    case 'tools':
      for (const name of Object.keys(TOOLS) as ToolName[]) {
        console.log(`${name.padEnd(12)} ${await ensureTool(name)}`);
      }
      return;
    default:
      console.log(
        'usage: node --import tsx scripts/infra/cli.ts up [--foreground] | down | status | tools',
      );
      if (command !== 'help') process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(isInfraError(error) ? error.message : errorMessage(error));
  if (!isInfraError(error) && error instanceof Error && process.env.DEBUG)
    console.error(error.stack);
  process.exitCode = 1;
});
