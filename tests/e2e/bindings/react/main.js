// A page for the spa-login/react browser tests, under StrictMode in React's development build.
// It counts what the tests need to see: renders of each component that reads useAuth(), and
// effect runs (StrictMode's double mount really happened). `/private` is guarded, and so is
// `/private-bad`, whose login options the client refuses. `window.go(path)` navigates in the
// page (as a router would); /config.json's `skipRedirectCallback` is the provider's.
import { StrictMode, createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { AuthProvider, useAuth, withAuthenticationRequired } from 'spa-login/react';

const counts = (window.counts = { statusRenders: 0, profileRenders: 0, providerEffects: 0 });

function Status() {
  counts.statusRenders++;
  const { isLoading, isAuthenticated, error } = useAuth();
  return h('p', null,
    h('b', { 'data-testid': 'status' }, isLoading ? 'Loading' : isAuthenticated ? 'Logged in' : 'Logged out'),
    h('span', { 'data-testid': 'error' }, error ? `${error.error}: ${error.error_description}` : ''));
}

function Profile() {
  counts.profileRenders++;
  const { user } = useAuth();
  return h('pre', { 'data-testid': 'profile' }, user ? user.name : '');
}

function Buttons() {
  const auth = useAuth();
  // Unchanged state must not render these: a ref to the methods is enough for the tests.
  useEffect(() => {
    window.auth = auth;
  });
  return h('p', null,
    h('button', { 'data-testid': 'login', onClick: () => auth.loginWithRedirect({ appState: { returnTo: '/' } }) }, 'Log in'),
    h('button', { 'data-testid': 'logout', onClick: () => auth.logout({ logoutParams: { returnTo: `${window.location.origin}/` } }) }, 'Log out'));
}

const Private = withAuthenticationRequired(() => h('p', { 'data-testid': 'private' }, 'Private page'), {
  onRedirecting: () => h('p', { 'data-testid': 'redirecting' }, 'Redirecting'),
});
const PrivateBad = withAuthenticationRequired(() => h('p', { 'data-testid': 'private' }, 'Private page'), {
  onRedirecting: () => h('p', { 'data-testid': 'redirecting' }, 'Redirecting'),
  loginOptions: { authorizationParams: { response_type: 'not a flow' } },
});

function App({ config }) {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    counts.providerEffects++;
    window.go = (to) => {
      window.history.pushState(null, '', to);
      setPath(window.location.pathname);
    };
  }, []);
  return h(AuthProvider, {
    ...config,
    // How an app with a router goes back to where the login started.
    onRedirectCallback: (appState) => {
      window.history.replaceState(null, '', appState?.returnTo ?? '/');
      setPath(window.location.pathname);
    },
  }, h(Status), h(Profile), h(Buttons), path === '/private' ? h(Private) : path === '/private-bad' ? h(PrivateBad) : null);
}

const config = await (await fetch('/config.json')).json();
createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App, {
  config: {
    issuer: config.issuer,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: `${window.location.origin}/`, response_type: config.responseType },
    useRefreshTokens: config.useRefreshTokens,
    skipRedirectCallback: config.skipRedirectCallback,
  },
})));
