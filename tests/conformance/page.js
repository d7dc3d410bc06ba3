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
    // What auth0-spa-js's MfaRequiredError and MissingRefreshTokenError carry besides.
    mfa_token: e?.mfa_token,
    mfa_requirements: e?.mfa_requirements,
    audience: e?.audience,
    scope: e?.scope,
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

// Flows of the public API running now (getAccessToken, checkSession, loginWithPopup started by
// this file): a message that arrives while one runs could have been taken by it.
let running = 0;
async function tracked(promise) {
  running++;
  try {
    return await settle(promise);
  } finally {
    running--;
  }
}

const popupsInto = new Map();

const iframeCount = () => document.querySelectorAll('iframe').length;

// Which window posted a message, as this page sees it: the hidden iframe of a silent flow
// ('frame'), a popup this window opened ('popup'), or any other window ('other').
function relationOf(source) {
  try {
    if (!source) return 'none';
    if ([...document.querySelectorAll('iframe')].some((f) => f.contentWindow === source)) return 'frame';
    if (source.opener === window && source.top === source) return 'popup';
  } catch {
    // a cross-origin window that hides even these: some other window
  }
  return 'other';
}

// Every authorization_response message that reached this window: from where, with which state,
// whether a flow was running, and Web Storage just after the package handled it (a task later:
// by then a message it took has used up its transaction).
const messages = [];
// The reports of the app's own callback code run inside a frame or popup (see runLanding).
const landings = [];
window.addEventListener('message', (e) => {
  const d = e.data;
  if (!d || typeof d !== 'object') return;
  if (d.type === 'conformance-landing' && e.origin === location.origin) {
    landings.push(d.report);
    return;
  }
  if (d.type !== 'authorization_response') return;
  const entry = { origin: e.origin, state: d.response?.state, relation: relationOf(e.source), whileRunning: running > 0 };
  messages.push(entry);
  setTimeout(() => {
    entry.storageAfter = storageDump();
  });
});

const watched = new Map();

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
   * response is put in the address bar first (`path` + `?query` + `#fragment`, with
   * `historyState` as the entry's state, as an app's router keeps it), unless `asIs`.
   */
  async callback(name, { fragment, query, url, path = '/', asIs = false, historyState = null } = {}) {
    let target;
    if (url === undefined && !asIs) {
      target = path + (query !== undefined ? `?${query}` : '') + (fragment !== undefined ? `#${fragment}` : '');
      history.replaceState(historyState, '', target);
    }
    const before = { historyLength: history.length, href: location.href, ...(await window.T.snapshot(name)) };
    const r = await settle(client(name).handleRedirectCallback(url));
    if (r.ok) r.value = { keys: Object.keys(r.value ?? {}), appState: r.value?.appState, hasAppState: 'appState' in (r.value ?? {}) };
    return { ...r, before, href: location.href, historyLength: history.length, historyState: history.state };
  },

  /** What the client and the browser hold now. */
  async snapshot(name) {
    // Called unbound: a client's methods need no `this` (docs/API.md).
    const { getAccessToken, isAuthenticated, getUser, getIdTokenClaims } = client(name);
    const token = await settle(getAccessToken({ cacheMode: 'cache-only' }));
    return {
      isAuthenticated: await isAuthenticated(),
      user: await getUser(),
      claims: await getIdTokenClaims(),
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

  /** The AuthStates a client has reported to a subscriber since `watch` (errors as their code). */
  watch(name) {
    const states = [];
    watched.set(name, states);
    client(name).subscribe((st) => states.push({ isAuthenticated: st.isAuthenticated, isLoading: st.isLoading, error: st.error?.error }));
  },
  watched(name) {
    return watched.get(name);
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
Object.assign(window.T, {
  /** getAccessToken, and how many iframes are in the document once it has settled. */
  async renew(name, options) {
    const r = await tracked(client(name).getAccessToken(options));
    return { ...r, iframes: iframeCount() };
  },

  /** checkSession, then isAuthenticated() and the iframes left in the document. */
  async checkSession(name, options) {
    const c = client(name);
    const r = await tracked(c.checkSession(options));
    return { ...r, iframes: iframeCount(), isAuthenticated: await c.isAuthenticated() };
  },

  /** A button whose click (a real user gesture) runs loginWithPopup(options). */
  addPopupButton(name, options, id = 'popup-login') {
    const button = document.createElement('button');
    button.id = id;
    button.textContent = 'Log in (popup)';
    button.results = [];
    button.addEventListener('click', () => {
      button.result = tracked(client(name).loginWithPopup(options));
      button.results.push(button.result);
    });
    document.body.append(button);
    return true;
  },

  /** The outcomes of every loginWithPopup the button started, in order. */
  async popupResults(id = 'popup-login') {
    return Promise.all(document.getElementById(id).results);
  },

  /** The outcome of the loginWithPopup the button started. */
  async popupResult(id = 'popup-login') {
    const result = document.getElementById(id).result;
    if (!result) throw new Error('the button was not clicked');
    return result;
  },

  /**
   * loginWithPopup with no user gesture: Playwright's own evaluate calls count as one (a
   * transient activation that lasts a few seconds), so this waits until the page has none.
   */
  async popupWithoutGesture(name, options) {
    const until = Date.now() + 15_000;
    while (navigator.userActivation.isActive && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const activeAtCall = navigator.userActivation.isActive;
    const r = await tracked(client(name).loginWithPopup(options));
    return { ...r, activeAtCall };
  },

  /**
   * loginWithPopup into a window the page opens itself, named `windowName` (the `popup`
   * option); its outcome is `popupIntoResult(windowName)`.
   */
  popupInto(name, windowName, options = {}) {
    const popup = window.open('', windowName);
    if (!popup) throw new Error('the window was not opened');
    popupsInto.set(windowName, tracked(client(name).loginWithPopup({ ...options, popup })));
    return true;
  },

  async popupIntoResult(windowName) {
    return popupsInto.get(windowName);
  },

  messages: () => messages.map((m) => ({ ...m })),
  landings: () => [...landings],
  iframes: iframeCount,
});

// The app's own callback code, run where a flow's response lands in a frame or popup
// (?conformance=landing&issuer=...&clientId=...&cacheLocation=...&next=URL): it creates a client
// and calls handleRedirectCallback() as a callback page would, reports what happened to the
// window that runs the flow, then moves on to `next` with the response, where that window
// reads it.
async function runLanding(q) {
  const report = { windowName: window.name };
  try {
    const options = { issuer: q.get('issuer'), clientId: q.get('clientId') };
    if (q.get('cacheLocation')) options.cacheLocation = q.get('cacheLocation');
    const c = await createClient(options);
    report.hrefBefore = location.href;
    report.storageBefore = storageDump();
    // As most apps call it, or with the address passed explicitly.
    const r = await settle(q.get('explicit') ? c.handleRedirectCallback(location.href) : c.handleRedirectCallback());
    if (r.ok) r.value = { keys: Object.keys(r.value ?? {}) };
    report.result = r;
    report.hrefAfter = location.href;
    report.storageAfter = storageDump();
    report.isAuthenticated = await c.isAuthenticated();
    report.token = (await settle(c.getAccessToken({ cacheMode: 'cache-only' }))).value;
  } catch (e) {
    report.failure = String(e?.message ?? e);
  }
  const target = window.opener && window.opener !== window ? window.opener : window.parent;
  target.postMessage({ type: 'conformance-landing', report }, location.origin);
  location.replace(q.get('next') + location.hash);
}

// The app's callback page as an app would write it, where a popup's response lands
// (?conformance=callback&issuer=...&clientId=...): it calls handleRedirectCallback() and
// stays. What happened goes to the console (the window may have closed itself by the time a
// message could reach anyone), as one line `conformance-callback {json}`.
async function runCallback(q) {
  const report = { windowName: window.name, hadOpener: !!window.opener };
  try {
    const c = await createClient({ issuer: q.get('issuer'), clientId: q.get('clientId') });
    report.hrefBefore = location.href;
    // As most apps call it, or with the address passed explicitly.
    const r = await settle(q.get('explicit') ? c.handleRedirectCallback(location.href) : c.handleRedirectCallback());
    if (r.ok) r.value = { keys: Object.keys(r.value ?? {}) };
    report.result = r;
    report.hrefAfter = location.href;
  } catch (e) {
    report.failure = String(e?.message ?? e);
  }
  console.info(`conformance-callback ${JSON.stringify(report)}`);
}

const query = new URLSearchParams(location.search);
if (query.get('conformance') === 'landing') runLanding(query);
if (query.get('conformance') === 'callback') runCallback(query);

window.ready = true;
