import { Suspense, use, useState } from 'react';
import { AuthError } from 'spa-login';
import { AuthProvider, useAuth } from 'spa-login/react';

// Settings differ per environment, so they are served at run time instead of being bundled.
const settings = fetch('/config.json').then((res) => res.json());

// What a renewal answers when only the provider's own pages can go on. With refresh tokens,
// also: none is held (after a reload with the memory cache), or the provider refused it.
const NEEDS_INTERACTION = new Set(['login_required', 'consent_required', 'interaction_required', 'missing_refresh_token', 'invalid_grant']);

// The sample API's word on the token it was sent (its answer's `bound` and `jkt`).
function binding({ bound, jkt }) {
  return bound === undefined ? '' : bound ? `DPoP-bound to key ${jkt}` : 'Bearer (not bound)';
}

// An AuthError carries a stable code and a description.
function describe(e) {
  if (!e) return '';
  return e instanceof AuthError ? `${e.error}: ${e.error_description}` : String(e.message ?? e);
}

function Status({ text }) {
  return <p>Status: <b data-testid="status">{text}</b></p>;
}

export default function App() {
  return (
    <main>
      <h1>spa-login: React sample</h1>
      <Suspense fallback={<Status text="Loading" />}>
        <Sample />
      </Suspense>
    </main>
  );
}

// AuthProvider creates the client once and, back from the provider (the response in the
// fragment, or for the code flow in the query), validates the response, exchanges a code and
// keeps the tokens, once even under StrictMode. After a failed callback the error stays on
// screen: no silent login behind it. On a plain page load (a reload, a new tab) the tokens in
// memory are gone, but the provider's session may still be alive: it asks it silently
// ("not logged in" is no error).
function Sample() {
  const config = use(settings);
  const [appState, setAppState] = useState();
  return (
    <AuthProvider
      // issuer or domain (Auth0) and clientId are required; the rest is optional. responseType
      // picks the flow: 'code' (with PKCE) or 'code id_token'; unset, the implicit flow.
      {...(config.domain ? { domain: config.domain } : { issuer: config.issuer })}
      clientId={config.clientId}
      authorizationParams={{
        redirect_uri: window.location.origin + '/',
        scope: 'openid profile email',
        audience: config.audience,
        response_type: config.responseType,
      }}
      useRefreshTokens={config.useRefreshTokens}
      // Tokens bound to a key this browser holds (the provider must support DPoP).
      useDpop={config.useDpop}
      cacheLocation={config.cacheLocation}
      leeway={config.leeway}
      authorizeTimeoutInSeconds={config.authorizeTimeoutInSeconds}
      // Without a router, the address bar is the place to go back to; an app with one
      // navigates there instead.
      onRedirectCallback={(state) => {
        setAppState(state);
        if (state?.returnTo) window.history.replaceState(null, '', state.returnTo);
      }}
    >
      <Controls config={config} appState={appState} />
    </AuthProvider>
  );
}

function Controls({ config, appState }) {
  const auth = useAuth();
  const [apiResult, setApiResult] = useState('');
  // What the API said of the token: DPoP-bound to this browser's key (useDpop), or Bearer.
  const [apiBinding, setApiBinding] = useState('');
  // The last button's failure; until a button fails, the client's own (a refused callback).
  const [error, setError] = useState();

  // A button's handler: clears the last error and shows a new one.
  const act = (action) => async () => {
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  };

  // The API's answer, with the access token for it (fetchWithAuth), or, when the provider
  // wants the user on its pages, off to the login page (resolves undefined: the page is
  // leaving).
  //
  // Why fall back to a redirect: without refresh tokens, silent renewal runs in a hidden iframe
  // on the provider's site, and a browser that blocks third-party cookies (Safari, Firefox's
  // strict mode, Chrome with the setting on, or an app on another site than the provider with
  // SameSite cookies) sends that iframe none of the provider's session cookies. The provider
  // then answers login_required although the user is logged in there. A top-level redirect
  // does carry the cookies, so it usually comes straight back with tokens and no form to fill.
  async function fetchWithToken(url, authorizationParams) {
    try {
      return await auth.fetchWithAuth(url, {}, { authorizationParams });
    } catch (e) {
      if (!(e instanceof AuthError) || !NEEDS_INTERACTION.has(e.error)) throw e;
      await auth.loginWithRedirect({
        appState: { returnTo: window.location.pathname, at: 'api', reason: e.error },
        authorizationParams,
      });
      return undefined;
    }
  }

  async function callApi(withToken, authorizationParams) {
    const url = `${config.apiUrl}/api/private`;
    const res = withToken ? await fetchWithToken(url, authorizationParams) : await fetch(url);
    if (res === undefined) return;
    const text = await res.text();
    setApiResult(`${res.status} ${text}`);
    setApiBinding(binding(res.ok ? JSON.parse(text) : {}));
  }

  const status = auth.isLoading ? 'Loading' : auth.isAuthenticated ? 'Logged in' : 'Logged out';
  return (
    <>
      <Status text={status} />
      <p>
        <button data-testid="login" onClick={act(() => auth.loginWithRedirect({ appState: { returnTo: window.location.pathname, at: 'sample' } }))}>Log in</button>
        {/* The popup opens in the click handler itself: browsers block popups opened later. */}
        <button data-testid="login-popup" onClick={act(() => auth.loginWithPopup())}>Log in (popup)</button>
        <button data-testid="logout" onClick={act(() => auth.logout({ logoutParams: { returnTo: window.location.origin + '/' } }))}>Log out</button>
        <button data-testid="call-api" onClick={act(() => callApi(true))}>Call API</button>
        <button data-testid="call-api-2" hidden={!config?.audience2} onClick={act(() => callApi(true, { audience: config.audience2 }))}>Call the second API</button>
        <button data-testid="call-api-without-token" onClick={act(() => callApi(false))}>Call API without token</button>
      </p>
      <p data-testid="error" style={{ color: '#b00020' }}>{describe(error ?? auth.error)}</p>
      <h2>Profile</h2>
      <pre data-testid="profile">{auth.isAuthenticated && auth.user ? JSON.stringify(auth.user, null, 2) : ''}</pre>
      <h2>API result</h2>
      <pre data-testid="api-result">{apiResult}</pre>
      <p>Token: <b data-testid="api-binding">{apiBinding}</b></p>
      <h2>appState from the last login</h2>
      <pre data-testid="app-state">{appState === undefined ? '' : JSON.stringify(appState, null, 2)}</pre>
    </>
  );
}
