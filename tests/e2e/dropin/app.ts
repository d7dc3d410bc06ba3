// An app written for auth0-spa-js, as its README's quick start and its vanilla JavaScript sample
// show it, with one change: the import names spa-login instead of @auth0/auth0-spa-js. The test
// type-checks it with `tsc --strict` and runs what tsc emits.
import { createAuth0Client, User } from 'spa-login';

// Where the tenant and the API are: an app has them in its build; this one asks its server.
interface Config {
  domain: string;
  clientId: string;
  audience: string;
  apiUrl: string;
}
const config: Config = await (await fetch('/config.json')).json();

interface Profile extends User {
  email: string;
}

interface AppState {
  targetUrl: string;
}

const auth0Client = await createAuth0Client({
  domain: config.domain,
  clientId: config.clientId,
  authorizationParams: {
    redirect_uri: window.location.origin,
    audience: config.audience,
  },
});

const el = (id: string) => document.getElementById(id) as HTMLButtonElement;

const updateUI = async () => {
  const isAuthenticated = await auth0Client.isAuthenticated();

  el('btn-logout').disabled = !isAuthenticated;
  el('btn-login').disabled = isAuthenticated;
  el('btn-call-api').disabled = !isAuthenticated;

  if (isAuthenticated) {
    const user = await auth0Client.getUser<Profile>();
    el('ipt-user-profile').textContent = JSON.stringify({ name: user?.name, email: user?.email });
    el('ipt-access-token').textContent = await auth0Client.getTokenSilently();
    const details = await auth0Client.getTokenSilently({ detailedResponse: true });
    const claims = await auth0Client.getIdTokenClaims();
    el('ipt-token-details').textContent = JSON.stringify({
      sameToken: details.access_token === el('ipt-access-token').textContent,
      sameIdToken: details.id_token === claims?.__raw,
      expiresIn: details.expires_in,
    });
  } else {
    el('ipt-user-profile').textContent = '';
    el('ipt-access-token').textContent = '';
  }
  document.querySelector('[data-testid=status]')!.textContent = isAuthenticated ? 'Logged in' : 'Logged out';
};

el('btn-login').addEventListener('click', async () => {
  await auth0Client.loginWithRedirect<AppState>({
    appState: { targetUrl: '/' },
  });
});

el('btn-logout').addEventListener('click', () => {
  auth0Client.logout({
    logoutParams: {
      returnTo: window.location.origin,
    },
  });
});

el('btn-call-api').addEventListener('click', async () => {
  try {
    const token = await auth0Client.getTokenSilently();
    const response = await fetch(`${config.apiUrl}/api/private`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    el('api-call-result').textContent = JSON.stringify(await response.json());
  } catch (e) {
    el('api-call-result').textContent = `error: ${e}`;
  }
});

// Coming back from the login page: the code and state are in the query.
const query = window.location.search;
if (query.includes('state=') && (query.includes('code=') || query.includes('error='))) {
  const { appState } = await auth0Client.handleRedirectCallback<AppState>();
  el('app-state').textContent = JSON.stringify(appState);
  window.history.replaceState({}, document.title, appState?.targetUrl ?? '/');
}

await updateUI();
