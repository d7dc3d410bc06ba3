// spa-login/vue: the client as Vue refs. `app.use(createAuth(options))` starts the client once
// (in the browser: a server render keeps the loading state), useAuth() returns the refs and
// the client's methods, authGuard guards vue-router routes.
import { inject, shallowRef } from 'vue';
import { createAuthStore, guard, isRedirectCallback } from './auth-store.js';

const KEY = Symbol('spa-login');
// The app that installed the plugin last: a global route guard has no app to inject from.
let installed;

/**
 * The plugin. `options` are the client's, plus `onRedirectCallback(appState)` (after a
 * callback; default: the router goes to `appState.returnTo`, else to `/`; without a router the
 * address bar shows `appState.returnTo`) and
 * `skipRedirectCallback`. Install vue-router first so the default can use it.
 */
export function createAuth({ onRedirectCallback, ...options }) {
  return {
    install(app) {
      const router = app.config.globalProperties.$router;
      const store = createAuthStore({
        ...options,
        onRedirectCallback: onRedirectCallback ?? ((appState) => {
          const to = typeof appState?.returnTo === 'string' ? appState.returnTo : undefined;
          // Through the router always: its first navigation, still waiting for a guard, would
          // otherwise finish later and put the response back in the address bar.
          if (router) router.replace(to ?? '/');
          else if (to) window.history.replaceState(window.history.state, '', to);
        }),
      });
      const state = store.getState();
      const refs = {
        isAuthenticated: shallowRef(state.isAuthenticated),
        isLoading: shallowRef(state.isLoading),
        user: shallowRef(state.user),
        error: shallowRef(state.error),
      };
      // A ref is set only when its value changed (the store keeps the same user object for the
      // same profile), so a renewal that changes nothing renders nothing.
      store.subscribe((s) => {
        for (const name of Object.keys(refs)) refs[name].value = s[name];
      });
      const auth = { ...refs, ...store.methods, store, app };
      app.provide(KEY, auth);
      app.config.globalProperties.$auth = auth;
      installed = auth;
      if (typeof window !== 'undefined') store.start();
    },
  };
}

/** Refs `isAuthenticated`, `isLoading`, `user`, `error`, and the client's methods. In setup(). */
export function useAuth() {
  const auth = inject(KEY, undefined);
  if (!auth) throw new Error('spa-login/vue: useAuth() needs app.use(createAuth(options))');
  const { store, app, ...rest } = auth;
  return rest;
}

/**
 * A vue-router guard (`beforeEnter: authGuard`, or `router.beforeEach(authGuard)` for every
 * route): waits until the session is known, then lets a logged-in user through, or sends the
 * user to the provider's login and back to this route (`appState.returnTo`) afterwards.
 */
export async function authGuard(to) {
  if (!installed) throw new Error('spa-login/vue: authGuard needs app.use(createAuth(options))');
  // A server render knows no session (the plugin starts nothing there): it renders the route,
  // and the browser's first navigation runs this guard for real.
  if (typeof window === 'undefined') return true;
  const { store, app } = installed;
  if (!(await guard(store, to.fullPath))) return false;
  // The guarded route is the callback's own address: the router's first navigation waited for
  // this guard, and when it ends it writes its address, response and all, back into the address
  // bar the client had cleaned. If it is not superseded meanwhile (an onRedirectCallback that
  // navigates, as the default one does), it is followed by one to the address the client left.
  // (Asked once, by the first guard to run: what the start handled is the first navigation's.)
  const router = app.config.globalProperties.$router;
  const cleaned = store.takeCallback();
  const base = router?.options.history.base;
  if (cleaned && typeof base === 'string' && !base.includes('#') && isRedirectCallback(new URL(to.fullPath, cleaned).href)) {
    const stop = router.afterEach((done, from, failure) => {
      stop();
      const { pathname, search, hash } = new URL(cleaned);
      if (!failure && done.fullPath === to.fullPath && pathname.startsWith(base)) router.replace(`${pathname.slice(base.length) || '/'}${search}${hash}`);
    });
  }
  return true;
}
