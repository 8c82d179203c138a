import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

/**
 * Change safety: sessions and jobs outlive deploys, so today's workflow code must replay the
 * histories recorded from earlier releases (test/replay/histories/<release>/, written by
 * `npm run replay:record`). A change that would break a running workflow fails here with a
 * DeterminismViolationError; guard it with patched() (see README "Deploying workflow changes").
 */
const HISTORIES = path.join(__dirname, '..', 'replay', 'histories');

function recorded(): { release: string; file: string; workflowId: string; history: unknown }[] {
  if (!fs.existsSync(HISTORIES)) return [];
  return fs.readdirSync(HISTORIES).flatMap((release) =>
    fs
      .readdirSync(path.join(HISTORIES, release))
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({
        release,
        file,
        workflowId: file.replace(/\.json$/, ''),
        history: JSON.parse(fs.readFileSync(path.join(HISTORIES, release, file), 'utf8')),
      })),
  );
}

describe('replay of recorded histories', () => {
  const histories = recorded();

  it('has histories of every long-lived workflow family to replay', () => {
    const types = new Set(histories.map((h) => h.file.split('--')[0]));
    for (const type of [
      'lineUserSession',
      'lineGroupSession',
      'stampJob',
      'stampTextsIntake',
      'stripeEvent',
    ]) {
      expect(types).toContain(type);
    }
  });

  it('replays each of them on the current workflow code without a determinism error', async () => {
    const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
    expect(bundlePath).toBeTruthy();
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: bundlePath! }, replayName: 'replay-test' },
      histories.map((h) => ({
        workflowId: `${h.release}/${h.workflowId}`,
        history: h.history,
      })),
    );
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });
});
