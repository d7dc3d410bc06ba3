// The in-page half of the conformance suite, loaded by the test page as a module. It calls the
// PUBLIC API of the built package ('spa-login' through the import map) and reports what
// happened in a form that crosses page.evaluate: resolved values, AuthError fields, the address
// bar, Web Storage, and the client's view of its session.
import * as spa from 'spa-login';

const { createClient, AuthError } = spa;

// The clock handed to clients as nowProvider: real time plus a skew, or a fixed instant.
let skewMs = 0;
let fixedMs;
const clock = () => fixedMs ?? Date.now() + skewMs;

const clients = new Map();
const problems = [];
window.addEventListener('error', (e) => problems.push(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => problems.push(`unhandledrejection: ${e.reason?.message ?? e.reason}`));

function describeError(e) {
  return {
    ok: false,
    isAuthError: e instanceof AuthError,
    name: e?.name,
    error: e?.error,
    error_description: e?.error_description,
    state: e?.state,
    hasState: e != null && typeof e === 'object' && 'state' in e,
    appState: e?.appState,
    hasAppState: e != null && typeof e === 'object' && 'appState' in e,
    message: String(e?.message ?? e),
  };
}

async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (e) {
    return describeError(e);
  }
}

// The original Storage methods and objects: a test may make the page's ones throw.
const { getItem, key: keyAt } = Storage.prototype;
const stores = { session: window.sessionStorage, local: window.localStorage };

function storageDump({ all = false } = {}) {
  const dump = (s) => {
    const out = {};
    for (let i = 0; i < s.length; i++) {
      const k = keyAt.call(s, i);
      if (all || k.startsWith('spa-login.')) out[k] = getItem.call(s, k);
    }
    return out;
  };
  try {
    return { session: dump(stores.session), local: dump(stores.local) };
  } catch (e) {
    return { error: String(e) };
  }
}

function client(name) {
  const c = clients.get(name);
  if (!c) throw new Error(`no client named ${name}`);
  return c;
}

window.T = {
  spa,
  problems,
  setClock({ skew, fixed } = {}) {
    if (skew !== undefined) skewMs = skew;
    fixedMs = fixed ?? undefined;
  },
  now: clock,

  /** createClient with nowProvider = the page clock (unless the options say otherwise). */
  async create(name, options) {
    const o = { ...options };
    if (!('nowProvider' in o)) o.nowProvider = clock;
    const r = await settle(createClient(o));
    if (r.ok) {
      clients.set(name, r.value);
      r.value = true;
    }
    return r;
  },

  /** loginWithRedirect with an openUrl that captures the URL instead of navigating. */
  async login(name, options = {}) {
    let url;
    let calls = 0;
    const o = { authorizationParams: options.authorizationParams, openUrl: (u) => { url = u; calls++; } };
    if ('appState' in options) o.appState = options.appState;
    const r = await settle(client(name).loginWithRedirect(o));
    return { ...r, url, openUrlCalls: calls };
  },

  /** loginWithRedirect with no openUrl: the page really leaves for the provider. */
  loginNavigating(name, options = {}) {
    client(name).loginWithRedirect(options).catch((e) => problems.push(`loginWithRedirect: ${e?.message ?? e}`));
    return true;
  },

  /**
   * handleRedirectCallback. With `url`, the URL is passed as the argument; otherwise the
   * response is put in the address bar first (`path` + `?query` + `#fragment`), unless `asIs`.
   */
  async callback(name, { fragment, query, url, path = '/', asIs = false } = {}) {
    let target;
    if (url === undefined && !asIs) {
      target = path + (query !== undefined ? `?${query}` : '') + (fragment !== undefined ? `#${fragment}` : '');
      history.replaceState(null, '', target);
    }
    const before = { historyLength: history.length, href: location.href, ...(await window.T.snapshot(name)) };
    const r = await settle(client(name).handleRedirectCallback(url));
    if (r.ok) r.value = { keys: Object.keys(r.value ?? {}), appState: r.value?.appState, hasAppState: 'appState' in (r.value ?? {}) };
    return { ...r, before, href: location.href, historyLength: history.length };
  },

  /** What the client and the browser hold now. */
  async snapshot(name) {
    const c = client(name);
    const token = await settle(c.getAccessToken({ cacheMode: 'cache-only' }));
    return {
      isAuthenticated: await c.isAuthenticated(),
      user: await c.getUser(),
      claims: await c.getIdTokenClaims(),
      token: token.ok ? token.value : { rejected: token },
      storage: storageDump(),
      href: location.href,
      problems: [...problems],
    };
  },

  storage: storageDump,

  /** Empties this origin's Web Storage (a test starts from nothing). */
  clearStorage() {
    Storage.prototype.clear.call(stores.session);
    Storage.prototype.clear.call(stores.local);
  },

  async getAccessToken(name, options) {
    return settle(client(name).getAccessToken(options));
  },

  async logout(name, options = {}) {
    const c = client(name);
    let url;
    let atOpen;
    const o = { ...options };
    if (options.openUrl === 'capture') {
      // Records what the client holds at the moment it hands over the URL.
      o.openUrl = async (u) => {
        url = u;
        atOpen = await window.T.snapshot(name);
      };
    }
    const r = await settle(c.logout(o));
    return { ...r, url, atOpen, href: location.href };
  },
};
window.ready = true;
