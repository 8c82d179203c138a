import path from 'node:path';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { useSimulatorPage } from '../support/simulator-page';
import { waitFor } from '../support/workers';

/**
 * A voice message in the /dev simulator (issue #14), in a real headless Chromium against the
 * whole system in-process: the 🎤 音声 sheet sends what the recording says, the simulator
 * stores it as LINE content (in the LLM stand-in's transcript markers) and posts a signed audio
 * event; the bot transcribes it, answers it as a chat turn, and charges the transcription.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator-voice.png');
const STEP_MS = 60_000;

describe('LINE simulator: a voice message', () => {
  const sim = useSimulatorPage('simulator-voice');
  let lineUserId = '';

  const user = () => sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } });
  /** What the simulator sent for the user (its timeline's left-hand bubbles). */
  const sentCount = async () => {
    const res = await fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/timeline`);
    return ((await res.json()) as { sent: unknown[] }).sent.length;
  };

  it('a user follows the bot', async () => {
    await sim.openSimulator();
    lineUserId = await followAsNewUser(sim.page, STEP_MS);
  });

  it(
    'says 「明日の天気は？」 by voice, sees the answer, and the turn is charged its transcription',
    async () => {
      const said = '明日の天気は？';
      await sim.page.getByTestId('voice-open').click();
      expect(await sim.page.getByTestId('voice-seconds').inputValue()).toBe('3');
      await sim.page.getByTestId('voice-text').fill(said);
      await sim.page.getByTestId('send-voice').click();
      await sim.page
        .locator('[data-testid="user-voice"]', { hasText: '🎤 音声メッセージ (3秒)' })
        .waitFor({ timeout: STEP_MS });
      // The LLM stand-in transcribed the markers and answered "[model] 了解しました: <text>".
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${said}` })
        .waitFor({ timeout: STEP_MS });

      // One transcription of the recording: 3 seconds, as the duration field said.
      const heard = sim.h.llm
        .requests()
        .filter((r) => r.path === '/v1/audio/transcriptions' && r.transcription?.text === said);
      expect(heard).toHaveLength(1);
      expect(heard[0]!.transcription!.seconds).toBe(3);
      const u = await user();
      const records = await waitFor(
        async () => {
          const rows = await sim.h.db.usageRecord.findMany({ where: { userId: u.id } });
          return rows.some((r) => r.ioType === 'transcription') && rows;
        },
        'the transcription usage record',
        STEP_MS,
      );
      const transcription = records.filter((r) => r.ioType === 'transcription');
      expect(transcription).toHaveLength(1);
      expect(transcription[0]).toMatchObject({
        model: sim.h.config.catalog.voice!.model,
        audioSeconds: 3,
      });
      expect(transcription[0]!.points).toBeGreaterThan(0);
      // Charged with the answer in the same turn.
      expect(records.map((r) => r.ioType).sort()).toEqual(['in', 'out', 'transcription']);
      expect(new Set(records.map((r) => r.turnId)).size).toBe(1);
      expect(sim.pageErrors).toEqual([]);
      await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await sim.page.screenshot({ path: SCREENSHOT });
    },
    3 * STEP_MS,
  );

  it(
    'sends a picked recording as is: the stand-in cannot read it, the bot apologizes for free',
    async () => {
      const u = await user();
      const charged = await sim.h.db.usageRecord.count({ where: { userId: u.id } });
      await sim.page.getByTestId('voice-open').click();
      await sim.page.getByTestId('voice-file').setInputFiles({
        name: 'recording.m4a',
        mimeType: 'audio/mp4',
        buffer: Buffer.from('not really AAC, and no transcript marker either'),
      });
      await sim.page.getByTestId('voice-seconds').fill('5');
      await sim.page.getByTestId('send-voice').click();
      await sim.page
        .locator('[data-testid="user-voice"]', { hasText: 'recording.m4a' })
        .filter({ hasText: '(5秒)' })
        .waitFor({ timeout: STEP_MS });
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: '音声を聞き取れませんでした' })
        .waitFor({ timeout: STEP_MS });
      expect(await sim.h.db.usageRecord.count({ where: { userId: u.id } })).toBe(charged);
      expect(sim.pageErrors).toEqual([]);
    },
    3 * STEP_MS,
  );

  it('refuses a bad voice request with 400 and sends nothing', async () => {
    const before = await sentCount();
    const post = (form: FormData) =>
      fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/audio`, { method: 'POST', body: form });
    const cases: Array<[string, FormData]> = [];
    cases.push(['no bytes', new FormData()]);
    const empty = new FormData();
    empty.append('audio', new Blob([], { type: 'audio/x-m4a' }), 'voice.m4a');
    cases.push(['an empty file', empty]);
    for (const seconds of ['0', '-1', 'abc', '601']) {
      const form = new FormData();
      form.append('text', 'こんにちは');
      form.append('seconds', seconds);
      cases.push([`seconds ${seconds}`, form]);
    }
    const tooLarge = new FormData();
    tooLarge.append(
      'audio',
      new Blob([Buffer.alloc(25 * 1024 * 1024 + 1)], { type: 'audio/x-m4a' }),
      'voice.m4a',
    );
    cases.push(['too large', tooLarge]);
    for (const [label, form] of cases) {
      const res = await post(form);
      const body = (await res.json()) as { error_code?: string; error?: string };
      expect({ label, status: res.status, code: body.error_code }).toEqual({
        label,
        status: 400,
        code: 'INVALID_INPUT',
      });
      expect(body.error).toBeTruthy();
    }
    const json = await fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/audio`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'こんにちは' }),
    });
    expect(json.status).toBe(400);
    // Nothing was sent: no new event in the simulator's log, no new transcription.
    expect(await sentCount()).toBe(before);
    expect(
      sim.h.llm.requests().filter((r) => r.path === '/v1/audio/transcriptions' && r.status === 200),
    ).toHaveLength(1);
  });
});
