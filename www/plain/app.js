import { AuthError, createClient } from 'spa-login';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

// Every failure lands in the error line; an AuthError carries a stable code and a description.
function showError(e) {
  $('error').textContent = e instanceof AuthError ? `${e.error}: ${e.error_description}` : String(e?.message ?? e);
}

// What a renewal answers when only the provider's own pages can go on: the user must log in
// (or consent, or pick an account) there. With refresh tokens, also: none is held (after a
// reload with the memory cache), or the provider refused the one held (revoked, expired).
const NEEDS_INTERACTION = new Set(['login_required', 'consent_required', 'interaction_required', 'missing_refresh_token', 'invalid_grant']);

// A response from the provider in the address bar: in the fragment (implicit and hybrid
// flows), or in the query (the code flow's default response mode).
const isCallback = () => /[#&](state|error)=/.test(location.hash)
  || (/[?&](code|error)=/.test(location.search) && /[?&]state=/.test(location.search));

async function main() {
  // Settings differ per environment, so they are served at run time instead of being bundled.
  // issuer or domain (Auth0) and clientId are required; the rest is optional. responseType
  // picks the flow: 'code' (with PKCE) or 'code id_token'; unset, the implicit flow.
  const config = await (await fetch('/config.json')).json();
  const client = await createClient({
    ...(config.domain ? { domain: config.domain } : { issuer: config.issuer }),
    clientId: config.clientId,
    authorizationParams: {
      redirect_uri: location.origin + '/',
      scope: config.scope ?? 'openid profile email',
      audience: config.audience,
      response_type: config.responseType,
    },
    useRefreshTokens: config.useRefreshTokens,
    useDpop: config.useDpop,
    cacheLocation: config.cacheLocation,
    leeway: config.leeway,
    authorizeTimeoutInSeconds: config.authorizeTimeoutInSeconds,
  });
  $('call-api-2').hidden = !config.audience2;

  // The page renders from the client's state: a login or logout in another tab, or a session
  // restored in the background, shows here without a reload. Until the start-up below is
  // done the status says "Loading".
  let started = false;
  let auth = { isAuthenticated: false, isLoading: true };
  function render() {
    const loading = !started || auth.isLoading;
    $('status').textContent = loading ? 'Loading' : auth.isAuthenticated ? 'Logged in' : 'Logged out';
    $('profile').textContent = auth.isAuthenticated && auth.user ? JSON.stringify(auth.user, null, 2) : '';
  }
  client.subscribe((state) => {
    auth = state;
    render();
  });

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
      return await client.fetchWithAuth(url, {}, { authorizationParams });
    } catch (e) {
      if (!(e instanceof AuthError) || !NEEDS_INTERACTION.has(e.error)) throw e;
      await client.loginWithRedirect({
        appState: { returnTo: location.pathname, at: 'api', reason: e.error },
        authorizationParams,
      });
      return undefined;
    }
  }

  // The API's answer, and what it says of the token it was sent: DPoP-bound to this browser's
  // key (with useDpop: fetchWithAuth sent it with a proof of that key), or a bearer token.
  async function callApi(withToken, authorizationParams) {
    const url = `${config.apiUrl}/api/private`;
    const res = withToken ? await fetchWithToken(url, authorizationParams) : await fetch(url);
    if (res === undefined) return;
    const text = await res.text();
    $('api-result').textContent = `${res.status} ${text}`;
    const { bound, jkt } = res.ok ? JSON.parse(text) : {};
    $('api-binding').textContent = bound === undefined ? '' : bound ? `DPoP-bound to key ${jkt}` : 'Bearer (not bound)';
  }

  const actions = {
    'login': () => client.loginWithRedirect({ appState: { returnTo: location.pathname, at: 'sample' } }),
    // The popup must open in the click handler itself: browsers block popups opened later.
    'login-popup': () => client.loginWithPopup(),
    'logout': () => client.logout({ logoutParams: { returnTo: location.origin + '/' } }),
    'call-api': () => callApi(true),
    'call-api-2': () => callApi(true, { audience: config.audience2 }),
    'call-api-without-token': () => callApi(false),
  };
  for (const [id, action] of Object.entries(actions)) {
    $(id).addEventListener('click', () => {
      $('error').textContent = '';
      action().catch(showError);
    });
  }

  try {
    if (isCallback()) {
      // Back from the provider: validate the response (for a code, exchange it) and keep the
      // tokens. After a failed callback the error stays on screen: no silent login behind it.
      try {
        const { appState } = await client.handleRedirectCallback();
        $('app-state').textContent = JSON.stringify(appState, null, 2) ?? '';
      } catch (e) {
        showError(e);
      }
    } else {
      // A plain page load (a reload, a new tab): tokens in memory are gone, but the provider's
      // session may still be alive. checkSession asks it silently; "not logged in" is no error.
      await client.checkSession().catch(showError);
    }
  } finally {
    started = true;
    render();
  }
}

main().catch(showError);
