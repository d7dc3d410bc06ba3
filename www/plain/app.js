import { AuthError, createClient } from 'spa-login';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

// Every failure lands in the error line; an AuthError carries a stable code and a description.
function showError(e) {
  $('error').textContent = e instanceof AuthError ? `${e.error}: ${e.error_description}` : String(e?.message ?? e);
}

async function main() {
  // Settings differ per environment, so they are served at run time instead of being bundled.
  const config = await (await fetch('/config.json')).json();
  const client = await createClient({
    issuer: config.issuer,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: location.origin + '/', scope: 'openid profile email' },
  });

  async function render() {
    const loggedIn = await client.isAuthenticated();
    $('status').textContent = loggedIn ? 'Logged in' : 'Logged out';
    $('profile').textContent = loggedIn ? JSON.stringify(await client.getUser(), null, 2) : '';
  }

  async function callApi(withToken) {
    const headers = withToken ? { Authorization: `Bearer ${await client.getAccessToken()}` } : {};
    const res = await fetch(`${config.apiUrl}/api/private`, { headers });
    $('api-result').textContent = `${res.status} ${await res.text()}`;
  }

  const actions = {
    'login': () => client.loginWithRedirect({ appState: { returnTo: location.pathname, at: 'sample' } }),
    'logout': () => client.logout({ logoutParams: { returnTo: location.origin + '/' } }),
    'call-api': () => callApi(true),
    'call-api-without-token': () => callApi(false),
  };
  for (const [id, action] of Object.entries(actions)) {
    $(id).addEventListener('click', () => {
      $('error').textContent = '';
      action().catch(showError);
    });
  }

  // Back from the provider, the response is in the fragment: validate it and keep the tokens.
  if (/[#&](state|error)=/.test(location.hash)) {
    try {
      const { appState } = await client.handleRedirectCallback();
      $('app-state').textContent = JSON.stringify(appState, null, 2);
    } catch (e) {
      showError(e);
    }
  }
  await render();
}

main().catch(showError);
