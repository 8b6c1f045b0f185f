// The UI's shell: login, header (node, version, vhost selector, refresh interval, user), navigation
// tabs and the hash router that loads pages/NAME.js and calls its render(root, params, ctx).
import { api, basic, configure, request } from './api.js';
import { h, mount, button, select, hashOf } from './dom.js';
import { showError, toast, clearErrors } from './notify.js';

const storage = window.sessionStorage;

// Route patterns, first match wins: ":x" takes one segment into params.x, "*" the rest into params.rest.
const routes = [
  ['', 'overview'],
  ['overview', 'overview'],
  ['connections', 'connections'],
  ['connections/:name', 'connections'],
  ['channels', 'channels'],
  ['channels/:name', 'channels'],
  ['exchanges', 'exchanges'],
  ['exchanges/:vhost/:name', 'exchange'],
  ['explain/:vhost/:name', 'explain'],
  ['queues', 'queues'],
  ['queues/:vhost/:name', 'queue'],
  ['admin', 'admin'],
  ['admin/*', 'admin'],
  ['definitions', 'definitions'],
];

const tabs = [
  ['overview', 'Overview'],
  ['connections', 'Connections'],
  ['channels', 'Channels'],
  ['exchanges', 'Exchanges'],
  ['queues', 'Queues'],
  ['admin', 'Admin'],
];

// Which tab a page belongs to.
const tabOf = { overview: 'overview', connections: 'connections', channels: 'channels', exchanges: 'exchanges', exchange: 'exchanges', explain: 'exchanges', queues: 'queues', queue: 'queues', admin: 'admin', definitions: 'admin' };

const state = {
  user: null, // {name, tags}
  overview: null, // /api/overview at login: node, versions, exchange types
  vhosts: [],
  vhost: storage.getItem('vhost') ?? '',
  interval: Number(storage.getItem('interval') ?? 5000),
  generation: 0, // bumped on every navigation; a page's timers and callbacks check it
  cleanups: [],
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const segments = path === '' ? [] : path.split('/').map(s => decodeURIComponent(s));
  for (const [pattern, page] of routes) {
    const parts = pattern === '' ? [] : pattern.split('/');
    const params = { query };
    let ok = true;
    let i = 0;
    for (; i < parts.length; i++) {
      if (parts[i] === '*') { params.rest = segments.slice(i); i = segments.length; break; }
      if (i >= segments.length) { ok = false; break; }
      if (parts[i].startsWith(':')) params[parts[i].slice(1)] = segments[i];
      else if (parts[i] !== segments[i]) { ok = false; break; }
    }
    if (ok && i === segments.length) return { page, params };
  }
  return { page: null, params: { query } };
}

function isManagementUser(tags) {
  return tags.some(t => ['management', 'policymaker', 'monitoring', 'administrator'].includes(t));
}

function tagsOf(whoami) {
  const tags = whoami.tags;
  return Array.isArray(tags) ? tags : String(tags ?? '').split(',').map(t => t.trim()).filter(Boolean);
}

// ---------------------------------------------------------------- login

function showLogin(message) {
  state.generation++;
  runCleanups();
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const error = h('div', { class: 'login-error', role: 'alert' }, message ?? '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const form = h('form', { class: 'login', onsubmit: async e => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      const auth = basic(user.value, password.value);
      const whoami = await request('GET', '/whoami', { auth, quiet: true });
      const tags = tagsOf(whoami);
      if (!isManagementUser(tags)) {
        // RabbitMQ's UI refuses users without a management tag with this sentence.
        error.textContent = 'Login failed: user has no management tag (Not management user)';
        return;
      }
      storage.setItem('auth', auth);
      await start(auth, whoami);
    } catch (err) {
      error.textContent = err.status === 401 ? `Login failed: ${err.reason || 'not authorised'}` : `Login failed: ${err.message}`;
    } finally {
      submit.disabled = false;
    }
  } },
    h('div', { class: 'login-brand' }, h('img', { src: 'favicon.svg', alt: '' }), h('span', null, 'Broker Management')),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Username'), user),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), password),
    error,
    submit);
  mount(document.getElementById('app'), h('div', { class: 'login-page' }, form));
  user.focus();
}

function logout() {
  storage.removeItem('auth');
  configure(null);
  state.user = null;
  clearErrors();
  showLogin();
}

// ---------------------------------------------------------------- layout

async function start(auth, whoami) {
  configure(auth, err => { storage.removeItem('auth'); showLogin(`Logged out: ${err.reason || 'not authorised'}`); });
  state.user = { name: whoami.name, tags: tagsOf(whoami) };
  const [overview, vhosts] = await Promise.all([api.get('/overview'), api.get('/vhosts?columns=name')]);
  state.overview = overview;
  state.vhosts = vhosts.map(v => v.name).sort();
  if (state.vhost && !state.vhosts.includes(state.vhost)) state.vhost = '';
  renderShell();
  route();
}

function renderShell() {
  const o = state.overview;
  const vhostSelect = select([['', 'All virtual hosts'], ...state.vhosts.map(v => [v, v])], state.vhost, {
    id: 'vhost-select', title: 'Virtual host shown by the lists',
    onchange: e => { state.vhost = e.target.value; storage.setItem('vhost', state.vhost); route(); },
  });
  const intervalSelect = select([['0', 'Refresh off'], ['5000', 'Every 5 s'], ['10000', 'Every 10 s'], ['30000', 'Every 30 s']], String(state.interval), {
    id: 'refresh-select', title: 'How often the page reloads its data',
    onchange: e => { state.interval = Number(e.target.value); storage.setItem('interval', e.target.value); route(); },
  });
  const nav = h('nav', { class: 'tabs' }, tabs.map(([key, label]) => h('a', { href: hashOf(key), dataset: { tab: key } }, label)));
  const header = h('header', { class: 'top' },
    h('div', { class: 'brand' },
      h('img', { src: 'favicon.svg', alt: '' }),
      h('div', null,
        h('div', { class: 'product' }, `${o.product_name ?? 'Broker'} ${o.product_version ?? ''}`),
        h('div', { class: 'node muted' }, h('span', { id: 'node-name' }, o.node), ` · RabbitMQ ${o.rabbitmq_version ?? '?'} compatible · cluster ${o.cluster_name ?? ''}`))),
    h('div', { class: 'top-controls' },
      h('label', null, 'Virtual host ', vhostSelect),
      intervalSelect,
      h('span', { class: 'user', title: state.user.tags.join(', ') }, 'User ', h('b', { id: 'current-user' }, state.user.name)),
      button('Log out', logout, { id: 'logout' })));
  mount(document.getElementById('app'), header, nav, h('main', { id: 'page' }));
}

function runCleanups() {
  for (const fn of state.cleanups.splice(0)) {
    try { fn(); } catch (e) { console.error(e); }
  }
}

// ---------------------------------------------------------------- router

async function route() {
  if (!state.user) return;
  const generation = ++state.generation;
  runCleanups();
  const { page, params } = parseHash();
  const tab = tabOf[page] ?? '';
  document.querySelectorAll('nav.tabs a').forEach(a => a.classList.toggle('active', a.dataset.tab === tab));
  const root = document.getElementById('page');
  if (!root) return;
  root.className = page ? `page-${page}` : '';
  if (!page) {
    mount(root, h('div', { class: 'panel' }, h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, location.hash), '.')));
    return;
  }
  let module;
  try {
    module = await import(`../pages/${page}.js`);
  } catch (e) {
    if (generation !== state.generation) return;
    mount(root, h('div', { class: 'panel' }, h('h1', null, 'Page not available'), h('p', { class: 'muted' }, `The ${page} page could not be loaded: ${e.message}`)));
    return;
  }
  if (generation !== state.generation) return;
  mount(root);
  const ctx = makeContext(generation);
  try {
    await module.render(root, params, ctx);
  } catch (e) {
    if (e?.status === undefined) throw e; // a bug: let it reach the console
    // API errors are already in the banner.
  }
}

function makeContext(generation) {
  const current = () => generation === state.generation;
  return {
    api,
    get vhost() { return state.vhost; },
    get vhosts() { return state.vhosts; },
    user: state.user,
    overview: state.overview,
    /** True while this page is still the one shown (false after navigation). */
    current,
    navigate(route) { location.hash = hashOf(route); },
    /** Rewrites the hash's query (page, filters) without re-rendering, so the view can be bookmarked. */
    setQuery(values) {
      const { params } = parseHash();
      const query = params.query;
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined || v === null || v === '' || v === false) query.delete(k); else query.set(k, String(v));
      }
      const base = location.hash.replace(/\?.*$/, '');
      const text = query.toString();
      history.replaceState(null, '', text ? `${base}?${text}` : base);
    },
    /** Re-renders the current page. */
    refresh: () => { if (current()) route(); },
    /**
     * Calls fn now and then every interval ms (the header's refresh setting when omitted) while the page is
     * shown; never two calls at once, none while the tab is hidden. Returns {now()} to refresh at once.
     */
    poll(fn, interval) {
      let running = false;
      let timer = null;
      const tick = async () => {
        if (!current() || running) return;
        running = true;
        try { await fn(); } catch (e) { if (e?.status === undefined) console.error(e); } finally { running = false; }
      };
      const every = interval ?? state.interval;
      if (every > 0) {
        timer = setInterval(() => { if (!document.hidden) tick(); }, every);
        state.cleanups.push(() => clearInterval(timer));
      }
      tick();
      return { now: tick };
    },
    /** Reloads the vhost list (after a page added or deleted one) and redraws the header's selector. */
    async refreshVhosts() {
      const vhosts = await api.get('/vhosts?columns=name');
      state.vhosts = vhosts.map(v => v.name).sort();
      if (state.vhost && !state.vhosts.includes(state.vhost)) { state.vhost = ''; storage.setItem('vhost', ''); }
      const selector = document.getElementById('vhost-select');
      if (selector) {
        mount(selector, [['', 'All virtual hosts'], ...state.vhosts.map(v => [v, v])].map(([v, label]) => h('option', { value: v, selected: v === state.vhost }, label)));
      }
    },
    /** Runs fn when the user leaves the page. */
    onLeave(fn) { state.cleanups.push(fn); },
    toast,
    showError,
  };
}

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', e => {
  // API errors were shown in the banner already; keep the console for real bugs.
  if (e.reason?.status !== undefined) e.preventDefault();
});

(async () => {
  const auth = storage.getItem('auth');
  if (!auth) { showLogin(); return; }
  try {
    const whoami = await request('GET', '/whoami', { auth, quiet: true });
    configure(auth);
    await start(auth, whoami);
  } catch {
    storage.removeItem('auth');
    showLogin();
  }
})();
