/* global window, document, location, history, Node */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    info: null,
    current: '',
    renderedKey: '',
    polling: false,
    busy: 0,
    photoFile: null,
    photoUrl: '',
    /** The product whose buy postback was tapped last (its payment can be simulated). */
    lastBuy: '',
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setStatus(text, isError) {
    const s = $('status');
    s.textContent = text || '';
    s.className = 'status' + (isError ? ' error' : '');
  }

  async function api(path, options) {
    const res = await fetch(path, options);
    const text = await res.text();
    let body;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { error: text };
    }
    if (!res.ok) {
      const message = (body && (body.error || body.message)) || res.statusText;
      throw new Error(res.status + ': ' + message);
    }
    return body;
  }
  const postJson = (path, body) =>
    api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    });

  const userPath = (suffix) => '/dev/api/users/' + encodeURIComponent(state.current) + suffix;

  /**
   * The group chat shown instead of the user's one-to-one chat (simulator-groups.js), or null:
   * { chatId, timelinePath(), post(suffix, body, typed), render(timeline) }.
   */
  let groupChat = null;
  /** Called with the group chat (or null) whenever the shown chat changes. */
  const chatHooks = [];
  const chatPost = (suffix, body, typed) =>
    groupChat ? groupChat.post(suffix, body, typed) : postJson(userPath(suffix), body);
  function openChat(group) {
    groupChat = group || null;
    state.renderedKey = '';
    renderEmptyChat();
    updateControls();
    for (const hook of chatHooks) hook(groupChat);
    void poll(true);
  }

  async function action(label, fn) {
    state.busy++;
    updateControls();
    setStatus(label + '…');
    try {
      const result = await fn();
      setStatus(label + ': OK');
      await poll(true);
      await loadUsers().catch(() => undefined);
      return result;
    } catch (err) {
      setStatus(label + ': ' + err.message, true);
    } finally {
      state.busy--;
      updateControls();
    }
  }

  /** Called with "is a user selected" whenever the controls change (simulator-voice.js). */
  const controlHooks = [];

  function updateControls() {
    // In a group the chosen member writes; photos, voice, follow and purchases are 1:1 only.
    const has = Boolean(state.current) && !groupChat;
    $('follow').disabled = !has;
    $('composer-input').disabled = !has && !groupChat;
    $('send').disabled = !has && !groupChat;
    $('send-photo').disabled = !has || !state.photoFile;
    document.querySelector('label[for="photo-input"]').style.display = groupChat ? 'none' : '';
    for (const b of document.querySelectorAll('.products button')) b.disabled = !has;
    for (const hook of controlHooks) hook(has);
  }

  // ---------- info, users ----------
  async function loadInfo() {
    const info = await api('/dev/api/info');
    state.info = info;
    const banner = $('banner');
    if (!info.standIn.ok) {
      banner.hidden = false;
      banner.textContent =
        'LINE スタンドインに接続できません (' +
        info.standIn.url +
        ')。npm run dev を LINE の認証情報なしで起動してください。';
    } else {
      banner.hidden = true;
    }
    const products = $('products');
    products.replaceChildren(
      ...info.products.map((p) =>
        el(
          'button',
          {
            'data-testid': 'buy-' + p.id,
            'data-product': p.id,
            class: p.kind === 'points' ? 'points' : 'tickets',
            onclick: () => buy(p),
          },
          el('span', { class: 'kind ' + p.kind, text: p.kind === 'points' ? 'P' : '券' }),
          p.name,
          el('span', { class: 'price', text: '¥' + p.priceYen.toLocaleString('ja-JP') }),
        ),
      ),
    );
    updateControls();
  }

  async function loadUsers() {
    const { users } = await api('/dev/api/users');
    const select = $('user-select');
    const options = [el('option', { value: '', text: '— ユーザーを選択 —' })];
    for (const u of users) {
      const label =
        (u.displayName ? u.displayName + ' · ' : '') +
        u.lineUserId.slice(0, 9) +
        '…' +
        (u.deleted ? '（ブロック中）' : u.inDatabase ? '' : '（新規）');
      options.push(el('option', { value: u.lineUserId, text: label }));
    }
    if (state.current && !users.some((u) => u.lineUserId === state.current)) {
      options.push(el('option', { value: state.current, text: state.current.slice(0, 9) + '…' }));
    }
    select.replaceChildren(...options);
    select.value = state.current;
  }

  function selectUser(lineUserId) {
    state.current = lineUserId || '';
    state.renderedKey = '';
    if (groupChat) {
      groupChat = null;
      for (const hook of chatHooks) hook(null);
    }
    $('user-select').value = state.current;
    $('current-user-id').textContent = state.current || '未選択';
    $('chat-who').textContent = state.current
      ? 'あなた: ' + state.current.slice(0, 12) + '…'
      : 'ユーザー未選択';
    if (state.current) {
      localStorage.setItem('simulator.user', state.current);
      history.replaceState(null, '', '#' + state.current);
    }
    for (const id of ['balance', 'usage', 'tickets', 'plan']) $(id).textContent = '—';
    $('held').textContent = '';
    $('reset').textContent = '';
    $('workflows').replaceChildren();
    $('user-workflows').hidden = true;
    renderEmptyChat();
    updateControls();
    void poll(true);
  }

  function renderEmptyChat() {
    $('chat').replaceChildren(
      el('div', {
        class: 'empty',
        text: groupChat
          ? '「Bot を追加 (join)」のあと、メンバーとして話しかけてみましょう（@ でメンション）。'
          : state.current
            ? '「友だち追加」を押すか、メッセージを送ってみましょう。'
            : '左のパネルでユーザーを作成し、友だち追加してから話しかけてください。',
      }),
    );
  }

  // ---------- actions ----------
  async function newUser() {
    const displayName = $('display-name').value.trim();
    const user = await action('ユーザー作成', () =>
      postJson('/dev/api/users', displayName ? { displayName } : {}),
    );
    if (!user) return;
    $('display-name').value = '';
    state.current = user.lineUserId;
    await loadUsers();
    selectUser(user.lineUserId);
  }

  function follow() {
    return action('友だち追加', () => postJson(userPath('/follow')));
  }

  async function sendText(event) {
    event.preventDefault();
    const input = $('composer-input');
    const text = input.value;
    if (!text.trim() || (!state.current && !groupChat)) return;
    input.value = '';
    await action('送信', () => chatPost('/text', { text }, true));
    input.focus();
  }

  function pickPhoto() {
    const file = $('photo-input').files[0];
    if (!file) return;
    if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
    state.photoFile = file;
    state.photoUrl = URL.createObjectURL(file);
    $('photo-preview').src = state.photoUrl;
    $('photo-sheet').classList.add('open');
    $('sticker-texts').focus();
    updateControls();
  }

  function closePhoto() {
    $('photo-sheet').classList.remove('open');
    $('photo-input').value = '';
    state.photoFile = null;
    updateControls();
  }

  async function sendPhoto() {
    if (!state.photoFile || !state.current) return;
    const form = new FormData();
    form.append('image', state.photoFile);
    form.append('texts', $('sticker-texts').value);
    closePhoto();
    $('sticker-texts').value = '';
    await action('写真を送信', () => api(userPath('/photo'), { method: 'POST', body: form }));
  }

  function buy(product) {
    return action('購入 ' + product.name, () =>
      postJson(userPath('/buy'), { productId: product.id }),
    );
  }

  /**
   * A tap on one of the bot's buttons, as in LINE: a message action sends its text, a
   * postback sends a postback event (its displayText shown as the user's message), a URI
   * opens its page. Returns false for kinds the simulator cannot send.
   */
  function tap(o) {
    if (!state.current && !groupChat) return false;
    if (o.type === 'message' && o.text) {
      void action('送信', () => chatPost('/text', { text: o.text }, false));
      return true;
    }
    if (o.type === 'postback' && o.data) {
      const pick = new URLSearchParams(o.data);
      if (pick.get('action') === 'buy') state.lastBuy = pick.get('product') || '';
      void action('ボタン', () =>
        chatPost('/postback', {
          data: o.data,
          ...(o.displayText ? { displayText: o.displayText } : {}),
        }),
      );
      return true;
    }
    return false;
  }

  const tappable = (o) => (o.type === 'message' && o.text) || (o.type === 'postback' && o.data);

  const { renderChat, renderAccount, renderWorkflows } = window.createSimulatorTimeline({
    $,
    el,
    state,
    buy,
    renderEmptyChat,
    tap,
    tappable,
    userPath,
  });

  async function poll(force) {
    const group = groupChat;
    if ((!state.current && !group) || (state.polling && !force)) return;
    state.polling = true;
    const user = state.current;
    try {
      const t = await api(
        group ? group.timelinePath() : '/dev/api/users/' + encodeURIComponent(user) + '/timeline',
      );
      if (user !== state.current || group !== groupChat) return;
      renderChat(t);
      renderAccount(t.account);
      if (group) group.render(t);
      else renderWorkflows(t);
    } catch (err) {
      setStatus('更新に失敗: ' + err.message, true);
    } finally {
      state.polling = false;
    }
  }

  // What the voice message sheet (simulator-voice.js, loaded after this script) builds on.
  window.devSimulator = {
    $,
    el,
    api,
    action,
    setStatus,
    userPath,
    postJson,
    poll,
    state,
    openChat,
    onChat(hook) {
      chatHooks.push(hook);
    },
    hasUser: () => Boolean(state.current),
    onControls(hook) {
      controlHooks.push(hook);
      hook(Boolean(state.current));
    },
  };

  // ---------- wiring ----------
  $('new-user').addEventListener('click', () => void newUser());
  $('follow').addEventListener('click', () => void follow());
  $('composer').addEventListener('submit', (e) => void sendText(e));
  $('photo-input').addEventListener('change', pickPhoto);
  $('photo-cancel').addEventListener('click', closePhoto);
  $('send-photo').addEventListener('click', () => void sendPhoto());
  $('user-select').addEventListener('change', (e) => selectUser(e.target.value));
  setInterval(() => void poll(false), 1000);

  (async () => {
    try {
      await loadInfo();
      const wanted = location.hash.slice(1) || localStorage.getItem('simulator.user') || '';
      if (/^U[0-9a-f]{32}$/.test(wanted)) state.current = wanted;
      await loadUsers();
      if (state.current) selectUser(state.current);
      document.body.dataset.ready = 'true';
    } catch (err) {
      setStatus('初期化に失敗: ' + err.message, true);
    }
  })();
})();
