/* global window, document, Audio */
'use strict';
/**
 * The simulator's voice messages (issue #14), loaded by simulator.html after its own script and
 * built on what that script offers as window.devSimulator. The 🎤 音声 button in the composer
 * opens a sheet: pick a recording (audio/*) and/or type what it says, and its length in seconds
 * (3 unless changed; a picked file's own length when the browser can read it). 送信 posts it
 * to POST /dev/api/users/:id/audio (api/dev/routes-voice.ts), which stores the bytes as LINE
 * content (typed words in the local LLM stand-in's transcript markers) and sends the signed
 * audio event. The user's bubble is drawn by simulator.html (kind "audio").
 */
(function () {
  const sim = window.devSimulator;
  if (!sim) return;
  const { $, el } = sim;
  const DEFAULT_SECONDS = '3';

  document.head.append(
    el('style', {
      text:
        '.composer .voice { border: 0; background: none; padding: 4px; color: #5f6b7a; }' +
        '.composer .voice span { font-size: 11px; margin-left: 2px; }' +
        '.sheet .mic { width: 72px; height: 72px; border-radius: 10px; flex: none;' +
        ' display: grid; place-items: center; font-size: 32px; background: #e9f9ef; }' +
        '.sheet input[type="number"] { width: 5em; }' +
        '.sheet input[type="file"] { font-size: 12px; min-width: 0; flex: 1; }' +
        '.bubble small { display: block; font-size: 11px; opacity: 0.75; margin-top: 2px; }',
    }),
  );

  const text = el('input', {
    type: 'text',
    id: 'voice-text',
    'data-testid': 'voice-text',
    placeholder: '録音の内容（例: 明日の天気は？）',
    maxlength: 5000,
  });
  const file = el('input', {
    type: 'file',
    id: 'voice-file',
    'data-testid': 'voice-file',
    accept: 'audio/*',
    'aria-label': '音声ファイル',
  });
  const seconds = el('input', {
    type: 'number',
    id: 'voice-seconds',
    'data-testid': 'voice-seconds',
    value: DEFAULT_SECONDS,
    min: 0.1,
    max: 600,
    step: 0.1,
    'aria-label': '長さ（秒）',
  });
  const send = el('button', {
    type: 'button',
    class: 'primary',
    id: 'send-voice',
    'data-testid': 'send-voice',
    text: '送信',
  });
  const cancel = el('button', { type: 'button', id: 'voice-cancel', text: '取消' });
  const sheet = el(
    'div',
    { class: 'sheet', id: 'voice-sheet', 'data-testid': 'voice-sheet' },
    el('div', { class: 'mic', 'aria-hidden': 'true' }, '🎤'),
    el(
      'div',
      { class: 'fields' },
      text,
      el('div', { class: 'row' }, file),
      el(
        'div',
        { class: 'row' },
        el('label', { class: 'hint' }, '長さ ', seconds, ' 秒'),
        el('span', { style: 'flex: 1' }),
        cancel,
        send,
      ),
      el('span', {
        class: 'hint',
        text:
          'ローカルの LLM スタンドインは入力した文を書き起こしとして返します。' +
          'ファイルだけなら、その音声をそのまま送ります。',
      }),
    ),
  );
  const open = el(
    'button',
    {
      type: 'button',
      class: 'icon voice',
      id: 'voice-open',
      'data-testid': 'voice-open',
      title: '音声メッセージを送る',
    },
    '🎤',
    el('span', { text: '音声' }),
  );

  function reset() {
    sheet.classList.remove('open');
    text.value = '';
    file.value = '';
    seconds.value = DEFAULT_SECONDS;
  }

  /** A picked recording's own length, when the browser can decode its header. */
  function readLength() {
    const picked = file.files[0];
    if (!picked) return;
    const url = URL.createObjectURL(picked);
    const audio = new Audio();
    audio.preload = 'metadata';
    audio.onloadedmetadata = () => {
      if (Number.isFinite(audio.duration) && audio.duration > 0)
        seconds.value = String(Math.min(600, Math.max(0.1, Math.round(audio.duration * 10) / 10)));
      URL.revokeObjectURL(url);
    };
    audio.onerror = () => URL.revokeObjectURL(url);
    audio.src = url;
  }

  async function sendVoice() {
    if (!sim.hasUser()) return;
    const said = text.value.trim();
    const picked = file.files[0];
    if (!said && !picked) {
      sim.setStatus('音声: ファイルを選ぶか、録音の内容を入力してください', true);
      text.focus();
      return;
    }
    const form = new FormData();
    if (picked) form.append('audio', picked);
    if (said) form.append('text', said);
    form.append('seconds', seconds.value.trim());
    reset();
    await sim.action('音声を送信', () =>
      sim.api(sim.userPath('/audio'), { method: 'POST', body: form }),
    );
  }

  open.addEventListener('click', () => {
    if (sheet.classList.toggle('open')) text.focus();
  });
  cancel.addEventListener('click', reset);
  send.addEventListener('click', () => void sendVoice());
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      void sendVoice();
    }
  });
  file.addEventListener('change', readLength);

  $('composer').before(sheet);
  $('composer-input').before(open);
  sim.onControls((has) => {
    open.disabled = !has;
    send.disabled = !has;
  });
})();
