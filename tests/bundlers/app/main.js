// One tiny app, built unchanged by every bundler under test (and loaded as-is by the plain page).
// It records what each call did; the test decides what is right.
import { createClient, AuthError } from 'spa-login';

const ISSUER = 'https://op.example';
const result = { origin: location.origin };

// Runs one step and records its value or the error it threw, in a form JSON can carry.
async function step(name, fn) {
  try {
    result[name] = { ok: true, value: await fn() };
  } catch (e) {
    result[name] = {
      ok: false,
      isAuthError: e instanceof AuthError,
      name: e?.name,
      error: e?.error,
      message: String(e?.message ?? e),
    };
  }
}

// A plain async function, not top-level await, so the app needs nothing special of any bundler.
async function main() {
  let client;
  let captured;

  await step('invalidConfiguration', () => createClient({ clientId: '', issuer: ISSUER }));

  await step('createClient', async () => {
    client = await createClient({
      issuer: ISSUER,
      clientId: 'bundler-test',
      // Full enough metadata that discovery is skipped: the page makes no request to the issuer.
      metadata: { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, jwks_uri: `${ISSUER}/jwks` },
    });
    return true;
  });

  await step('loginWithRedirect', async () => {
    await client.loginWithRedirect({ appState: { n: 1 }, openUrl: (url) => { captured = url; } });
    const url = new URL(captured);
    return { endpoint: url.origin + url.pathname, params: Object.fromEntries(url.searchParams) };
  });

  await step('invalidState', () =>
    client.handleRedirectCallback(`${location.origin}/#state=bogus&access_token=x&token_type=Bearer`));

  await step('isAuthenticated', () => client.isAuthenticated());

  document.body.dataset.result = JSON.stringify(result);
}

main();
