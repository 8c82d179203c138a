/* global window */
'use strict';
/**
 * The simulator's timeline (loaded before simulator.js): what the user sent and what the bot
 * answered, drawn as LINE draws it (texts, images, quick replies as buttons, Flex as cards), the
 * account panel and the workflow links. Built on the page script's helpers and state.
 */
window.createSimulatorTimeline = function (sim) {
  const { $, el, state, buy, renderEmptyChat, tap, tappable, userPath } = sim;
  // ---------- timeline ----------
  const time = (iso) =>
    new Date(iso).toLocaleTimeString('ja-JP', { hour: '2-digit', minute: '2-digit' });

  function workflowLinks(list) {
    return (list || []).map((w) =>
      el(
        'a',
        { href: w.url, target: '_blank', rel: 'noopener', title: w.workflowId },
        'workflow ↗',
      ),
    );
  }

  function buildItems(t) {
    const items = [];
    for (const e of t.sent) {
      items.push({ at: e.at, order: 0, key: 'u' + e.id + e.workflows.length, user: e });
    }
    for (const r of t.bot) {
      items.push({ at: r.at, order: 1, key: 'b' + r.seq, bot: r });
    }
    items.sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order);
    return items;
  }

  function renderChat(t) {
    const chat = $('chat');
    const items = buildItems(t);
    const lastBot = t.bot[t.bot.length - 1];
    const typing =
      lastBot && lastBot.kind === 'loading' && Date.now() - Date.parse(lastBot.at) < 60000;
    const key = items.map((i) => i.key).join(',') + (typing ? '+typing' : '');
    if (key === state.renderedKey) return;
    state.renderedKey = key;
    const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
    if (items.length === 0) {
      renderEmptyChat();
      return;
    }
    const nodes = [];
    let previous = '';
    // The newest item drawn (typing indicators are not): only its card offers a payment.
    const lastShown = [...items].reverse().find((i) => i.user || i.bot.kind !== 'loading');
    for (const item of items) {
      if (item.user) {
        // In a group: the member chosen as sender on the right, the others on the left.
        const side =
          item.user.from && item.user.from !== state.viewer ? 'member:' + item.user.from : 'user';
        nodes.push(...renderSent(item.user, previous === side));
        previous = ['text', 'photo', 'audio', 'postback', 'sticker'].includes(item.user.kind)
          ? side
          : '';
      } else if (item.bot.kind !== 'loading') {
        const latest = item === lastShown;
        item.bot.messages.forEach((m, i) =>
          nodes.push(renderBot(item.bot, m, previous === 'bot' || i > 0, latest)),
        );
        previous = 'bot';
      }
    }
    if (typing) {
      nodes.push(
        el(
          'div',
          { class: 'msg bot', 'data-testid': 'typing' },
          el('div', { class: 'avatar' + (previous === 'bot' ? ' hidden' : '') }, 'AI'),
          el(
            'div',
            { class: 'stack' },
            el('div', { class: 'bubble first typing' }, el('span'), el('span'), el('span')),
          ),
        ),
      );
    }
    chat.replaceChildren(...nodes);
    renderQuickReplies(items);
    if (nearBottom || state.busy) chat.scrollTop = chat.scrollHeight;
  }

  /**
   * As in LINE: the quick reply of the bot's latest message, only while nothing came after
   * it. A "message" button sends its text as the user, a "postback" button its data;
   * other kinds are shown disabled.
   */
  function renderQuickReplies(items) {
    const bar = $('quick-replies');
    // A loading indicator (the bot still working, e.g. after its 「回答を受け取る」 notice)
    // does not take the buttons away.
    const shown = items.filter((i) => i.user || i.bot.kind !== 'loading');
    const last = shown[shown.length - 1];
    const message = last && last.bot ? last.bot.messages[last.bot.messages.length - 1] : null;
    const options = (message && message.quickReply) || [];
    bar.hidden = options.length === 0;
    bar.replaceChildren(
      ...options.map((o) =>
        el('button', {
          type: 'button',
          'data-testid': 'quick-reply-button',
          'data-action': o.type,
          text: o.label,
          disabled: !tappable(o),
          onclick: () => {
            if (tap(o)) bar.hidden = true;
          },
        }),
      ),
    );
  }

  function renderSent(e, continued) {
    if (e.kind === 'follow') {
      return [el('div', { class: 'notice' }, '友だち追加しました ', ...workflowLinks(e.workflows))];
    }
    if (e.kind === 'buy') {
      return [
        el(
          'div',
          { class: 'notice', 'data-testid': 'purchase-notice' },
          '購入: ' + e.productName + '（テスト決済完了） ',
          ...workflowLinks(e.workflows),
        ),
      ];
    }
    if (e.kind === 'join' || e.kind === 'leave') {
      const what = e.kind === 'join' ? 'Bot をグループに追加しました' : 'Bot が退出しました';
      return [
        el(
          'div',
          { class: 'notice', 'data-testid': 'group-notice' },
          what + ' (' + e.kind + ') ',
          ...workflowLinks(e.workflows),
        ),
      ];
    }
    if (e.kind === 'postback' && !e.text) {
      const who = e.from && state.memberName ? state.memberName(e.from) + ' が' : '';
      return [
        el('div', { class: 'notice' }, who + 'ボタンを押しました ', ...workflowLinks(e.workflows)),
      ];
    }
    const content =
      e.kind === 'audio'
        ? el(
            'div',
            { class: 'bubble' + (continued ? '' : ' first'), 'data-testid': 'user-voice' },
            '🎤 音声メッセージ (' + e.seconds + '秒)',
            e.spoken || e.fileName
              ? el('small', { text: e.spoken ? '「' + e.spoken + '」' : e.fileName })
              : null,
          )
        : e.kind === 'sticker'
          ? el('div', {
              class: 'line-sticker',
              'data-testid': 'user-sticker',
              title: 'LINE スタンプ ' + e.packageId + '/' + e.stickerId,
              text: state.stickerGlyph ? state.stickerGlyph(e) : '🧸',
            })
          : e.kind === 'photo'
            ? el('img', {
                class: 'image',
                src: userPath('/photos/' + encodeURIComponent(e.photoMessageId)),
                alt: '送信した写真',
              })
            : el('div', { class: 'bubble' + (continued ? '' : ' first') }, ...withMention(e));
    if (e.from && e.from !== state.viewer) return [renderMember(e, content, continued)];
    return [
      el(
        'div',
        { class: 'msg user', 'data-testid': 'user-message', 'data-from': e.from },
        el('div', { class: 'stack' }, content),
        el(
          'div',
          { class: 'meta' },
          ...workflowLinks(e.workflows),
          el('span', { text: time(e.at) }),
        ),
      ),
    ];
  }

  /** A group message's text with its "@<bot name>" mention marked, as LINE shows it. */
  function withMention(e) {
    const m = e.mention;
    if (!m || typeof e.text !== 'string') return [e.text];
    const { index, length } = m;
    return [
      e.text.slice(0, index),
      el('span', { class: 'mention', text: e.text.slice(index, index + length) }),
      e.text.slice(index + length),
    ];
  }

  /** Another member's message in a group: on the left, with the member's name. */
  function renderMember(e, content, continued) {
    const name = state.memberName ? state.memberName(e.from) : e.from.slice(0, 9);
    return el(
      'div',
      { class: 'msg bot member', 'data-testid': 'member-message', 'data-from': e.from },
      el('div', { class: 'avatar member' + (continued ? ' hidden' : '') }, name.slice(0, 1)),
      el(
        'div',
        { class: 'stack' },
        continued ? null : el('div', { class: 'sender', text: name }),
        content,
      ),
      el('div', { class: 'meta' }, ...workflowLinks(e.workflows), el('span', { text: time(e.at) })),
    );
  }

  /** Text with its URLs as links; long ones (presigned S3 links) shown shortened. */
  function linkify(text) {
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(/https?:\/\/[^\s]+/g)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      const url = match[0];
      let label = url;
      if (url.length > 48) {
        try {
          const u = new URL(url);
          const file = u.pathname.split('/').filter(Boolean).pop() || '';
          label = u.host + '/…/' + file;
        } catch {
          label = url.slice(0, 45) + '…';
        }
      }
      parts.push(
        el('a', { href: url, target: '_blank', rel: 'noopener', title: url, text: label }),
      );
      last = match.index + url.length;
    }
    if (last < text.length) parts.push(text.slice(last));
    return parts;
  }

  /** A Flex message's bubbles as cards with their buttons (api/dev/flex-view.ts). */
  function renderCards(cards, payable) {
    return el(
      'div',
      { class: 'cards', 'data-testid': 'flex-cards' },
      ...cards.map((c) =>
        el(
          'div',
          {
            class: 'card' + (cards.length === 1 ? ' single' : ''),
            'data-testid': 'flex-card',
          },
          c.image ? el('img', { src: c.image, alt: '', loading: 'lazy' }) : null,
          el('div', { class: 'texts' }, ...c.texts.map((t) => el('span', { text: t }))),
          el(
            'div',
            { class: 'buttons' },
            ...c.buttons.map((b) =>
              b.type === 'uri' && b.uri
                ? el('a', {
                    href: b.uri,
                    target: '_blank',
                    rel: 'noopener',
                    'data-testid': 'flex-link',
                    text: b.label,
                  })
                : el('button', {
                    type: 'button',
                    'data-testid': 'flex-button',
                    'data-action': b.type,
                    text: b.label,
                    disabled: !tappable(b),
                    onclick: () => tap(b),
                  }),
            ),
            // The simulator stands in for Stripe's page: pay this pick with the test key.
            payable && c.buttons.some((b) => b.type === 'uri')
              ? el('button', {
                  type: 'button',
                  class: 'simulated',
                  'data-testid': 'simulate-payment',
                  text: 'テスト決済で支払う（シミュレーター）',
                  onclick: () => {
                    state.lastBuy = '';
                    void buy(payable);
                  },
                })
              : null,
          ),
        ),
      ),
    );
  }

  function renderBot(r, m, continued, latest) {
    let content;
    if (m.cards) {
      const payable =
        latest && state.info ? state.info.products.find((p) => p.id === state.lastBuy) : undefined;
      content = renderCards(m.cards, payable);
    } else if (m.type === 'image' && m.originalContentUrl) {
      content = el(
        'a',
        { href: m.originalContentUrl, target: '_blank', rel: 'noopener' },
        el('img', {
          class: 'image sticker',
          'data-testid': 'bot-image',
          src: m.previewImageUrl || m.originalContentUrl,
          alt: 'ボットからの画像',
          onload: (e) => {
            const img = e.target;
            if (img.naturalWidth > 1.5 * img.naturalHeight) img.classList.add('wide');
          },
        }),
      );
    } else {
      const text =
        m.text !== undefined
          ? m.text
          : m.altText
            ? '[' + m.type + '] ' + m.altText
            : '[' + m.type + ']';
      content = el(
        'div',
        { class: 'bubble' + (continued ? '' : ' first'), 'data-testid': 'bot-text' },
        ...linkify(text),
      );
    }
    return el(
      'div',
      { class: 'msg bot' },
      el('div', { class: 'avatar' + (continued ? ' hidden' : '') }, 'AI'),
      el(
        'div',
        { class: 'stack' },
        continued ? null : el('div', { class: 'sender', text: 'AIスタンプ Bot' }),
        content,
      ),
      el(
        'div',
        { class: 'meta' },
        el('span', { text: r.kind === 'push' ? 'push' : '' }),
        el('span', { text: time(r.at) }),
      ),
    );
  }

  function renderAccount(a) {
    if (!a) {
      for (const id of ['balance', 'usage', 'tickets', 'plan']) $(id).textContent = '—';
      $('held').textContent = 'まだ登録されていません';
      $('reset').textContent = '';
      return;
    }
    $('plan').textContent = a.planName + (a.deleted ? '（ブロック中）' : '');
    $('tickets').textContent = a.tickets + ' 枚';
    if (a.balance) {
      $('balance').textContent = a.balance.balance.toLocaleString('ja-JP') + ' pt';
      $('held').textContent = a.balance.held ? '予約中 ' + a.balance.held + ' pt' : '';
    } else {
      $('balance').textContent = '—';
      $('held').textContent = a.error || '';
    }
    if (a.usage) {
      const u = a.usage;
      $('usage').textContent =
        u.daily_limit === -1 ? '無制限' : u.remaining_count + ' / ' + u.daily_limit;
      // reset_time carries the service's zone offset (e.g. +09:00): show its own wall-clock time.
      $('reset').textContent = 'リセット ' + String(u.reset_time).slice(0, 16).replace('T', ' ');
    }
  }

  function renderWorkflows(t) {
    const link = $('user-workflows');
    link.href = t.temporal.userWorkflowsUrl;
    link.hidden = false;
    const list = t.workflows.map((w) =>
      el(
        'li',
        {},
        el('span', { class: 'type', text: w.type }),
        el('span', { class: 'badge ' + w.status, text: w.status }),
        el('a', {
          href: w.url,
          target: '_blank',
          rel: 'noopener',
          title: w.workflowId,
          text: w.workflowId,
        }),
      ),
    );
    if (t.workflowsError) list.push(el('li', { text: 'Temporal: ' + t.workflowsError }));
    if (list.length === 0) list.push(el('li', { text: 'まだありません' }));
    $('workflows').replaceChildren(...list);
  }

  return { renderChat, renderAccount, renderWorkflows };
};
