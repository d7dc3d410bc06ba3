// The package entry. It starts fetching and compiling the WebAssembly module as soon as it is
// imported in a browser, so the app's own start-up hides that work, and instantiates it on the
// first createClient call. It defines the error classes of the API and wraps the wasm client so
// every failure arrives as an AuthError. It works as-is in a browser <script type="module">, in
// Vite and in webpack 5: the `new URL(..., import.meta.url)` below is the form all three
// understand.
import * as W from './spa_login.js';
import { perform, openPopup, isResponseWindow, handOver, forgetDpopKeys, warmUp, prefetch, localStorageOf } from './effects.js';
import { clocks, replaceLocation, lent, held } from './host.js';

// The wasm starts early requests through host.js, synchronously (src/web/storage.rs).
lent.prefetch = prefetch;

let compiling;
let loading;

// How long the module may take to arrive: no request of the package waits forever. Three times
// the provider requests' default limit; about 50 KB gzip fits in it on a slow mobile link.
const WASM_TIMEOUT_MS = 30_000;

// The compiled module. A download that failed (fetch's TypeError, an HTTP error status, a body
// cut off: a TypeError while compiling from the stream or reading the bytes, no answer in
// time) is a `network_error` and may work next time; a module the browser refuses to compile
// (a CSP without 'wasm-unsafe-eval', a file that is not the module: a CompileError) or a
// browser without WebAssembly is `wasm_unavailable`. Either way a later call tries again.
function compile() {
  if (!compiling) compiling = fetch(new URL('./spa_login_bg.wasm', import.meta.url), { signal: AbortSignal.timeout?.(WASM_TIMEOUT_MS) })
    .then((r) => {
      if (!r.ok) throw new TypeError(`HTTP status ${r.status}`);
      // Compiled while it downloads where the server says it is wasm (compileStreaming insists).
      return /^application\/wasm\b/.test(r.headers.get('Content-Type')) ? WebAssembly.compileStreaming(r) : r.arrayBuffer().then((b) => WebAssembly.compile(b));
    })
    .catch((e) => {
      compiling = undefined;
      // (Browsers before the abort reason came with fetch's rejection say AbortError.)
      if (e?.name === 'TimeoutError' || e?.name === 'AbortError') e = new TypeError(`it did not arrive within ${WASM_TIMEOUT_MS / 1000} s`);
      throw e instanceof TypeError ? new GenericError('network_error', `the spa-login WebAssembly module could not be downloaded: ${e.message}`) : unavailable(e);
    });
  return compiling;
}

const unavailable = (e) => new GenericError('wasm_unavailable', `the spa-login WebAssembly module could not be loaded: ${e && e.message}`);

function load() {
  if (!loading) loading = compile()
    .then((module) => {
      try {
        W.initSync({ module });
      } catch (e) {
        throw unavailable(e); // a module that does not fit its glue
      }
    })
    .catch((e) => {
      loading = undefined;
      throw e;
    });
  return loading;
}

/** Every failure the package reports. */
export class AuthError extends Error {
  constructor(error, error_description = '', state, appState) {
    super(error_description ? `${error}: ${error_description}` : error);
    this.name = 'AuthError';
    this.error = error;
    this.error_description = error_description;
    if (state !== undefined) this.state = state;
    if (appState !== undefined) this.appState = appState;
  }
}
named(AuthError, 'AuthError');

// auth0-spa-js's error classes, by its names, so that an app's `instanceof` checks keep
// working: every error the client throws is a GenericError, and the most specific class that
// fits. A class with a fixed code takes (error_description, state, appState); GenericError and
// AuthenticationError take the code first, as AuthError does.
function kind(Base, name, code) {
  return named(class extends Base {
    constructor(...args) {
      super(...(code ? [code, ...args] : args));
      this.name = name;
    }
  }, name);
}

// A class keeps its name (`AuthError.name`, `e.constructor.name`) though the build minifies it.
function named(C, name) {
  return Object.defineProperty(C, 'name', { value: name });
}

export const GenericError = kind(AuthError, 'GenericError');
/** An error response of the provider to a flow with a state (its `state` and `appState` set). */
export const AuthenticationError = kind(GenericError, 'AuthenticationError');
export const InvalidConfigurationError = kind(GenericError, 'InvalidConfigurationError', 'invalid_configuration');
export const TimeoutError = kind(GenericError, 'TimeoutError', 'timeout');
export const PopupTimeoutError = kind(TimeoutError, 'PopupTimeoutError');
export const PopupCancelledError = kind(GenericError, 'PopupCancelledError', 'popup_cancelled');
export const PopupOpenError = kind(GenericError, 'PopupOpenError', 'popup_blocked');
export const MfaRequiredError = kind(GenericError, 'MfaRequiredError', 'mfa_required');
export const MissingRefreshTokenError = kind(GenericError, 'MissingRefreshTokenError', 'missing_refresh_token');
export const UseDpopNonceError = kind(GenericError, 'UseDpopNonceError', 'use_dpop_nonce');

const byCode = {
  invalid_configuration: InvalidConfigurationError,
  timeout: TimeoutError,
  popup_cancelled: PopupCancelledError,
  popup_blocked: PopupOpenError,
  mfa_required: MfaRequiredError,
  missing_refresh_token: MissingRefreshTokenError,
  use_dpop_nonce: UseDpopNonceError,
};

// A failure step of the wasm side (see src/web/tasks.rs) as the matching error class, with what
// else the core says it carries (`mfa_token`, ...); `popup`: the window of the popup flow it
// ended, which its errors carry as auth0-spa-js's do.
function fromStep({ error, error_description, state, appState, ...extra }, popup) {
  const Fixed = popup && error === 'timeout' ? PopupTimeoutError : byCode[error];
  if (!Fixed) return Object.assign(new (state === undefined ? GenericError : AuthenticationError)(error, error_description, state, appState), extra);
  const e = Object.assign(new Fixed(error_description, state, appState), extra);
  if (popup) e.popup = popup;
  return e;
}

// A synchronous call of the wasm that failed answers NaN and keeps its failure step.
function sync(value) {
  if (Number.isNaN(value)) throw fromStep(JSON.parse(W.text(0, /* the failure */ 7)));
  return value;
}

// Runs a wasm flow from its first step to its end: performs each effect it asks for and
// resumes it with the answer (or the reason the effect failed).
async function run(text, ctx) {
  for (;;) {
    const step = JSON.parse(text);
    if (step.effect === undefined) {
      if (step.error !== undefined) throw fromStep(step, ctx?.popup);
      return step.done;
    }
    let ok = true;
    let value;
    try {
      value = await perform(step.effect, ctx);
    } catch (e) {
      // The core decides what a failure means from its code, never from its text.
      ok = false;
      value = JSON.stringify({ code: typeof e?.error === 'string' ? e.error : 'failed', message: String(e?.message ?? e) });
    }
    text = W.flow(step.task, /* resume */ 7, value, undefined, undefined, ok);
  }
}

// An option as JSON text for the wasm (undefined stays undefined).
function json(value, what) {
  if (value === undefined) return undefined;
  let text;
  try {
    text = JSON.stringify(value);
  } catch {}
  if (typeof text !== 'string') throw new InvalidConfigurationError(`${what} must be serializable as JSON`);
  return text;
}

function openUrlOf(options) {
  const f = options?.openUrl;
  if (f !== undefined && f !== null && typeof f !== 'function') throw new InvalidConfigurationError('openUrl must be a function');
  return f ?? undefined;
}

const parsed = (text) => (text === undefined ? undefined : JSON.parse(text));

// The wasm client runs every flow through one export, `flow(op, a, b, timeout, flag)`, the flow
// named by its number (src/web/mod.rs): 0 login, 1 callback, 2 renew, 3 check session, 4 popup,
// 5 logout, 6 DPoP proof, and 7 resumes a flow's task with an effect's answer. Its state is read
// through two more exports:
// - `text(op, arg, n)`: 0 user, 1 ID token claims, 2 storage key, 3 channel name, 4 token,
//   5 foreign state, 6 clean URL, 7 the failure of the synchronous call that answered NaN;
// - `number(op, n, a, b, c)`: 0 is authenticated, 1 session version, 2 expires in, 3 DPoP,
//   4 sync from storage, 5 cached token, 6 DPoP answer.
// A client is an object of methods over state in their closure: plain ES2020, so a bundler that
// targets it (Vite up to 6 by default, for one) has nothing to rewrite. Private class members
// would be rewritten into WeakMap lookups on every access, on the paths each API call takes.
// The methods need no `this`: `const { getAccessToken } = client` works. `id`: the client's
// number in the wasm (src/web/mod.rs keeps the clients by number).
function makeClient(id) {
  const listeners = new Set();
  let state = { isAuthenticated: false, isLoading: false };
  let version = -1;
  let channel;
  let quiet = false;
  const renewals = new Map();
  // The popup login in progress, if any.
  let popupLogin;
  // The text of the cached token the last read returned, and the slot it came from.
  let lastSlot = -1;
  let lastToken;

  // What another tab did, or what was already stored, is no news to pass on.
  const quietly = (f) => {
    quiet = true;
    try {
      f();
    } finally {
      quiet = false;
    }
  };

  // Tells the listeners about a new state, and other tabs about a login here (a logout tells
  // them itself: a session that merely expired here is no logout of theirs). The session
  // version makes this cheap when nothing changed (a cached token read, say).
  const emit = (error) => {
    const now = W.number(id, /* session version */ 1);
    if (now === version && !error && !state.isLoading) return;
    version = now;
    const before = state;
    const isAuthenticated = !!W.number(id, /* is authenticated */ 0);
    state = { isAuthenticated, isLoading: false, user: parsed(W.text(id, /* user */ 0)), ...(error ? { error } : {}) };
    if (channel && isAuthenticated && !before.isAuthenticated && !quiet) channel.postMessage('login');
    for (const l of listeners) l(state);
  };

  // Runs a call that may change the session, with isLoading while it runs when `loading`.
  const track = async (f, loading = true) => {
    if (loading && !state.isLoading) {
      state = { ...state, isLoading: true };
      for (const l of listeners) l(state);
    }
    try {
      const result = await f();
      emit();
      return result;
    } catch (e) {
      emit(e instanceof AuthError ? e : undefined);
      throw e;
    }
  };

  // A silent renewal, shared by concurrent calls with the same options. The flow holds a Web
  // Lock per token while it runs (calls with other options for the same token, and other
  // tabs, wait for it and then find the token it stored).
  const renew = (mode, params, timeout) => {
    const key = `${mode}|${params}`;
    let renewal = renewals.get(key);
    if (!renewal) {
      const ctx = {};
      renewal = run(W.flow(id, /* renew */ 2, mode, params, timeout), ctx)
        .finally(() => {
          ctx.unlock?.();
          // (A logout cleared the map: a renewal started after it may be there now.)
          if (renewals.get(key) === renewal) renewals.delete(key);
        })
        .then((token) => token ?? undefined);
      renewals.set(key, renewal);
    }
    return renewal;
  };

  // checkSession; `hinted`: a login is known to have happened lately, whatever the session hint
  // of sessionCheckExpiryDays says (another tab's message, which may come before its
  // localStorage write does; auth0-spa-js's own cookie).
  const checkSession = (options, hinted) => track(async () => {
    if (isResponseWindow()) return;
    // It renews under the renewal lock, held until the flow ends.
    const ctx = {};
    try {
      await run(W.flow(id, /* check session */ 3, json(options?.authorizationParams, 'authorizationParams'), undefined, undefined, hinted), ctx);
    } finally {
      ctx.unlock?.();
    }
  });

  const client = {
    async loginWithRedirect(options) {
      const openUrl = openUrlOf(options);
      const text = W.flow(id, /* login */ 0, json(options?.appState, 'appState'), json(options?.authorizationParams, 'authorizationParams'));
      await run(text, { openUrl });
    },

    handleRedirectCallback(url) {
      return track(async () => {
        const fromLocation = url === undefined || url === null;
        const href = fromLocation ? window.location.href : String(url);
        // Inside the frame or popup of a flow another window runs, that window reads the response
        // (also when the app passes the address itself).
        if (isResponseWindow(href)) return {};
        if (fromLocation) {
          // A response of no transaction of this tab may be that of a popup flow whose window the
          // provider's Cross-Origin-Opener-Policy cut off from this one: offered to it, out of the
          // address bar first. If no window takes it, it is handled here (and refused) as usual.
          const foreign = W.text(id, /* foreign state */ 5, href);
          if (foreign !== undefined) {
            replaceLocation(W.text(0, /* clean URL */ 6, href));
            if (await handOver(foreign, href)) {
              window.close();
              return {};
            }
          }
        }
        return run(W.flow(id, /* callback */ 1, href, undefined, undefined, fromLocation));
      });
    },

    getAccessToken(options) {
      const mode = options?.cacheMode === undefined ? undefined : String(options.cacheMode);
      let params;
      let slot;
      let timeout;
      try {
        params = json(options?.authorizationParams, 'authorizationParams');
        timeout = json(options?.timeoutInSeconds, 'timeoutInSeconds');
        slot = sync(W.number(id, /* cached token */ 5, 0, mode, params));
      } catch (e) {
        // A bad argument: no call that changed the session, so no news for the listeners.
        return Promise.reject(e);
      }
      // auth0-spa-js's detailedResponse: the token this call returns, as a token response.
      if (options?.detailedResponse) {
        return client.getAccessToken({ ...options, detailedResponse: false }).then((access_token) => access_token && {
          access_token,
          id_token: parsed(W.text(id, /* ID token claims */ 1))?.__raw,
          expires_in: W.number(id, /* expires in */ 2, 0, access_token),
          token_type: W.number(id, /* DPoP */ 3) ? 'DPoP' : 'Bearer',
        });
      }
      // The common case, before every API call: a cached token, at once (its text copied out of
      // the wasm only when it is not the one of the last call).
      if (slot >= 0) {
        if (slot !== lastSlot) {
          lastToken = W.text(id, /* token */ 4, undefined, slot);
          lastSlot = slot;
        }
        return Promise.resolve(lastToken);
      }
      if (mode === 'cache-only') return track(async () => undefined, false);
      return track(() => renew(mode, params, timeout), false);
    },

    /** fetch() with the access token for that audience and scope: as a Bearer token, or with
     * useDpop as a DPoP token with a fresh proof, sent once more with the API's nonce when the
     * API asks for one. */
    async fetchWithAuth(input, init, options) {
      const token = await client.getAccessToken({ authorizationParams: options?.authorizationParams });
      const request = new Request(input, init);
      if (!W.number(id, /* DPoP */ 3)) {
        request.headers.set('Authorization', `Bearer ${token}`);
        return fetch(request);
      }
      for (let retried = false; ; retried = true) {
        // A Request's body can be read once: each attempt sends a copy.
        const attempt = request.clone();
        attempt.headers.set('Authorization', `DPoP ${token}`);
        attempt.headers.set('DPoP', await client.generateDpopProof({ url: request.url, method: request.method, accessToken: token }));
        const response = await fetch(attempt);
        const h = response.headers;
        if (!W.number(id, /* DPoP answer */ 6, response.status, request.url, h.get('WWW-Authenticate') ?? undefined, h.get('DPoP-Nonce') ?? undefined) || retried) return response;
      }
    },

    /** A DPoP proof for a request the app makes itself (useDpop only). */
    generateDpopProof(options) {
      // The proof's htu is the URL the browser will send, as fetch writes it (scheme and host in
      // lower case, the path percent-encoded, no default port), not the text the app wrote. A
      // URL that does not parse goes on as given, for the core to say what is wrong with it.
      let url = options?.url;
      try {
        url = new URL(url).href;
      } catch {}
      return run(W.flow(id, /* proof */ 6, json(typeof url === 'string' && url !== options.url ? { ...options, url } : options ?? {}, 'generateDpopProof options')));
    },

    /** Alias of getAccessToken, for apps coming from auth0-spa-js. */
    getTokenSilently(options) {
      return client.getAccessToken(options);
    },

    checkSession: (options) => checkSession(options, false),

    loginWithPopup(options, config) {
      // One at a time: a second call while one runs (a double click) joins it, rather than
      // taking over its window and leaving the first to report the popup closed.
      if (popupLogin) return popupLogin;
      // Opened now, while the click that asked for it still counts: browsers block later popups.
      const popup = openPopup(config?.popup ?? options?.popup);
      popupLogin = track(async () => {
        if (!popup) throw new PopupOpenError('the browser blocked the login popup');
        try {
          const params = json(options?.authorizationParams, 'authorizationParams');
          await run(W.flow(id, /* popup */ 4, params, undefined, json(config?.timeoutInSeconds, 'timeoutInSeconds')), { popup });
        } finally {
          if (!popup.closed) popup.close();
        }
      }).finally(() => {
        popupLogin = undefined;
      });
      return popupLogin;
    },

    /** loginWithPopup, then the access token it brought for those authorizationParams. */
    async getTokenWithPopup(options, config) {
      await client.loginWithPopup(options, config);
      return client.getAccessToken({ authorizationParams: options?.authorizationParams, cacheMode: 'cache-only' });
    },

    async getUser() {
      return parsed(W.text(id, /* user */ 0));
    },

    async getIdTokenClaims() {
      return parsed(W.text(id, /* ID token claims */ 1));
    },

    async isAuthenticated() {
      return !!W.number(id, /* is authenticated */ 0);
    },

    logout(options) {
      // Renewals in flight are cancelled by the core (what they bring back is dropped); later
      // calls must not join them.
      renewals.clear();
      return track(async () => {
        const navigate = options?.openUrl !== false;
        const openUrl = navigate ? openUrlOf(options) : undefined;
        const before = W.number(id, /* session version */ 1);
        try {
          await run(W.flow(id, /* logout */ 5, json(options?.logoutParams, 'logoutParams'), undefined, undefined, navigate), { openUrl });
        } finally {
          // Once the session is gone here (whatever failed after), the app's other tabs log out too.
          if (channel && W.number(id, /* session version */ 1) !== before && !W.number(id, /* is authenticated */ 0)) channel.postMessage('logout');
        }
      });
    },

    /** Calls `listener` with the current AuthState now and on every change; returns unsubscribe. */
    subscribe(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
  };

  // Another tab's stored tokens are visible here when the storage event says so, not before.
  const storageKey = W.text(id, /* storage key */ 2);
  // Tabs of the same app tell each other about logins and logouts.
  if (typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel(W.text(id, /* channel name */ 3));
    channel.onmessage = (e) => {
      if (e.data !== 'login' && e.data !== 'logout') return;
      W.number(id, /* sync from storage */ 4, e.data === 'logout' ? 1 : 0);
      // That tab's logout deleted the stored DPoP key: this tab must not sign with its copy.
      if (e.data === 'logout') forgetDpopKeys();
      quietly(() => emit());
      // A memory cache cannot share tokens: fetch this tab's own from the provider session.
      // (A localStorage cache gets them from the storage event below, which may come later.)
      if (e.data === 'login' && !storageKey && !W.number(id, /* is authenticated */ 0)) checkSession(undefined, true).catch(() => {});
    };
  }
  if (storageKey && typeof window !== 'undefined') {
    window.addEventListener('storage', (e) => {
      // (A clear() of sessionStorage in a frame of this tab has a null key too.)
      if ((e.key !== storageKey && e.key !== null) || e.storageArea !== localStorageOf()) return;
      W.number(id, /* sync from storage */ 4, e.newValue ? 0 : 1);
      quietly(() => emit());
    });
  }
  quietly(() => emit());
  internals.set(client, { checkSession, version: () => W.number(id, /* session version */ 1) });
  return client;
}

// What the Auth0Client of an app that moved over from auth0-spa-js needs of each client: its
// checkSession that asks whatever the session hint says, and its session's version.
const internals = new WeakMap();

/** Validates the options and makes a client; loads the WebAssembly module on first use. */
export async function createClient(options) {
  // On a server (server-side rendering) there is no page to log in from.
  if (typeof window === 'undefined') throw new GenericError('wasm_unavailable', 'not in a browser');
  await load();
  const text = json(options, 'options') ?? 'null';
  // The app's clock is called from the wasm through host.js, which keeps it by number (the
  // core refuses a nowProvider that is not a function: in the JSON only those are left).
  return makeClient(sync(W.createClient(text, window.location.origin, clocks.push(options?.nowProvider) - 1)));
}

// auth0-spa-js's names, for apps that move over by changing their import. Its client is made
// synchronously while ours needs the WebAssembly module: the Auth0Client holds the promise of a
// Client, and each method waits for it. Its defaults are auth0-spa-js's: the authorization code
// flow with PKCE (the response in the query), where createClient's is the implicit flow; and
// its scopes: `openid` always, and a call's scope added to the client's (createClient's call
// scope replaces the client's, though a code flow keeps `openid` where the client's own scope
// has it, and a client whose scope has none is plain OAuth); and its
// `sessionCheckExpiryDays` of 1 (createClient's checkSession always asks).
const clients = new WeakMap();
const clientScopes = new WeakMap();
const cookieOptions = new WeakMap();
const configurations = new WeakMap();

// Whether auth0-spa-js's own "is authenticated" cookie is there for this client id (its name or
// its v1 name, each with its legacy SameSite copy): an app that moved over keeps its users'
// recent logins, which this package's session hint cannot know of yet. Read once and removed
// (as auth0-spa-js removes it at logout): from then on the hint answers. (No document on a
// server; a sandboxed frame's `document.cookie` throws.)
function takeAuth0Cookie([clientId, domain]) {
  try {
    const names = [`auth0.${clientId}.is.authenticated`, 'auth0.is.authenticated'].flatMap((n) => [n, `_legacy_${n}`]);
    const found = document.cookie.split(/; */).some((c) => names.some((n) => c.startsWith(`${n}=`)));
    if (found) for (const n of names) for (const d of domain ? ['', `; domain=${domain}`] : ['']) document.cookie = `${n}=; max-age=0; path=/${d}`;
    return found;
  } catch {
    return false;
  }
}

// Space-separated scope lists joined, each scope once; `undefined` for a list that is no string
// (the core says what is wrong with it).
const joinScopes = (...lists) => (lists.every((l) => l === undefined || typeof l === 'string') ? [...new Set(lists.join(' ').split(' ').filter(Boolean))].join(' ') : undefined);

export class Auth0Client {
  constructor(options) {
    const params = { response_type: 'code', ...options?.authorizationParams };
    const scope = joinScopes('openid', params.scope ?? 'openid profile email') ?? params.scope;
    // auth0-spa-js's session hint: checkSession asks the provider only within a day of a login
    // in this browser, unless the app says how many days (as auth0-spa-js reads it: 0 or none
    // is 1). Its httpTimeoutInSeconds of 0 is its default too.
    const client = createClient({
      ...options,
      sessionCheckExpiryDays: options?.sessionCheckExpiryDays || 1,
      httpTimeoutInSeconds: options?.httpTimeoutInSeconds === 0 ? undefined : options?.httpTimeoutInSeconds,
      authorizationParams: { ...params, scope },
    });
    client.catch(() => {}); // a bad option rejects the calls, not as an unhandled rejection
    clients.set(this, client);
    clientScopes.set(this, scope);
    cookieOptions.set(this, [options?.clientId, options?.cookieDomain]);
    configurations.set(this, Object.freeze({ domain: options?.domain, clientId: options?.clientId }));
  }

  getConfiguration() {
    return configurations.get(this);
  }
}

for (const name of ['loginWithRedirect', 'handleRedirectCallback', 'getAccessToken', 'getTokenSilently', 'fetchWithAuth', 'generateDpopProof', 'checkSession', 'loginWithPopup', 'getTokenWithPopup', 'getUser', 'getIdTokenClaims', 'isAuthenticated', 'logout']) {
  Auth0Client.prototype[name] = function (...args) {
    // A call's scope, added to the client's.
    const at = name === 'fetchWithAuth' ? 2 : 0;
    const own = args[at]?.authorizationParams?.scope;
    const scope = own === undefined ? undefined : joinScopes(clientScopes.get(this), own);
    if (scope) args[at] = { ...args[at], authorizationParams: { ...args[at].authorizationParams, scope } };
    // A popup is opened now, while the click that asked for it still counts; closed again if
    // the client could not be made.
    let popup;
    if (name.endsWith('Popup')) {
      popup = openPopup(args[1]?.popup ?? args[0]?.popup);
      args[1] = { ...args[1], popup };
    }
    // auth0-spa-js's checkSession settles whatever the provider or the network says, so that
    // createAuth0Client gives the app its client; a client that could not be made (a bad
    // option, no WebAssembly, a server) still rejects.
    const quiet = name === 'checkSession' ? () => {} : undefined;
    // auth0-spa-js's cookie: a recent login to checkSession, and gone at a logout.
    const cookie = (quiet || name === 'logout') && takeAuth0Cookie(cookieOptions.get(this));
    const call = (client) => {
      const { checkSession, version } = internals.get(client);
      if (quiet && cookie) return checkSession(args[0], true);
      if (name !== 'getTokenSilently' && name !== 'getAccessToken') return client[name](...args);
      // auth0-spa-js ends the local session when a silent renewal hears the provider's
      // login_required (logged out there, or its session expired): the app's isAuthenticated()
      // then says so. Only while the session is the one the call began with: the core's own
      // login_required (a logout, or another user's login, meanwhile) has ended that already,
      // and a logout now could end the next user's.
      const before = version();
      return client[name](...args).catch(async (e) => {
        if (e?.error === 'login_required' && version() === before) await client.logout({ openUrl: false }).catch(() => {});
        throw e;
      });
    };
    return clients.get(this).then((client) => call(client).catch(quiet), (e) => {
      if (popup && !popup.closed) popup.close();
      throw e;
    });
  };
}

/** auth0-spa-js's createAuth0Client: an Auth0Client with its session restored (checkSession). */
export async function createAuth0Client(options) {
  const client = new Auth0Client(options);
  await client.checkSession();
  return client;
}

// At import, in a browser only: a server rendering the page imports the entry without loading
// anything. A failure here is reported by the createClient call that tries again. On the page
// a redirect login comes back to, what the callback will fetch starts too.
if (typeof window !== 'undefined' && typeof fetch === 'function') {
  compile().catch(() => {});
  warmUp(window.location.href, held);
}
