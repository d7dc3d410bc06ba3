import { Suspense, use, useEffect, useState } from 'react';
import { AuthError, createClient } from 'spa-login';

// Start once per page load, outside React: a redirect response can be handled only once, and
// StrictMode runs effects twice in development.
const startup = start().catch((error) => ({ error }));

async function start() {
  // Settings differ per environment, so they are served at run time instead of being bundled.
  const config = await (await fetch('/config.json')).json();
  const client = await createClient({
    issuer: config.issuer,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: window.location.origin + '/', scope: 'openid profile email' },
  });
  // Back from the provider, the response is in the fragment: validate it and keep the tokens.
  const callback = /[#&](state|error)=/.test(window.location.hash)
    ? await client.handleRedirectCallback().catch((error) => ({ error }))
    : {};
  return { config, client, ...callback };
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

function Sample() {
  const { config, client, appState, error: startupError } = use(startup);
  const [auth, setAuth] = useState({ status: 'Loading' });
  const [apiResult, setApiResult] = useState('');
  const [error, setError] = useState(startupError);

  useEffect(() => {
    if (!client) return;
    (async () => {
      const loggedIn = await client.isAuthenticated();
      setAuth(loggedIn ? { status: 'Logged in', user: await client.getUser() } : { status: 'Logged out' });
    })().catch(setError);
  }, [client]);

  // A button's handler: clears the last error and shows a new one.
  const act = (action) => async () => {
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  };

  async function callApi(withToken) {
    const headers = withToken ? { Authorization: `Bearer ${await client.getAccessToken()}` } : {};
    const res = await fetch(`${config.apiUrl}/api/private`, { headers });
    setApiResult(`${res.status} ${await res.text()}`);
  }

  return (
    <>
      <Status text={auth.status} />
      <p>
        <button data-testid="login" onClick={act(() => client.loginWithRedirect({ appState: { returnTo: window.location.pathname, at: 'sample' } }))}>Log in</button>
        <button data-testid="logout" onClick={act(() => client.logout({ logoutParams: { returnTo: window.location.origin + '/' } }))}>Log out</button>
        <button data-testid="call-api" onClick={act(() => callApi(true))}>Call API</button>
        <button data-testid="call-api-without-token" onClick={act(() => callApi(false))}>Call API without token</button>
      </p>
      <p data-testid="error" style={{ color: '#b00020' }}>{describe(error)}</p>
      <h2>Profile</h2>
      <pre data-testid="profile">{auth.user ? JSON.stringify(auth.user, null, 2) : ''}</pre>
      <h2>API result</h2>
      <pre data-testid="api-result">{apiResult}</pre>
      <h2>appState from the last login</h2>
      <pre data-testid="app-state">{appState === undefined ? '' : JSON.stringify(appState, null, 2)}</pre>
    </>
  );
}
