// The package entry. It loads the WebAssembly module lazily (the first createClient call),
// defines the error classes of the API, and wraps the wasm client so every failure arrives as
// an AuthError. It works as-is in a browser <script type="module">, in Vite and in webpack 5:
// the `new URL(..., import.meta.url)` below is the form all three understand.
import init, { createClient as createWasmClient } from './spa_login.js';

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

// The wasm side rejects with plain objects marked __spaLogin; anything else (an exception of
// the app's own openUrl, say) passes through untouched.
function toAuthError(e) {
  if (!e || !e.__spaLogin) return e;
  const { error, error_description, state, appState } = e;
  if (error === 'timeout') return new TimeoutError(error_description, state, appState);
  if (error === 'popup_cancelled') return new PopupCancelledError(error_description, state, appState);
  return new AuthError(error, error_description, state, appState);
}

async function call(f) {
  try {
    return await f();
  } catch (e) {
    throw toAuthError(e);
  }
}

class Client {
  #wasm;
  #listeners = new Set();
  #state = { isAuthenticated: false, isLoading: false };
  #version = -1;
  #channel;
  #quiet = false;

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
    this.#state = { isAuthenticated, isLoading: false, user: this.#wasm.getUser(), ...(error ? { error } : {}) };
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
      const result = await call(f);
      this.#emit();
      return result;
    } catch (e) {
      this.#emit(e instanceof AuthError ? e : undefined);
      throw e;
    }
  }

  loginWithRedirect(options) {
    return call(() => this.#wasm.loginWithRedirect(options));
  }

  handleRedirectCallback(url) {
    return this.#track(() => this.#wasm.handleRedirectCallback(url));
  }

  getAccessToken(options) {
    return this.#track(() => this.#wasm.getAccessToken(options), false);
  }

  /** Alias of getAccessToken, for apps coming from auth0-spa-js. */
  getTokenSilently(options) {
    return this.getAccessToken(options);
  }

  checkSession(options) {
    return this.#track(() => this.#wasm.checkSession(options));
  }

  loginWithPopup(options) {
    return this.#track(() => this.#wasm.loginWithPopup(options));
  }

  async getUser() {
    return this.#wasm.getUser();
  }

  async getIdTokenClaims() {
    return this.#wasm.getIdTokenClaims();
  }

  async isAuthenticated() {
    return this.#wasm.isAuthenticated();
  }

  logout(options) {
    return this.#track(() => this.#wasm.logout(options));
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
  return call(async () => {
    await load();
    return new Client(await createWasmClient(options));
  });
}
