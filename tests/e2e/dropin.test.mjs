// End-to-end: an app written for auth0-spa-js (tests/e2e/dropin/app.ts: its README's quick
// start and its vanilla JavaScript sample, with only the import changed to spa-login) is
// type-checked with `tsc --strict` against the package's types, and what tsc emits runs in
// Chromium against the Auth0-shaped provider: log in (the authorization code flow with PKCE,
// auth0-spa-js's default), get a token silently, call the API, reload (the session comes back
// through createAuth0Client's checkSession), log out, reload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLIENT_ID, startApi, startProvider } from '../../www/servers.mjs';
import { contentType, fileUnder } from '../../www/static.mjs';
import { launchChromium } from './browsers.mjs';
import { byTestId, onFreePorts, recordAuthorizeRequests, signInAtProvider, testIdText, WAIT_MS, webStorage } from './harness.mjs';

const FIXTURE = fileURLToPath(new URL('./dropin/', import.meta.url));
const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const AUDIENCE = 'https://api.example.com/messages';

// The app's server: its page, the script tsc emitted, the package under /pkg/ (the page's
// import map points there), and /config.json.
async function startDropinApp({ port, out, config }) {
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/config.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(config));
    }
    const file = pathname === '/app.js' ? join(out, 'app.js')
      : pathname.startsWith('/pkg/') ? fileUnder(PKG, pathname.slice('/pkg/'.length))
        : join(FIXTURE, 'index.html');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': contentType(file), 'Cache-Control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, 'localhost', resolve);
  });
  return () => new Promise((resolve) => server.close(resolve));
}

describe('an auth0-spa-js app with only its import changed', { timeout: 180_000 }, () => {
  let out;
  const closers = [];
  let browser;
  let appUrl;
  let providerOrigin;
  let api;
  const grants = [];

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'spa-login-dropin-'));
    const provider = await onFreePorts(3, async ([providerPort, apiPort, appPort], started) => {
      // Registered as the app registers them at Auth0: the origin, as the README's
      // `window.location.origin` gives it (no trailing slash).
      appUrl = `http://localhost:${appPort}`;
      const oidc = await startProvider({
        port: providerPort, auth0: true, audiences: [AUDIENCE], redirectUris: [appUrl], postLogoutRedirectUris: [appUrl],
      });
      started.push(oidc.close);
      providerOrigin = new URL(oidc.issuer).origin;
      api = await startApi({ port: apiPort, issuer: oidc.issuer, allowedOrigins: [appUrl], audiences: [AUDIENCE] });
      started.push(api.close);
      const config = { domain: providerOrigin, clientId: CLIENT_ID, audience: AUDIENCE, apiUrl: api.url };
      started.push(await startDropinApp({ port: appPort, out, config }));
      closers.push(...started);
      return oidc;
    });
    provider.oidc.on('grant.success', (ctx) => grants.push(ctx.oidc.params.grant_type));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await Promise.all(closers.map((close) => close()));
    await rm(out, { recursive: true, force: true });
  });

  test('type-checks with tsc --strict against the package types', async () => {
    // tests/e2e/dropin/types.ts also holds what the types must refuse (@ts-expect-error), so a
    // type that is too loose fails this as surely as one that is too strict.
    const run = promisify(execFile)(process.execPath, [TSC, '-p', join(FIXTURE, 'tsconfig.json'), '--outDir', out]);
    await run.catch((e) => assert.fail(`tsc --strict refused the app:\n${e.stdout}${e.stderr}`));
    assert.match(await readFile(join(out, 'app.js'), 'utf8'), /from 'spa-login'/);
  });

  test('logs in with the code flow, gets a token silently, calls the API, reloads, logs out', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const authorize = recordAuthorizeRequests(page, { authorizationEndpoint: `${providerOrigin}/authorize` });

    // A first visit: createAuth0Client's checkSession finds no session hint (auth0-spa-js's
    // "is authenticated" cookie) and asks the provider nothing.
    await page.goto(`${appUrl}/`, { timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    assert.deepEqual(authorize, [], 'no request to the provider');
    // An app that moved over from auth0-spa-js: its own cookie of a recent login makes
    // checkSession ask (here the provider has no session yet), once: the cookie is gone after.
    const auth0Cookie = `auth0.${CLIENT_ID}.is.authenticated`;
    const cookies = () => page.evaluate(() => document.cookie);
    await page.evaluate((name) => { document.cookie = `${name}=true; path=/`; }, auth0Cookie);
    await page.reload({ timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    assert.deepEqual(authorize.map((u) => u.searchParams.get('prompt')), ['none'], "auth0-spa-js's cookie: asked silently");
    assert.ok(!(await cookies()).includes(auth0Cookie), 'the cookie is used once');
    await page.reload({ timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    assert.equal(authorize.length, 1, 'the next load asks nothing');

    // The login: auth0-spa-js's defaults, the code flow with PKCE and the answer in the query.
    await byTestId(page, 'login').click();
    await page.waitForURL((url) => url.href.startsWith(`${providerOrigin}/interaction/`), { timeout: WAIT_MS });
    const login = authorize.at(-1).searchParams;
    assert.equal(login.get('response_type'), 'code');
    assert.equal(login.get('code_challenge_method'), 'S256');
    assert.equal(login.get('redirect_uri'), appUrl);
    assert.equal(login.get('audience'), AUDIENCE);
    assert.equal(login.get('scope'), 'openid profile email');
    const callback = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(`${appUrl}/?`), { timeout: WAIT_MS });
    await signInAtProvider(page, page.waitForURL((url) => url.origin === appUrl, { timeout: WAIT_MS }));
    const query = new URL((await callback).url()).searchParams;
    assert.ok(query.get('code') && query.get('state'), 'the code and state came back in the query');
    await testIdText(page, 'status', 'Logged in');
    assert.equal(page.url(), `${appUrl}/`, 'the app replaced the callback URL with appState.targetUrl');
    assert.equal(await testIdText(page, 'app-state', /./), '{"targetUrl":"/"}');
    assert.ok(grants.includes('authorization_code'), 'the code was exchanged at the token endpoint');

    const profile = JSON.parse(await testIdText(page, 'profile', /alice/));
    assert.deepEqual(profile, { name: 'Alice Liddell', email: 'alice@example.com' });
    const token = await testIdText(page, 'token', /\S/);
    const details = JSON.parse(await testIdText(page, 'token-details', /\S/));
    assert.equal(details.sameToken, true, 'detailedResponse gives the same access token');
    assert.equal(details.sameIdToken, true, 'and the session ID token');
    assert.ok(details.expiresIn > 3000 && details.expiresIn <= 3600, `expires_in ${details.expiresIn}`);

    // The API gets that token as a Bearer token, and takes it (a JWT for the audience).
    const apiCall = page.waitForRequest((r) => r.url() === `${api.url}/api/private` && r.method() === 'GET', { timeout: WAIT_MS });
    await byTestId(page, 'call-api').click();
    assert.equal((await (await apiCall).allHeaders()).authorization, `Bearer ${token}`);
    const answer = JSON.parse(await testIdText(page, 'api-result', /\S/));
    assert.equal(answer.message, 'Hello from the protected API');
    assert.equal(answer.sub, 'alice');

    // The tokens live in memory: after a reload createAuth0Client brings the session back
    // from the provider's (a silent request, as the login left its hint) before the app renders.
    const before = authorize.length;
    await page.reload({ timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged in');
    assert.deepEqual(authorize.slice(before).map((u) => u.searchParams.get('prompt')), ['none']);
    assert.equal(JSON.parse(await testIdText(page, 'profile', /alice/)).name, 'Alice Liddell');

    // Logout: Auth0's /v2/logout with returnTo, back at the app, logged out there and here. An
    // auth0-spa-js cookie goes too (as auth0-spa-js's logout removes it).
    await page.evaluate((name) => { document.cookie = `${name}=true; path=/`; }, auth0Cookie);
    const toLogout = page.waitForRequest((r) => r.url().startsWith(`${providerOrigin}/v2/logout?`), { timeout: WAIT_MS });
    await byTestId(page, 'logout').click();
    const logout = new URL((await toLogout).url()).searchParams;
    assert.equal(logout.get('returnTo'), appUrl);
    assert.equal(logout.get('client_id'), CLIENT_ID);
    await page.waitForURL((url) => url.origin === appUrl, { timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    const afterLogout = authorize.length;
    assert.ok(!(await cookies()).includes(auth0Cookie), "the logout removed auth0-spa-js's cookie");
    await page.reload({ timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    assert.equal(authorize.length, afterLogout, 'the logout removed the hint: the reload asks the provider nothing');
    const storage = await webStorage(page);
    for (const area of Object.values(storage)) {
      for (const value of Object.values(area)) assert.ok(!value.includes(token), 'no token is left in storage');
    }
    assert.deepEqual(problems, [], 'the page threw nothing');
  });

  test("a silent renewal that the provider answers with login_required ends the session here too, as auth0-spa-js's does", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appUrl}/`, { timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    await byTestId(page, 'login').click();
    await page.waitForURL((url) => url.href.startsWith(`${providerOrigin}/interaction/`), { timeout: WAIT_MS });
    await signInAtProvider(page, page.waitForURL((url) => url.origin === appUrl, { timeout: WAIT_MS }));
    await testIdText(page, 'status', 'Logged in');
    // A client made as the app makes its own: the login's hint has it restore the session from
    // the provider's.
    const authenticated = await page.evaluate(async ([domain, clientId, audience]) => {
      const m = await import('spa-login');
      window.second = await m.createAuth0Client({ domain, clientId, authorizationParams: { redirect_uri: location.origin, audience } });
      return window.second.isAuthenticated();
    }, [providerOrigin, CLIENT_ID, AUDIENCE]);
    assert.equal(authenticated, true);
    // The provider's session ends (its cookie gone, as after a logout elsewhere or its expiry).
    await context.clearCookies();
    const r = await page.evaluate(async () => {
      let error;
      try {
        await window.second.getTokenSilently({ cacheMode: 'off' });
      } catch (e) {
        error = e.error;
      }
      return { error, authenticated: await window.second.isAuthenticated(), user: (await window.second.getUser()) ?? null };
    });
    assert.deepEqual(r, { error: 'login_required', authenticated: false, user: null });
    await context.close();
  });

  test("auth0-spa-js's options and error classes, as its apps use them", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${appUrl}/`, { timeout: WAIT_MS });
    await testIdText(page, 'status', 'Logged out');
    const r = await page.evaluate(async (domain) => {
      const m = await import('spa-login');
      const base = { domain, clientId: 'spa-demo', authorizationParams: { redirect_uri: location.origin } };
      // What a call rejected with: the classes it is an instance of, its code and text.
      const outcome = async (call) => {
        try {
          return { resolved: await call() };
        } catch (e) {
          const classes = ['AuthError', 'GenericError', 'AuthenticationError', 'InvalidConfigurationError', 'TimeoutError',
            'PopupTimeoutError', 'PopupCancelledError', 'PopupOpenError', 'MfaRequiredError', 'MissingRefreshTokenError',
            'UseDpopNonceError'].filter((name) => e instanceof m[name]);
          return { classes, name: e.name, error: e.error, description: e.error_description };
        }
      };
      let federatedUrl;
      const client = await m.createAuth0Client({ ...base, useCookiesForTransactions: true, cookieDomain: 'localhost', useFormData: true });
      // Every method of a Client but subscribe, on the Auth0Client.
      const clientMethods = Object.keys(await m.createClient(base)).filter((k) => k !== 'subscribe').sort();
      const missing = clientMethods.filter((k) => typeof m.Auth0Client.prototype[k] !== 'function');
      // A popup opened for a client that could not be made is closed again.
      let popup;
      const open0 = window.open;
      window.open = (...args) => (popup = open0.apply(window, args));
      const popupOfBadClient = await outcome(() => new m.Auth0Client({ ...base, bogusOption: 1 }).loginWithPopup());
      window.open = open0;
      // The scopes sent: auth0-spa-js's `openid` always, a call's added to the client's.
      const scopesSent = async (clientScope, callScope) => {
        let url;
        const params = clientScope === undefined ? base.authorizationParams : { ...base.authorizationParams, scope: clientScope };
        await new m.Auth0Client({ ...base, authorizationParams: params })
          .loginWithRedirect({ authorizationParams: callScope === undefined ? {} : { scope: callScope }, openUrl: (u) => { url = u; } });
        return new URL(url).searchParams.get('scope');
      };
      return {
        scopes: [await scopesSent(), await scopesSent('read:orders'), await scopesSent('read:orders', 'write:orders read:orders')],
        // A provider nobody answers for (nothing listens on port 9): the app still gets its client.
        unreachable: await outcome(async () => typeof (await m.createAuth0Client({ ...base, domain: 'http://127.0.0.1:9' })).loginWithRedirect),
        badOption: await outcome(() => m.createAuth0Client({ ...base, bogusOption: 1 })),
        clientMethods,
        missing,
        popupOfBadClient,
        popupOpened: !!popup,
        popupClosed: !!popup?.closed,
        // Whatever string the app passes: an AuthError, from the core.
        notAUrl: await outcome(() => client.handleRedirectCallback('/?code=abc&state=xyz')),
        garbage: await outcome(() => client.handleRedirectCallback('garbage')),
        // The constructor returns at once; a bad option rejects the calls.
        misspelt: await outcome(() => new m.Auth0Client({ ...base, cachelocation: 'localstorage' }).getUser()),
        // auth0-spa-js reads 0 as its default.
        zeroHttpTimeout: await outcome(() => new m.Auth0Client({ ...base, httpTimeoutInSeconds: 0 }).isAuthenticated()),
        badTimeout: await outcome(() => client.getTokenSilently({ timeoutInSeconds: 0 })),
        loggedOut: await outcome(() => client.getTokenSilently({ timeoutInSeconds: 5 })),
        cacheOnly: await outcome(() => client.getTokenSilently({ cacheMode: 'cache-only', detailedResponse: true })),
        noRefreshToken: await outcome(() => new m.Auth0Client({ ...base, useRefreshTokens: true }).getTokenSilently()),
        federated: await outcome(() => client.logout({ logoutParams: { federated: true, returnTo: location.origin }, openUrl: (url) => { federatedUrl = url; } })),
        federatedUrl,
        configuration: client.getConfiguration(),
      };
    }, providerOrigin);
    assert.deepEqual(r.scopes, ['openid profile email', 'openid read:orders', 'openid read:orders write:orders']);
    assert.deepEqual(r.configuration, { domain: providerOrigin, clientId: 'spa-demo' }, "auth0-spa-js's getConfiguration");
    assert.deepEqual(r.unreachable, { resolved: 'function' }, "createAuth0Client resolves whatever checkSession met");
    assert.equal(r.badOption.error, 'invalid_configuration', 'a bad option still rejects');
    assert.ok(r.clientMethods.includes('generateDpopProof') && r.clientMethods.length >= 13, r.clientMethods.join(', '));
    assert.deepEqual(r.missing, [], 'Auth0Client lacks methods of Client');
    assert.equal(r.popupOfBadClient.error, 'invalid_configuration');
    assert.equal(r.popupOpened, true, 'the popup was opened (with the click)');
    assert.equal(r.popupClosed, true, 'the popup of a client that could not be made is closed');
    for (const call of [r.notAUrl, r.garbage]) {
      assert.ok(call.classes?.includes('AuthError'), JSON.stringify(call));
      assert.equal(call.error, 'invalid_state', JSON.stringify(call));
    }
    assert.deepEqual(r.misspelt.classes, ['AuthError', 'GenericError', 'InvalidConfigurationError']);
    assert.equal(r.misspelt.name, 'InvalidConfigurationError');
    assert.match(r.misspelt.description, /unknown option 'cachelocation'/);
    assert.deepEqual(r.zeroHttpTimeout, { resolved: false });
    assert.deepEqual(r.badTimeout.classes, ['AuthError', 'GenericError', 'InvalidConfigurationError']);
    assert.match(r.badTimeout.description, /timeoutInSeconds/);
    // The provider's answer to the silent request, with the request's state.
    assert.deepEqual(r.loggedOut.classes, ['AuthError', 'GenericError', 'AuthenticationError']);
    assert.equal(r.loggedOut.error, 'login_required');
    assert.deepEqual(r.cacheOnly, { resolved: undefined });
    assert.deepEqual(r.noRefreshToken.classes, ['AuthError', 'GenericError', 'MissingRefreshTokenError']);
    assert.equal(r.noRefreshToken.error, 'missing_refresh_token');
    assert.deepEqual(r.federated, { resolved: undefined });
    const logout = new URL(r.federatedUrl);
    assert.equal(`${logout.origin}${logout.pathname}`, `${providerOrigin}/v2/logout`);
    assert.equal(logout.searchParams.get('federated'), '');
    assert.equal(logout.searchParams.get('returnTo'), appUrl);
  });
});
