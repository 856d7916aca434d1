// The web chat page. Message text is never parsed as HTML: every piece is
// put into the page as a text node or an element built here, and links
// keep only http(s) and same-site addresses.
'use strict';

(function () {
  const STRINGS = {
    ru: {
      app_name: 'HR-чат',
      connecting: 'подключение…',
      online: 'бот на связи',
      offline: 'нет связи, переподключаемся…',
      hint: 'Это чат с ботом вашей компании. Ответы приходят сюда же.',
      messages: 'Сообщения',
      message_label: 'Сообщение',
      placeholder: 'Сообщение',
      send: 'Отправить',
      bot_said: 'Бот:',
      you_said: 'Вы:',
      you_pressed: 'Вы выбрали:',
      sending: 'отправляется…',
      sent: 'отправлено',
      failed: 'не отправлено',
      slow_down: 'слишком часто, подождите минуту',
      too_long: 'слишком длинное сообщение',
      retry: 'Повторить',
      file: 'Файл',
      buttons: 'Варианты ответа',
      stranger_title: 'Здравствуйте!',
      stranger: 'Это закрытый бот компании. Чтобы начать, попросите приглашение у HR.',
      join_title: 'Вход по приглашению',
      join_hint: 'Вставьте код или ссылку из приглашения, которое прислал HR.',
      code_label: 'Код приглашения',
      join_button: 'Войти',
      confirm_title: 'Приглашение в HR-чат',
      confirm_hint: 'Откройте чат с ботом вашей компании. Ссылка личная — не пересылайте её.',
      confirm_button: 'Открыть чат',
      error_title: 'Не получилось',
      error: 'Что-то пошло не так. Попробуйте ещё раз чуть позже.',
      back: 'Вернуться в чат',
      switch_to: 'Switch to English',
    },
    en: {
      app_name: 'HR chat',
      connecting: 'connecting…',
      online: 'bot is online',
      offline: 'offline, reconnecting…',
      hint: 'This is a chat with your company bot. Answers arrive here.',
      messages: 'Messages',
      message_label: 'Message',
      placeholder: 'Message',
      send: 'Send',
      bot_said: 'Bot:',
      you_said: 'You:',
      you_pressed: 'You chose:',
      sending: 'sending…',
      sent: 'sent',
      failed: 'not sent',
      slow_down: 'too fast, wait a minute',
      too_long: 'message too long',
      retry: 'Retry',
      file: 'File',
      buttons: 'Reply options',
      stranger_title: 'Hello!',
      stranger: 'This is a private company bot. To start, ask HR for an invitation.',
      join_title: 'Sign in with an invitation',
      join_hint: 'Paste the code or the link from the invitation HR sent you.',
      code_label: 'Invitation code',
      join_button: 'Sign in',
      confirm_title: 'Invitation to the HR chat',
      confirm_hint: 'Open the chat with your company bot. The link is personal: do not forward it.',
      confirm_button: 'Open the chat',
      error_title: 'Something went wrong',
      error: 'Please try again a little later.',
      back: 'Back to the chat',
      switch_to: 'Переключить на русский',
    },
  };

  const LANG_KEY = 'staffbot.lang';
  const body = document.body;
  let lang = 'ru';
  try {
    if (localStorage.getItem(LANG_KEY) === 'en') {
      lang = 'en';
    }
  } catch (e) { /* storage disabled: stay in Russian */ }

  function t(key) {
    return STRINGS[lang][key] || STRINGS.ru[key] || key;
  }

  function translate(root) {
    root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    root.querySelectorAll('[data-i18n-aria-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel)); });
    root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  }

  function applyLang() {
    document.documentElement.lang = lang;
    translate(document);
    // A join form tells the server the page's language, so that the bot's
    // first message (the consent) is in the language of the rest.
    document.querySelectorAll('input[name="lang"]').forEach((el) => { el.value = lang; });
    const btn = document.getElementById('lang');
    btn.textContent = lang === 'ru' ? 'EN' : 'RU';
    btn.setAttribute('aria-label', t('switch_to'));
    btn.title = t('switch_to');
    const company = document.getElementById('company');
    document.title = (company ? company.textContent + ' · ' : '') + t('app_name');
  }

  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'ru' ? 'en' : 'ru';
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (e) { /* the choice lasts for this page only */ }
    applyLang();
  });
  applyLang();

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/chat/sw.js', { scope: '/chat' }).catch(() => {});
  }

  if (body.dataset.state !== 'chat') {
    return;
  }

  // ---- Rendering text -------------------------------------------------

  function el(tag, className) {
    const e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    return e;
  }

  function safeHref(raw) {
    const s = String(raw || '').trim();
    if (!/^(https?:\/\/|\/(?![/\\]))/i.test(s)) {
      return null;
    }
    try {
      const u = new URL(s, location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(text, href) {
    const a = el('a');
    a.href = href;
    a.textContent = text;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  const URL_RE = /https?:\/\/[^\s<>"]+/gi;

  // appendPlain adds text with bare http(s) addresses made clickable.
  function appendPlain(parent, text) {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      let url = m[0];
      const trail = url.match(/[.,;:!?)\]»"']+$/);
      if (trail) {
        url = url.slice(0, -trail[0].length);
      }
      const href = safeHref(url);
      if (!href) {
        continue;
      }
      parent.append(document.createTextNode(text.slice(last, m.index)), link(url, href));
      last = m.index + url.length;
    }
    parent.append(document.createTextNode(text.slice(last)));
  }

  const WORD = /[\p{L}\p{N}]/u;

  function isWord(ch) {
    return ch !== undefined && WORD.test(ch);
  }

  // closing finds the marker that closes one opened at i: not after a
  // space, not inside a word, on the same line.
  function closing(s, i, mark) {
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === '\n') {
        return -1;
      }
      if (s[j] === mark && s[j - 1] !== ' ' && s[j - 1] !== '\\' && !isWord(s[j + 1])) {
        return j;
      }
    }
    return -1;
  }

  // A link's text may hold escaped brackets; its URL, balanced parentheses
  // or an escaped ")".
  const LINK_RE = /^\[((?:\\.|[^\]\\\n])+)\]\(((?:\\[^\s]|\([^()\s]*\)|[^()\s\\])+)\)/;
  const unescapeMarkup = (s) => s.replace(/\\([*_[\]()\\])/g, '$1');

  // appendMarkup renders the markup subset: *bold*, _italic_, [text](url),
  // with \ escaping a marker.
  function appendMarkup(parent, s, depth) {
    let plain = '';
    const flush = () => {
      if (plain) {
        appendPlain(parent, plain);
        plain = '';
      }
    };
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '\\' && '*_[]()\\'.includes(s[i + 1] || ' ')) {
        plain += s[i + 1];
        i++;
        continue;
      }
      if (c === '[') {
        const m = LINK_RE.exec(s.slice(i));
        const href = m && safeHref(unescapeMarkup(m[2]));
        if (href) {
          flush();
          parent.append(link(unescapeMarkup(m[1]), href));
          i += m[0].length - 1;
          continue;
        }
      }
      if ((c === '*' || c === '_') && depth < 3 && !isWord(s[i - 1]) && s[i + 1] && s[i + 1] !== ' ') {
        const j = closing(s, i, c);
        if (j > 0) {
          flush();
          const inner = el(c === '*' ? 'strong' : 'em');
          appendMarkup(inner, s.slice(i + 1, j), depth + 1);
          parent.append(inner);
          i = j;
          continue;
        }
      }
      plain += c;
    }
    flush();
  }

  // ---- The conversation -----------------------------------------------

  const scroller = document.getElementById('scroller');
  const list = document.getElementById('messages');
  const form = document.getElementById('composer');
  const input = document.getElementById('text');
  const status = document.getElementById('status');
  const statusText = document.getElementById('status-text');

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }

  function scrollDown() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // place puts a message in order. Bot messages are keyed by their id; a
  // message of the user by the id of the last bot message seen when it
  // was sent, plus a half, so it stays between the two bot messages.
  function place(li, key, follow) {
    li.dataset.key = String(key);
    const stick = follow || nearBottom();
    let ref = list.lastElementChild;
    while (ref && parseFloat(ref.dataset.key) > key) {
      ref = ref.previousElementSibling;
    }
    list.insertBefore(li, ref ? ref.nextElementSibling : list.firstElementChild);
    if (stick) {
      scrollDown();
    }
  }

  function said(key) {
    const s = el('span', 'sr-only');
    s.dataset.i18n = key;
    s.textContent = t(key) + ' ';
    return s;
  }

  function renderBot(m, follow) {
    const li = el('li', 'msg bot');
    const bubble = el('div', 'bubble');
    bubble.append(said('bot_said'));
    const text = el('span');
    if (m.format === 'markup') {
      appendMarkup(text, String(m.text || ''), 0);
    } else {
      appendPlain(text, String(m.text || ''));
    }
    bubble.append(text);
    const fileHref = m.file_url && safeHref(m.file_url);
    if (fileHref) {
      const a = link('📎 ' + (m.file_name || t('file')), fileHref);
      a.classList.add('file');
      bubble.append(el('br'), a);
    }
    li.append(bubble);

    const rows = Array.isArray(m.buttons) ? m.buttons : [];
    if (rows.length) {
      const chips = el('div', 'chips');
      chips.setAttribute('role', 'group');
      chips.dataset.i18nAriaLabel = 'buttons';
      chips.setAttribute('aria-label', t('buttons'));
      for (const row of rows) {
        const r = el('div', 'row');
        for (const b of Array.isArray(row) ? row : []) {
          const chip = chipFor(b);
          if (chip) {
            r.append(chip);
          }
        }
        chips.append(r);
      }
      li.append(chips);
    }
    place(li, m.id, follow);
  }

  function chipFor(b) {
    const label = String(b.text || '');
    if (b.url) {
      const href = safeHref(b.url);
      if (!href) {
        return null;
      }
      const a = link(label, href);
      a.className = 'chip';
      return a;
    }
    if (!b.data) {
      return null;
    }
    const btn = el('button', 'chip');
    btn.type = 'button';
    btn.textContent = label;
    btn.addEventListener('click', () => {
      btn.disabled = true;
      submit({ data: String(b.data), label: label }).finally(() => { btn.disabled = false; });
    });
    return btn;
  }

  // ---- What the user sent ---------------------------------------------
  // The server's transcript holds only the bot's messages, so the page
  // keeps the user's own in sessionStorage: they survive a reload of this
  // tab, in order, and go when the tab closes.

  const STORE_KEY = 'staffbot.sent.' + body.dataset.tag;
  const MAX_KEPT = 300;
  let sent = [];
  try {
    sent = JSON.parse(sessionStorage.getItem(STORE_KEY) || '[]');
    if (!Array.isArray(sent)) {
      sent = [];
    }
  } catch (e) {
    sent = [];
  }
  const nodes = new Map();

  function save() {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(sent.slice(-MAX_KEPT)));
    } catch (e) { /* storage full or disabled: the chat still works */ }
  }

  function newID() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function renderUser(entry, follow) {
    const li = el('li', entry.data ? 'msg user press' : 'msg user');
    const bubble = el('div', 'bubble');
    bubble.append(said(entry.data ? 'you_pressed' : 'you_said'));
    const text = el('span');
    appendPlain(text, entry.data ? entry.label : entry.text);
    bubble.append(text);
    li.append(bubble, el('div', 'meta'));
    nodes.set(entry.id, li);
    showState(entry);
    place(li, entry.after + 0.5, follow);
  }

  function showState(entry) {
    const li = nodes.get(entry.id);
    if (!li) {
      return;
    }
    const meta = li.querySelector('.meta');
    meta.replaceChildren();
    li.classList.toggle('failed', entry.state === 'failed');
    if (entry.state === 'pending') {
      meta.textContent = t('sending');
    } else if (entry.state === 'failed') {
      const why = el('span');
      why.textContent = entry.problem ? t(entry.problem) : t('failed');
      const retry = el('button', 'retry');
      retry.type = 'button';
      retry.textContent = t('retry');
      retry.addEventListener('click', () => { deliver(entry); });
      meta.append(why, retry);
    }
  }

  let lastID = 0;

  function submit(what) {
    const entry = {
      id: newID(),
      text: what.text || '',
      data: what.data || '',
      label: what.label || '',
      after: lastID,
      state: 'pending',
    };
    sent.push(entry);
    save();
    renderUser(entry, true);
    return deliver(entry);
  }

  // deliver sends an entry, again under the same id when retried, so the
  // bot sees it once however many times it goes out.
  async function deliver(entry) {
    entry.state = 'pending';
    entry.problem = '';
    showState(entry);
    const payload = { id: entry.id, lang: lang };
    if (entry.data) {
      payload.data = entry.data;
    } else {
      payload.text = entry.text;
    }
    try {
      const res = await fetch('/chat/api/send', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'staffbot' },
        body: JSON.stringify(payload),
      });
      if (res.status === 401) {
        location.reload();
        return;
      }
      if (res.status === 429) {
        entry.problem = 'slow_down';
      } else if (res.status === 413) {
        entry.problem = 'too_long';
      }
      entry.state = res.ok ? 'sent' : 'failed';
    } catch (e) {
      entry.state = 'failed';
    }
    save();
    showState(entry);
  }

  for (const entry of sent) {
    renderUser(entry, true);
  }

  // ---- Receiving --------------------------------------------------------

  function setOnline(on) {
    const state = on ? 'online' : 'offline';
    if (status.dataset.state === state) {
      return;
    }
    status.dataset.state = state;
    status.classList.toggle('online', on);
    status.classList.toggle('offline', !on);
    statusText.dataset.i18n = state;
    statusText.textContent = t(state);
  }

  function sleep(ms) {
    return new Promise((resolve) => { setTimeout(resolve, ms); });
  }

  async function poll() {
    let backoff = 1000;
    let first = true;
    for (;;) {
      try {
        const res = await fetch('/chat/api/messages?after=' + lastID, {
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { 'X-Requested-With': 'staffbot' },
        });
        if (res.status === 401) {
          location.reload();
          return;
        }
        if (!res.ok) {
          throw new Error('HTTP ' + res.status);
        }
        const data = await res.json();
        setOnline(true);
        backoff = 1000;
        for (const m of data.messages || []) {
          if (m.id > lastID) {
            renderBot(m, first);
            lastID = m.id;
          }
        }
        first = first && !!data.more;
      } catch (e) {
        setOnline(false);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    }
  }

  // Messages left pending by a reload go out again under their own ids.
  for (const entry of sent) {
    if (entry.state === 'pending') {
      deliver(entry);
    }
  }

  // ---- Typing -------------------------------------------------------------

  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 160) + 'px';
  }

  function send() {
    const text = input.value.trim();
    if (!text) {
      return;
    }
    input.value = '';
    grow();
    submit({ text: text });
    input.focus();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener('input', grow);

  poll();
}());
