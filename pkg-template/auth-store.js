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

// Responses being handled, by URL and client. A response can be used once, and a framework may
// start a binding twice for one page load (a remount before the first start was over): the
// second gets the first one's client and outcome instead of a second, failing, exchange. A
// provider of another client (another issuer or client id) on the same page makes its own.
const callbacks = new Map();

const callbackKey = (options, href) => JSON.stringify([href, options?.issuer ?? options?.domain, options?.clientId]);

function startCallback(options, href) {
  const key = callbackKey(options, href);
  let started = callbacks.get(key);
  if (!started) {
    const client = createClient(options);
    started = { client, outcome: client.then((c) => c.handleRedirectCallback()) };
    // Awaited by the start once the client exists; a client that could not be made is the
    // start's failure, not a rejection of this too that nobody handles.
    started.outcome.catch(() => {});
    callbacks.set(key, started);
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
 *
 * The state's `error` is that of a login, as auth0-react and auth0-vue keep it: of the start (a
 * refused callback, a failed session restore, a client that could not be made), of
 * `loginWithPopup` and `handleRedirectCallback`, and of a guard's redirect. A login clears it.
 * A failed token request is its caller's to handle (it rejects): kept in the state, it would
 * stay on every page and stop every guard.
 */
export function createAuthStore({ onRedirectCallback, skipRedirectCallback, ...options }) {
  let state = LOADING;
  let client;
  let clientPromise;
  let starting = true;
  // The client's last state, and the store's error (see above). `refused`: the error is a
  // refused callback, after which no guard sends the user to the provider again (that could
  // loop through it).
  let latest = LOADING;
  let error;
  let refused = false;
  // The address bar once the start had handled a response in it (the client took the response
  // out), until a guard asks (see takeCallback).
  let cleaned;
  const listeners = new Set();

  const publish = () => {
    const settled = settle(state, { ...latest, isLoading: starting || latest.isLoading, error });
    if (settled === state) return;
    state = settled;
    for (const listener of listeners) listener(state);
  };

  const fail = (e, callback = false) => {
    error = e;
    refused = callback;
    publish();
  };

  const start = () => {
    if (clientPromise) return clientPromise;
    // A start tried again (its first had no client) says what it finds, not the first's error.
    starting = true;
    error = undefined;
    refused = false;
    publish();
    const href = window.location.href;
    const callback = !skipRedirectCallback && isRedirectCallback(href) ? startCallback(options, href) : undefined;
    clientPromise = callback ? callback.client : createClient(options);
    clientPromise.then(
      async (c) => {
        client = c;
        c.subscribe((s) => {
          // A login (here or in another tab) ends what the error was about.
          if (s.isAuthenticated && !latest.isAuthenticated) error = undefined;
          latest = s;
          publish();
        });
        try {
          if (callback) {
            const { appState } = await callback.outcome.finally(() => {
              cleaned = window.location.href;
            });
            onRedirectCallback?.(appState);
          } else {
            await c.checkSession();
          }
        } catch (e) {
          // A refused callback stays on screen, and no silent login is tried behind it.
          error = e;
          refused = !!callback;
        }
        starting = false;
        publish();
      },
      (e) => {
        // No client (no module: offline, say; or a bad option): the next call of a method
        // tries again, with the response still in the URL.
        client = clientPromise = undefined;
        if (callback) callbacks.delete(callbackKey(options, href));
        latest = { isAuthenticated: false, isLoading: false };
        starting = false;
        fail(e);
      },
    );
    return clientPromise;
  };

  // A client method: at once when the client is there (loginWithPopup must open its window in
  // the click handler itself), else once it is.
  const call = (name) => (...args) => (client ? client[name](...args) : start().then((c) => c[name](...args)));

  // A login method: its failure is the state's error, its success clears it.
  const login = (name, callback = false) => {
    const method = call(name);
    return (...args) => method(...args).then(
      (result) => {
        if (callback || name === 'loginWithPopup') fail(undefined);
        return result;
      },
      (e) => {
        fail(e, callback);
        throw e;
      },
    );
  };

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
    // Whether the state's error is a refused callback.
    refused: () => refused && state.error !== undefined,
    // The address bar as the start's callback left it, once: the first guard to ask gets it.
    takeCallback() {
      const href = cleaned;
      cleaned = undefined;
      return href;
    },
    fail,
    methods: {
      loginWithRedirect: call('loginWithRedirect'),
      loginWithPopup: login('loginWithPopup'),
      handleRedirectCallback: login('handleRedirectCallback', true),
      logout: call('logout'),
      getAccessToken: call('getAccessToken'),
      // auth0-react's and auth0-vue's name for it.
      getAccessTokenSilently: call('getAccessToken'),
      fetchWithAuth: call('fetchWithAuth'),
      checkSession: call('checkSession'),
      getIdTokenClaims: call('getIdTokenClaims'),
    },
  };
}

// What a route guard does once the start is over: lets an authenticated user through (true);
// sends anyone else to the provider's login with `returnTo` in appState, the way back, and
// resolves false. Not after a refused callback: sending the user again could loop through the
// provider, so the guard stays put and the app shows the error. A redirect that could not
// start (the provider unreachable, say) is the state's error, not a rejection nobody handles.
export async function guard(store, returnTo, loginOptions) {
  const state = await store.loaded();
  if (state.isAuthenticated) return true;
  if (!store.refused()) {
    await store.methods.loginWithRedirect({ ...loginOptions, appState: { ...loginOptions?.appState, returnTo } }).catch((e) => store.fail(e));
  }
  return false;
}
