// The package entry. It loads the WebAssembly module lazily (the first createClient call),
// defines the error classes of the API, and wraps the wasm client so every failure arrives as
// an AuthError. It works as-is in a browser <script type="module">, in Vite and in webpack 5:
// the `new URL(..., import.meta.url)` below is the form all three understand.
import init, { createClient as createWasmClient, resume } from './spa_login.js';
import { perform, openPopup, isResponseWindow, handOver } from './effects.js';

let loading;

function load() {
  loading ??= init({ module_or_path: new URL('./spa_login_bg.wasm', import.meta.url) }).catch((e) => {
    loading = undefined; // let a later call try again (the wasm may have failed to download)
    throw new AuthError('network_error', `the spa-login WebAssembly module could not be loaded: ${e && e.message}`);
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

export class TimeoutError extends AuthError {
  constructor(description = 'the flow did not finish in time', state, appState) {
    super('timeout', description, state, appState);
    this.name = 'TimeoutError';
  }
}

export class PopupCancelledError extends AuthError {
  constructor(description = 'the popup was closed', state, appState) {
    super('popup_cancelled', description, state, appState);
    this.name = 'PopupCancelledError';
  }
}

// A failure step of the wasm side (see src/web/tasks.rs) as the matching error class.
function fromStep({ error, error_description, state, appState }) {
  if (error === 'timeout') return new TimeoutError(error_description, state, appState);
  if (error === 'popup_cancelled') return new PopupCancelledError(error_description, state, appState);
  return new AuthError(error, error_description, state, appState);
}

// The wasm's synchronous calls throw their failure step as JSON text.
function sync(f) {
  try {
    return f();
  } catch (e) {
    throw typeof e === 'string' ? fromStep(JSON.parse(e)) : e;
  }
}

// Runs a wasm flow from its first step to its end: performs each effect it asks for and
// resumes it with the answer (or the reason the effect failed).
async function run(text, ctx) {
  for (;;) {
    const step = JSON.parse(text);
    if (step.effect === undefined) {
      if (step.error !== undefined) throw fromStep(step);
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
    text = resume(step.task, ok, value);
  }
}

// An option as JSON text for the wasm (undefined stays undefined).
function json(value, what) {
  if (value === undefined) return undefined;
  let text;
  try {
    text = JSON.stringify(value);
  } catch {}
  if (typeof text !== 'string') throw new AuthError('invalid_configuration', `${what} must be serializable as JSON`);
  return text;
}

function openUrlOf(options) {
  const f = options?.openUrl;
  if (f !== undefined && f !== null && typeof f !== 'function') throw new AuthError('invalid_configuration', 'openUrl must be a function');
  return f ?? undefined;
}

const parsed = (text) => (text === undefined ? undefined : JSON.parse(text));

// The wasm client runs every flow through one export, `flow(op, a, b, flag)`, the flow named by
// its number (src/web/mod.rs): 0 login, 1 callback, 2 renew, 3 check session, 4 popup, 5 logout,
// 6 DPoP proof.
class Client {
  #wasm;
  #listeners = new Set();
  #state = { isAuthenticated: false, isLoading: false };
  #version = -1;
  #channel;
  #quiet = false;
  #renewals = new Map();
  #tokenSlot = -1;
  #token;

  constructor(wasm) {
    this.#wasm = wasm;
    // Tabs of the same app tell each other about logins and logouts.
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(wasm.channelName);
      this.#channel.onmessage = (e) => {
        if (e.data !== 'login' && e.data !== 'logout') return;
        this.#wasm.syncFromStorage(e.data === 'logout');
        this.#quietly(() => this.#emit());
        // A memory cache cannot share tokens: fetch this tab's own from the provider session.
        // (A localStorage cache gets them from the storage event below, which may come later.)
        if (e.data === 'login' && !wasm.storageKey && !this.#wasm.isAuthenticated()) this.checkSession().catch(() => {});
      };
    }
    // Another tab's stored tokens are visible here when the storage event says so, not before.
    const key = wasm.storageKey;
    if (key && typeof window !== 'undefined') {
      window.addEventListener('storage', (e) => {
        if (e.key !== key && e.key !== null) return;
        this.#wasm.syncFromStorage(!e.newValue);
        this.#quietly(() => this.#emit());
      });
    }
    this.#quietly(() => this.#emit());
  }

  // What another tab did, or what was already stored, is no news to pass on.
  #quietly(f) {
    this.#quiet = true;
    try {
      f();
    } finally {
      this.#quiet = false;
    }
  }

  // Tells the listeners about a new state, and other tabs about a login or logout here. The
  // session version makes this cheap when nothing changed (a cached token read, say).
  #emit(error) {
    const version = this.#wasm.sessionVersion;
    if (version === this.#version && !error && !this.#state.isLoading) return;
    this.#version = version;
    const before = this.#state;
    const isAuthenticated = this.#wasm.isAuthenticated();
    this.#state = { isAuthenticated, isLoading: false, user: parsed(this.#wasm.getUser()), ...(error ? { error } : {}) };
    if (this.#channel && before.isAuthenticated !== isAuthenticated && !this.#quiet) {
      this.#channel.postMessage(isAuthenticated ? 'login' : 'logout');
    }
    for (const l of this.#listeners) l(this.#state);
  }

  // Runs a call that may change the session, with isLoading while it runs when `loading`.
  async #track(f, loading = true) {
    if (loading && !this.#state.isLoading) {
      this.#state = { ...this.#state, isLoading: true };
      for (const l of this.#listeners) l(this.#state);
    }
    try {
      const result = await f();
      this.#emit();
      return result;
    } catch (e) {
      this.#emit(e instanceof AuthError ? e : undefined);
      throw e;
    }
  }

  async loginWithRedirect(options) {
    const openUrl = openUrlOf(options);
    const text = this.#wasm.flow(/* login */ 0, json(options?.appState, 'appState'), json(options?.authorizationParams, 'authorizationParams'));
    await run(text, { openUrl });
  }

  handleRedirectCallback(url) {
    return this.#track(async () => {
      const fromLocation = url === undefined || url === null;
      const href = fromLocation ? window.location.href : String(url);
      if (fromLocation) {
        // Inside the frame or popup of a flow another window runs, that window reads the response.
        if (isResponseWindow(href)) return {};
        // A response of no transaction of this tab may be that of a popup flow whose window the
        // provider's Cross-Origin-Opener-Policy cut off from this one: offered to it, out of the
        // address bar first. If no window takes it, it is handled here (and refused) as usual.
        const state = this.#wasm.foreignState(href);
        if (state !== undefined) {
          window.history.replaceState(null, '', this.#wasm.cleanUrl(href));
          if (await handOver(state, href)) {
            window.close();
            return {};
          }
        }
      }
      return run(this.#wasm.flow(/* callback */ 1, href, undefined, fromLocation));
    });
  }

  getAccessToken(options) {
    const mode = options?.cacheMode === undefined ? undefined : String(options.cacheMode);
    let params;
    let slot;
    try {
      params = json(options?.authorizationParams, 'authorizationParams');
      slot = sync(() => this.#wasm.cachedToken(mode, params));
    } catch (e) {
      return this.#track(() => Promise.reject(e), false);
    }
    // The common case, before every API call: a cached token, at once (its text copied out of
    // the wasm only when it is not the one of the last call).
    if (slot >= 0) {
      if (slot !== this.#tokenSlot) {
        this.#token = this.#wasm.tokenAt(slot);
        this.#tokenSlot = slot;
      }
      return Promise.resolve(this.#token);
    }
    if (mode === 'cache-only') return this.#track(async () => undefined, false);
    return this.#track(() => this.#renew(mode, params), false);
  }

  // A silent renewal, shared by concurrent calls with the same options. The flow holds a Web
  // Lock per token while it runs (calls with other options for the same token, and other
  // tabs, wait for it and then find the token it stored).
  #renew(mode, params) {
    const key = `${mode}|${params}`;
    let renewal = this.#renewals.get(key);
    if (!renewal) {
      const ctx = {};
      renewal = run(this.#wasm.flow(/* renew */ 2, mode, params), ctx)
        .finally(() => {
          ctx.unlock?.();
          this.#renewals.delete(key);
        })
        .then((token) => token ?? undefined);
      this.#renewals.set(key, renewal);
    }
    return renewal;
  }

  /** fetch() with the access token for that audience and scope: as a Bearer token, or with
   * useDpop as a DPoP token with a fresh proof, sent once more with the API's nonce when the
   * API asks for one. */
  async fetchWithAuth(input, init, options) {
    const token = await this.getAccessToken({ authorizationParams: options?.authorizationParams });
    const request = new Request(input, init);
    if (!this.#wasm.dpop) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return fetch(request);
    }
    for (let retried = false; ; retried = true) {
      // A Request's body can be read once: each attempt sends a copy.
      const attempt = request.clone();
      attempt.headers.set('Authorization', `DPoP ${token}`);
      attempt.headers.set('DPoP', await this.generateDpopProof({ url: request.url, method: request.method, accessToken: token }));
      const response = await fetch(attempt);
      const h = response.headers;
      if (!this.#wasm.dpopAnswer(request.url, response.status, h.get('WWW-Authenticate') ?? undefined, h.get('DPoP-Nonce') ?? undefined) || retried) return response;
    }
  }

  /** A DPoP proof for a request the app makes itself (useDpop only). */
  generateDpopProof(options) {
    return run(this.#wasm.flow(/* proof */ 6, json(options ?? {}, 'generateDpopProof options')));
  }

  /** Alias of getAccessToken, for apps coming from auth0-spa-js. */
  getTokenSilently(options) {
    return this.getAccessToken(options);
  }

  checkSession(options) {
    return this.#track(async () => {
      if (isResponseWindow()) return;
      await run(this.#wasm.flow(/* check session */ 3, json(options?.authorizationParams, 'authorizationParams')));
    });
  }

  loginWithPopup(options) {
    // Opened now, while the click that asked for it still counts: browsers block later popups.
    const popup = openPopup(options?.popup);
    return this.#track(async () => {
      if (!popup) throw new AuthError('popup_blocked', 'the browser blocked the login popup');
      try {
        await run(this.#wasm.flow(/* popup */ 4, json(options?.authorizationParams, 'authorizationParams')), { popup });
      } finally {
        if (!popup.closed) popup.close();
      }
    });
  }

  async getUser() {
    return parsed(this.#wasm.getUser());
  }

  async getIdTokenClaims() {
    return parsed(this.#wasm.getIdTokenClaims());
  }

  async isAuthenticated() {
    return this.#wasm.isAuthenticated();
  }

  logout(options) {
    // Renewals in flight are cancelled by the core (what they bring back is dropped); later
    // calls must not join them.
    this.#renewals.clear();
    return this.#track(async () => {
      const navigate = options?.openUrl !== false;
      const openUrl = navigate ? openUrlOf(options) : undefined;
      await run(this.#wasm.flow(/* logout */ 5, json(options?.logoutParams, 'logoutParams'), undefined, navigate), { openUrl });
    });
  }

  /** Calls `listener` with the current AuthState now and on every change; returns unsubscribe. */
  subscribe(listener) {
    this.#listeners.add(listener);
    listener(this.#state);
    return () => this.#listeners.delete(listener);
  }
}

/** Validates the options and makes a client; loads the WebAssembly module on first use. */
export async function createClient(options) {
  await load();
  const text = json(options, 'options') ?? 'null';
  return new Client(sync(() => createWasmClient(text, window.location.origin, options?.nowProvider)));
}
