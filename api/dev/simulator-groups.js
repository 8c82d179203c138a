/* global window, document, MutationObserver */
'use strict';
/**
 * The simulator's group chats (issue #14), loaded by simulator.html after simulator.js and built
 * on window.devSimulator. The グループ section makes a group (or a multi-person room) of
 * simulated users, opens it instead of the one-to-one chat, adds the bot (join) or removes it
 * (leave), and picks the member who writes. In a group the composer gets an "@Bot" toggle: on,
 * the message starts with "@<bot name>" and carries LINE's mention of the bot (isSelf). The
 * server side is api/dev/routes-groups.ts; the chat is drawn by simulator-timeline.js (the
 * chosen member on the right, the others on the left with their names).
 */
(function () {
  const sim = window.devSimulator;
  if (!sim) return;
  const { $, el, api, action, postJson, state } = sim;
  const local = { groups: [], botName: 'Bot', prefixes: [], open: null, sender: '' };
  const placeholder = $('composer-input').placeholder;

  document.head.append(
    el('style', {
      text:
        '.group-members { display: flex; flex-wrap: wrap; gap: 4px 10px; font-size: 12px; }' +
        '.group-members label { display: flex; gap: 4px; align-items: center; }' +
        '.member-list { list-style: none; margin: 6px 0 0; padding: 0; font-size: 12px; }' +
        '.member-list li { display: flex; justify-content: space-between; padding: 2px 0; }' +
        '.member-list .points { font-variant-numeric: tabular-nums; }' +
        '.composer .mention-toggle { display: flex; align-items: center; gap: 2px;' +
        ' font-size: 12px; color: #5f6b7a; white-space: nowrap; }' +
        '.bubble .mention { color: #2a6fd6; font-weight: 600; }' +
        '.avatar.member { background: #ffd9a8; color: #7a4a00; }',
    }),
  );

  // ---------- the panel section ----------
  const groupSelect = el('select', {
    id: 'group-select',
    'data-testid': 'group-select',
    'aria-label': 'トークを選択',
  });
  const memberPick = el('div', { class: 'group-members', 'data-testid': 'group-member-pick' });
  const typeSelect = el(
    'select',
    { id: 'group-type', 'data-testid': 'group-type', 'aria-label': '種類' },
    el('option', { value: 'group', text: 'グループ' }),
    el('option', { value: 'room', text: 'トークルーム' }),
  );
  const nameInput = el('input', {
    type: 'text',
    id: 'group-name',
    'data-testid': 'group-name',
    placeholder: 'グループ名（任意）',
    maxlength: 20,
  });
  const newGroup = el('button', {
    type: 'button',
    id: 'new-group',
    'data-testid': 'new-group',
    text: 'グループ作成',
    onclick: () => void create(),
  });
  const groupId = el('code', { class: 'uid', 'data-testid': 'current-group-id' });
  const join = el('button', {
    type: 'button',
    'data-testid': 'group-join',
    class: 'primary',
    text: 'Bot を追加 (join)',
    onclick: () => void botAction('join', 'Bot を追加'),
  });
  const leave = el('button', {
    type: 'button',
    'data-testid': 'group-leave',
    text: 'Bot を退出 (leave)',
    onclick: () => void botAction('leave', 'Bot を退出'),
  });
  const senderSelect = el('select', {
    'data-testid': 'group-sender',
    'aria-label': '送信するメンバー',
    onchange: (e) => setSender(e.target.value),
  });
  const memberList = el('ul', { class: 'member-list', 'data-testid': 'group-members' });
  const workflowList = el('ul', { class: 'workflows', 'data-testid': 'group-workflows' });
  const controls = el(
    'div',
    { hidden: true },
    el('div', { class: 'row' }, groupId),
    el('div', { class: 'row' }, join, leave),
    el('div', { class: 'row' }, el('span', { class: 'hint', text: '送信者' }), senderSelect),
    memberList,
    workflowList,
  );
  const section = el(
    'section',
    { 'data-testid': 'groups' },
    el('h2', { text: 'グループ' }),
    el('div', { class: 'row' }, groupSelect),
    el('div', { class: 'hint', text: 'メンバー（作成済みのユーザー）' }),
    memberPick,
    el('div', { class: 'row' }, typeSelect, nameInput, newGroup),
    controls,
  );
  document.querySelector('.panel section').after(section);

  // The "@Bot" toggle in the composer, shown in a group only.
  const mention = el('input', {
    type: 'checkbox',
    id: 'mention-bot',
    'data-testid': 'mention-bot',
  });
  const mentionLabel = el(
    'label',
    { class: 'mention-toggle', for: 'mention-bot', title: 'Bot をメンションする' },
    mention,
    '@Bot',
  );
  $('composer-input').before(mentionLabel);
  // Its own display rule (flex) would override the hidden attribute: shown or not by style.
  const showMention = (on) => (mentionLabel.style.display = on ? '' : 'none');
  showMention(false);

  // ---------- state ----------
  const nameOf = (lineUserId) => {
    const g = local.open;
    const i = g ? g.members.indexOf(lineUserId) : -1;
    const name = i >= 0 ? g.memberNames[i] : null;
    return name || lineUserId.slice(0, 9) + '…';
  };
  state.memberName = nameOf;

  /** The users to pick from: the user list of the ユーザー section (its options). */
  function renderMemberPick() {
    const checked = new Set([...memberPick.querySelectorAll('input:checked')].map((i) => i.value));
    const users = [...$('user-select').options].filter((o) => /^U[0-9a-f]{32}$/.test(o.value));
    memberPick.replaceChildren(
      ...users.map((o) =>
        el(
          'label',
          {},
          el('input', {
            type: 'checkbox',
            value: o.value,
            'data-testid': 'group-member-option',
            checked: checked.has(o.value),
          }),
          o.textContent,
        ),
      ),
    );
  }
  new MutationObserver(renderMemberPick).observe($('user-select'), { childList: true });

  function renderGroupSelect() {
    groupSelect.replaceChildren(
      el('option', { value: '', text: '— 1:1 トーク（上のユーザー）—' }),
      ...local.groups.map((g) =>
        el('option', {
          value: g.chatId,
          text: (g.type === 'room' ? '[ルーム] ' : '[グループ] ') + g.name,
        }),
      ),
    );
    groupSelect.value = local.open ? local.open.chatId : '';
  }

  async function loadGroups() {
    const { botName, prefixes, groups } = await api('/dev/api/groups');
    local.botName = botName;
    local.prefixes = prefixes;
    local.groups = groups;
    if (local.open) {
      const fresh = groups.find((g) => g.chatId === local.open.chatId);
      if (fresh) local.open = fresh;
    }
    renderGroupSelect();
  }

  function setSender(lineUserId) {
    local.sender = lineUserId;
    state.viewer = lineUserId;
    state.renderedKey = '';
    updateHeader();
    void sim.poll(true);
  }

  function updateHeader() {
    const g = local.open;
    document.querySelector('.chat-header .name').textContent = g ? g.name : 'AIスタンプ Bot';
    $('chat-who').textContent = g
      ? g.members.length + '人 · 送信者: ' + nameOf(local.sender) + (g.botIn ? '' : ' · Bot 不在')
      : state.current
        ? 'あなた: ' + state.current.slice(0, 12) + '…'
        : 'ユーザー未選択';
  }

  const groupPath = (suffix) => '/dev/api/groups/' + encodeURIComponent(local.open.chatId) + suffix;

  /** What simulator.js calls for the open group (see openChat there). */
  const chat = {
    timelinePath: () => groupPath('/timeline?as=' + encodeURIComponent(local.sender)),
    post(suffix, body, typed) {
      const withMention = suffix === '/text' && typed && mention.checked;
      if (typed) mention.checked = false;
      return postJson(groupPath(suffix), {
        ...body,
        from: local.sender,
        ...(withMention ? { mention: true } : {}),
      });
    },
    render(t) {
      local.open = { ...local.open, ...t.group };
      join.disabled = t.group.botIn;
      leave.disabled = !t.group.botIn;
      memberList.replaceChildren(
        ...t.members.map((m) =>
          el(
            'li',
            { 'data-testid': 'group-member', 'data-user': m.lineUserId },
            el('span', { text: nameOf(m.lineUserId) }),
            el('span', {
              class: 'points',
              'data-testid': 'group-member-balance',
              text: m.balance === null ? '—' : m.balance.toLocaleString('ja-JP') + ' pt',
            }),
          ),
        ),
      );
      workflowList.replaceChildren(
        ...t.workflows.map((w) =>
          el(
            'li',
            {},
            el('a', { href: w.url, target: '_blank', rel: 'noopener', text: w.workflowId }),
          ),
        ),
      );
      updateHeader();
    },
  };

  function open(chatId) {
    const g = local.groups.find((x) => x.chatId === chatId);
    local.open = g || null;
    controls.hidden = !g;
    showMention(Boolean(g));
    // How the bot is called in a group: the mention, or a text starting with a prefix.
    const prefix = local.prefixes.find((p) => !p.startsWith('@')) || local.prefixes[0];
    $('composer-input').placeholder = g
      ? '@Bot' + (prefix ? ' か「' + prefix + '…」' : '') + 'で Bot に'
      : placeholder;
    $('composer-input').title = g
      ? 'Bot が答えるのはメンション、または次で始まるメッセージ: ' + local.prefixes.join(' ')
      : '';
    mention.checked = false;
    if (g) {
      groupId.textContent = g.chatId;
      senderSelect.replaceChildren(
        ...g.members.map((m) => el('option', { value: m, text: nameOf(m) })),
      );
      local.sender = g.members.includes(local.sender) ? local.sender : g.members[0];
      senderSelect.value = local.sender;
      state.viewer = local.sender;
      join.disabled = g.botIn;
      leave.disabled = !g.botIn;
    } else {
      state.viewer = undefined;
    }
    groupSelect.value = g ? g.chatId : '';
    sim.openChat(g ? { chatId: g.chatId, ...chat } : null);
    updateHeader();
  }

  // ---------- actions ----------
  async function create() {
    const members = [...memberPick.querySelectorAll('input:checked')].map((i) => i.value);
    const name = nameInput.value.trim();
    const group = await action('グループ作成', () =>
      postJson('/dev/api/groups', { type: typeSelect.value, members, ...(name ? { name } : {}) }),
    );
    if (!group) return;
    nameInput.value = '';
    for (const box of memberPick.querySelectorAll('input:checked')) box.checked = false;
    await loadGroups();
    open(group.chatId);
  }

  async function botAction(kind, label) {
    if (!local.open) return;
    await action(label, () => postJson(groupPath('/' + kind)));
    await loadGroups();
  }

  // Another user (or the 1:1 choice) picked: the one-to-one chat again.
  sim.onChat((group) => {
    if (!group && local.open) open('');
  });
  groupSelect.addEventListener('change', () => open(groupSelect.value));
  renderMemberPick();
  void loadGroups().catch((err) => sim.setStatus('グループ一覧: ' + err.message, true));
})();
