// What the React and Vue bindings share (bundled into each, so an app downloads only its own):
// the start of a client (the callback in the URL once, else a silent session restore), and a
// state that changes identity only when something in it changed, so a token renewal that
// changes nothing makes no component render. The client itself comes from the package's entry,
// imported as a module of its own: an app that uses a binding and the entry gets one instance.
import { createClient } from './index.js';

// Until the start is over nothing is known: a page must not flash "logged out" before the
// session is restored (nor the server render anything but this).
export const LOADING = Object.freeze({ isAuthenticated: false, isLoading: true, user: undefined, error: undefined });

// Whether `url` carries an authorization response for handleRedirectCallback: one in the
// fragment (the implicit and hybrid flows, fragment-mode errors), or in the query with a state
// (the code flow's default response mode, and errors some providers send there). The one place
// both bindings decide it.
export function isRedirectCallback(url) {
  const { hash, search } = new URL(url);
  return /[#&](state|error)=/.test(hash) || (/[?&](code|error)=/.test(search) && /[?&]state=/.test(search));
}

// Responses being handled, by URL. A response can be used once, and a framework may start a
// binding twice for one page load (a remount before the first start was over, two providers):
// the second gets the first one's client and outcome instead of a second, failing, exchange.
const callbacks = new Map();

function startCallback(options, href) {
  let started = callbacks.get(href);
  if (!started) {
    const client = createClient(options);
    started = { client, outcome: client.then((c) => c.handleRedirectCallback()) };
    callbacks.set(href, started);
  }
  return started;
}

// `next` with what did not change taken from `prev`: `prev` itself when nothing changed, and
// the same user object when the profile is the same (every renewal parses a new one).
function settle(prev, next) {
  const user = prev.user && next.user && JSON.stringify(prev.user) === JSON.stringify(next.user) ? prev.user : next.user;
  if (prev.isAuthenticated === next.isAuthenticated && prev.isLoading === next.isLoading && prev.user === user && prev.error === next.error) {
    return prev;
  }
  return Object.freeze({ isAuthenticated: next.isAuthenticated, isLoading: next.isLoading, user, error: next.error });
}

/**
 * A store for one app: `start()` (idempotent; browser only) creates the client and handles the
 * callback or restores the session; `getState()` / `subscribe(listener)` follow the state;
 * `methods` are the client's, callable before the client exists (they wait for it).
 *
 * `options` are the client's, plus `skipRedirectCallback` (leave a response in the URL to the
 * app) and `onRedirectCallback(appState)` (called once after a successful callback).
 */
export function createAuthStore({ onRedirectCallback, skipRedirectCallback, ...options }) {
  let state = LOADING;
  let client;
  let clientPromise;
  let starting = true;
  let latest = LOADING;
  const listeners = new Set();

  const set = (next) => {
    const settled = settle(state, next);
    if (settled === state) return;
    state = settled;
    for (const listener of listeners) listener(state);
  };

  const start = () => {
    if (clientPromise) return clientPromise;
    const href = window.location.href;
    const callback = !skipRedirectCallback && isRedirectCallback(href) ? startCallback(options, href) : undefined;
    clientPromise = callback ? callback.client : createClient(options);
    clientPromise.then(
      async (c) => {
        client = c;
        // The client's own state, shown as loading until the start is over.
        c.subscribe((s) => {
          latest = s;
          set(starting ? { ...s, isLoading: true } : s);
        });
        try {
          if (callback) {
            const { appState } = await callback.outcome;
            onRedirectCallback?.(appState);
          } else {
            await c.checkSession();
          }
        } catch {
          // The client's state carries the error (a refused callback stays on screen; no silent
          // login is tried behind it).
        }
        starting = false;
        set(latest);
      },
      // A bad option: nothing to wait for.
      (error) => set({ isAuthenticated: false, isLoading: false, error }),
    );
    return clientPromise;
  };

  // A client method: at once when the client is there (loginWithPopup must open its window in
  // the click handler itself), else once it is.
  const call = (name) => (...args) => (client ? client[name](...args) : (clientPromise ?? start()).then((c) => c[name](...args)));

  return {
    start,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // Resolves once the state is not loading (route guards wait for it).
    loaded() {
      return new Promise((resolve) => {
        if (!state.isLoading) return resolve(state);
        const stop = this.subscribe((s) => {
          if (s.isLoading) return;
          stop();
          resolve(s);
        });
      });
    },
    methods: {
      loginWithRedirect: call('loginWithRedirect'),
      loginWithPopup: call('loginWithPopup'),
      logout: call('logout'),
      getAccessToken: call('getAccessToken'),
      fetchWithAuth: call('fetchWithAuth'),
      checkSession: call('checkSession'),
      getIdTokenClaims: call('getIdTokenClaims'),
    },
  };
}

// What a route guard does once the start is over: lets an authenticated user through (true);
// sends anyone else to the provider's login with `returnTo` in appState, the way back, and
// resolves false. Not when the state holds an error (a refused callback, say): sending the user
// again could loop through the provider, so the guard stays put and the app shows the error.
export async function guard(store, returnTo, loginOptions) {
  const state = await store.loaded();
  if (state.isAuthenticated) return true;
  if (!state.error) await store.methods.loginWithRedirect({ ...loginOptions, appState: { ...loginOptions?.appState, returnTo } });
  return false;
}
