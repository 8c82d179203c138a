/* global window, document */
'use strict';
/**
 * LINE stickers in the simulator (issue #14), loaded by simulator.html after simulator.js and
 * built on window.devSimulator. The 😊 button in the composer opens a row of stickers; a tap
 * posts POST /dev/api/users/:id/sticker (api/dev/routes-users.ts), a signed message event of
 * type "sticker" with LINE's package and sticker IDs. The page draws them as emoji (it loads
 * nothing from LINE); the user's bubble is drawn by simulator-timeline.js (kind "sticker").
 */
(function () {
  const sim = window.devSimulator;
  if (!sim) return;
  const { $, el, state } = sim;
  /** A few of LINE's basic stickers (package 446), each shown as an emoji here. */
  const STICKERS = [
    { packageId: '446', stickerId: '1988', glyph: '😊', label: 'にっこり' },
    { packageId: '446', stickerId: '1989', glyph: '👍', label: 'いいね' },
    { packageId: '446', stickerId: '1990', glyph: '😢', label: 'かなしい' },
    { packageId: '446', stickerId: '1991', glyph: '🎉', label: 'おめでとう' },
  ];

  document.head.append(
    el('style', {
      text:
        '.sticker-picker { display: none; gap: 8px; padding: 8px 12px; background: #fff;' +
        ' border-top: 1px solid #e3e6ea; }' +
        '.sticker-picker.open { display: flex; }' +
        '.sticker-picker button { font-size: 28px; padding: 4px 10px; }' +
        '.composer .stickers { border: 0; background: none; padding: 4px; font-size: 20px; }' +
        '.line-sticker { font-size: 64px; line-height: 1.1; padding: 2px 4px; }',
    }),
  );

  /** How the timeline draws a sent sticker (an unknown one as a generic glyph). */
  state.stickerGlyph = (e) => {
    const known = STICKERS.find((s) => s.packageId === e.packageId && s.stickerId === e.stickerId);
    return known ? known.glyph : '🧸';
  };

  const picker = el(
    'div',
    { class: 'sticker-picker', 'data-testid': 'sticker-picker', 'aria-label': 'スタンプ' },
    ...STICKERS.map((s) =>
      el('button', {
        type: 'button',
        'data-testid': 'sticker-option',
        'data-sticker': s.packageId + '/' + s.stickerId,
        title: s.label + '（' + s.packageId + '/' + s.stickerId + '）',
        text: s.glyph,
        onclick: () => {
          picker.classList.remove('open');
          void sim.action('スタンプを送信', () =>
            sim.postJson(sim.userPath('/sticker'), {
              packageId: s.packageId,
              stickerId: s.stickerId,
            }),
          );
        },
      }),
    ),
  );
  const open = el('button', {
    type: 'button',
    class: 'icon stickers',
    'data-testid': 'sticker-open',
    title: 'LINE スタンプを送る',
    text: '😊',
    onclick: () => picker.classList.toggle('open'),
  });

  $('composer').before(picker);
  $('composer-input').before(open);
  sim.onControls((has) => {
    open.disabled = !has;
    if (!has) picker.classList.remove('open');
  });
})();
