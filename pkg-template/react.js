'use client';
// spa-login/react: the client as React state. <AuthProvider> starts the client once per page
// load, useAuth() reads its state (and re-renders only when something in it changed), and
// withAuthenticationRequired guards a component. Nothing here touches the browser while
// rendering, so a server render shows the loading state and imports never throw.
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { LOADING, createAuthStore, guard } from './auth-store.js';

const AuthContext = createContext(undefined);

// Without a router of the app's to tell: the address bar shows where the login started.
function replaceLocation(appState) {
  if (typeof appState?.returnTo === 'string') window.history.replaceState(window.history.state, '', appState.returnTo);
}

/**
 * Provides the client to its children. Props: the client's options (read once, at the first
 * render), `onRedirectCallback(appState)` (after a callback; default: the address bar shows
 * `appState.returnTo`), `skipRedirectCallback`.
 */
export function AuthProvider({ children, onRedirectCallback, ...options }) {
  // The latest callback, without restarting anything when the app passes a new function.
  const onRedirect = useRef(onRedirectCallback);
  useEffect(() => {
    onRedirect.current = onRedirectCallback;
  });
  // One store per provider: React may call this initializer twice (StrictMode), but starting
  // is the effect's job, and the effect runs on the one store React keeps.
  const [store] = useState(() => createAuthStore({ ...options, onRedirectCallback: (appState) => (onRedirect.current ?? replaceLocation)(appState) }));
  // StrictMode runs this twice (mount, unmount, mount): start() is idempotent, so the callback
  // is handled once.
  useEffect(() => {
    store.start();
  }, [store]);
  return createElement(AuthContext.Provider, { value: store }, children);
}

function useStore() {
  const store = useContext(AuthContext);
  if (!store) throw new Error('spa-login/react: useAuth() needs an <AuthProvider> above it');
  return store;
}

const serverState = () => LOADING;

/**
 * The state (`isAuthenticated`, `isLoading`, `user`, `error`) and the client's methods. A
 * component renders again only when the state changed: a renewed token with the same profile
 * renders nothing.
 */
export function useAuth() {
  const store = useStore();
  const state = useSyncExternalStore(store.subscribe, store.getState, serverState);
  return useMemo(() => ({ ...state, ...store.methods }), [state, store]);
}

/**
 * `Component` for logged-in users; others are sent to the provider's login and brought back to
 * this address (or `returnTo`). `onRedirecting()` renders meanwhile (default: nothing);
 * `loginOptions` go to loginWithRedirect.
 */
export function withAuthenticationRequired(Component, { onRedirecting = () => null, returnTo, loginOptions } = {}) {
  function WithAuthenticationRequired(props) {
    const store = useStore();
    const { isAuthenticated, isLoading } = useSyncExternalStore(store.subscribe, store.getState, serverState);
    // One redirect at a time, also when StrictMode runs the effect twice.
    const leaving = useRef(false);
    useEffect(() => {
      if (isLoading || isAuthenticated || leaving.current) return;
      leaving.current = true;
      const { pathname, search, hash } = window.location;
      const target = typeof returnTo === 'function' ? returnTo() : (returnTo ?? pathname + search + hash);
      guard(store, target, loginOptions).finally(() => {
        leaving.current = false;
      });
    }, [store, isLoading, isAuthenticated]);
    return isAuthenticated ? createElement(Component, props) : onRedirecting();
  }
  WithAuthenticationRequired.displayName = `withAuthenticationRequired(${Component.displayName || Component.name || 'Component'})`;
  return WithAuthenticationRequired;
}
