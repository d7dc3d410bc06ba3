// Shared machinery of the end-to-end tests: the local provider, API and one sample app on free
// loopback ports, one headless browser per test file (Chromium, or Firefox: see browsers.mjs),
// a fresh browser context per test, and the steps and checks the sample suites share. Needs a
// built package (node scripts/build.mjs).
//
// defineSampleSuite(app, { browser }) declares the whole suite for one sample in one browser;
// each *.test.mjs file calls it for its app (*.firefox.test.mjs in Firefox), so node's test
// runner gives every sample and browser its own process.
// defineE2E(name, { stacks }, define) gives a test file of its own (session.test.mjs,
// auth0.test.mjs) the same: one Chromium, the stacks it asks for, a fresh context per test.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './browsers.mjs';
import { buildSample, CLIENT_ID, DEMO_USER, startApi, startApp, startProvider } from '../../www/servers.mjs';

const PKG_ENTRY = fileURLToPath(new URL('../../pkg/index.js', import.meta.url));

// How long one awaited condition may take (a page load, a redirect, a text to appear).
export const WAIT_MS = 15_000;
// One test: a login through the provider's forms plus the checks.
const TEST_TIMEOUT_MS = 60_000;
// Installing and building a React or Vue sample with Vite.
const BUILD_TIMEOUT_MS = 240_000;

// A port the OS considers free on localhost right now. The provider's issuer must name its port,
// so the port is chosen before the server starts; another process (a browser's outgoing
// connection, say) may take it in between: onFreePorts starts again on new ports then.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Provider, API and app server for one sample. The app's origin is the redirect URI and the
// post-logout return address registered with the provider, and the one origin the API allows.
//
// Options: `auth0` makes the provider Auth0-shaped (issuer with a trailing slash, /authorize,
// /v2/logout, web_message, `audience` as a resource indicator; the API then takes JWTs for one
// of `audiences`) and the app a `domain` client; `appHost` '127.0.0.1' puts the app on another
// site than the provider (localhost); `provider` passes options to startProvider (token
// lifetimes, say), `api` to startApi (dpop); `config` adds to the app's /config.json (with
// useDpop, the provider has DPoP on unless `provider.dpop` says how); `redirectPaths` registers
// more redirect URIs at the provider (paths of the app). `stack.setConfig(overrides)`
// changes what the next page load reads, on top of that base; `stack.setHeaders(headers, { html })`
// what the app server sends with every response from then on, and how it changes its HTML pages.
//
// `stack.metadata` is the provider's discovery document, `stack.grants` lists what its
// token endpoint was asked and answered, as the provider saw it (see recordGrant), and
// `stack.apiCalls` what the API answered (startApi's log); defineE2E empties both before each test.
export function startStack(app, options = {}) {
  return onFreePorts(3, (ports, closers) => startStackOn(ports, closers, app, options));
}

async function startStackOn([providerPort, apiPort, appPort], closers, app, { auth0 = false, audiences = [], appHost = 'localhost', provider: providerOptions = {}, api: apiOptions = {}, config = {}, redirectPaths = [] } = {}) {
  const appUrl = `http://${appHost}:${appPort}`;
  const provider = await startProvider({
    port: providerPort,
    // The samples' own (`location.origin + '/'`), and the default of a client given none
    // (`window.location.origin`, exactly): registered as users register what they send.
    redirectUris: [`${appUrl}/`, appUrl, ...redirectPaths.map((path) => `${appUrl}${path}`)],
    postLogoutRedirectUris: [`${appUrl}/`],
    auth0,
    audiences,
    ...(config.useDpop ? { dpop: {} } : {}),
    ...providerOptions,
  });
  closers.push(provider.close);
  const grants = [];
  provider.oidc.on('grant.success', (ctx) => grants.push(recordGrant(ctx)));
  provider.oidc.on('grant.error', (ctx, error) => grants.push(recordGrant(ctx, error)));
  const discoveryUrl = new URL('.well-known/openid-configuration', provider.issuer.endsWith('/') ? provider.issuer : `${provider.issuer}/`);
  const metadata = await (await fetch(discoveryUrl)).json();
  const api = await startApi({
    port: apiPort, issuer: provider.issuer, allowedOrigins: [appUrl], audiences: auth0 ? audiences : undefined,
    apiClient: provider.apiClient, ...apiOptions,
  });
  closers.push(api.close);
  const providerOrigin = new URL(provider.issuer).origin;
  // A domain with a scheme is taken as is by the package: issuer `${domain}/`.
  const base = {
    ...(auth0 ? { domain: providerOrigin } : { issuer: provider.issuer }),
    clientId: CLIENT_ID,
    apiUrl: api.url,
    ...config,
  };
  let current = base;
  let headers = {};
  let render = (html) => html;
  const web = await startApp({ port: appPort, host: appHost, app, config: () => current, headers: () => headers, render: (html) => render(html) });
  closers.push(web.close);
  assert.equal(web.url, appUrl);
  return {
    issuer: provider.issuer,
    providerOrigin,
    authorizationEndpoint: provider.authorizationEndpoint,
    apiUrl: api.url,
    appUrl,
    metadata,
    grants,
    apiCalls: api.log,
    setConfig: (overrides = {}) => {
      current = { ...base, ...overrides };
    },
    setHeaders: (sent = {}, { html = (text) => text } = {}) => {
      headers = sent;
      render = html;
    },
    close: () => Promise.all(closers.map((close) => close())),
  };
}

// One request to the token endpoint as oidc-provider handled it: the grant type, the code or
// refresh token it was given, and what it issued (with its token_type) or its error code.
function recordGrant(ctx, error) {
  const params = ctx.oidc?.params ?? {};
  return {
    grantType: params.grant_type,
    code: params.code,
    refreshToken: params.refresh_token,
    ...(error
      ? { error: error.error ?? 'server_error' }
      : { issued: { accessToken: ctx.body?.access_token, idToken: ctx.body?.id_token, refreshToken: ctx.body?.refresh_token, tokenType: ctx.body?.token_type } }),
  };
}

// `start(ports, closers)` with `n` distinct free ports; `start` pushes onto `closers` the close
// function of each server as it starts. If `start` fails, the servers it started are closed, and
// when a port was taken before a server could listen on it (EADDRINUSE) it runs again with new
// ports and a new list.
export async function onFreePorts(n, start) {
  for (let attempt = 1; ; attempt += 1) {
    const ports = new Set();
    while (ports.size < n) ports.add(await freePort());
    const closers = [];
    try {
      return await start([...ports], closers);
    } catch (e) {
      await Promise.all(closers.map((close) => close()));
      if (e.code !== 'EADDRINUSE' || attempt === 5) throw e;
    }
  }
}

// Waits for all of `starting` (each resolving to something with a close(), a browser or a
// stack). If one fails, closes those that started before rethrowing: a failed `before` hook
// must leave no server or browser behind, or the test process never exits.
export async function startAll(starting) {
  const results = await Promise.allSettled(starting);
  const failed = results.find((r) => r.status === 'rejected');
  if (!failed) return results.map((r) => r.value);
  await Promise.all(results.filter((r) => r.status === 'fulfilled').map((r) => r.value.close().catch(() => {})));
  throw failed.reason;
}

// ---------------------------------------------------------------------------------------------
// Waiting and checking

// Polls `read` until `accept` holds for its value, or fails after `timeout` with the last value
// seen. This is how a check waits for the page; no fixed sleeps stand in for a condition.
export async function eventually(read, accept, { timeout = WAIT_MS, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `an error: ${lastError.message}` : JSON.stringify(last);
      throw new assert.AssertionError({ message: `timed out after ${timeout} ms waiting for ${what}; last saw ${seen}` });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

// The (trimmed) text of a data-testid element once it satisfies `expected`: a string it must
// equal, a RegExp it must match, or a predicate.
export function testIdText(page, id, expected) {
  const accept = typeof expected === 'string' ? (t) => t === expected
    : expected instanceof RegExp ? (t) => expected.test(t) : expected;
  return eventually(async () => (await byTestId(page, id).textContent({ timeout: WAIT_MS })).trim(), accept,
    { what: `[data-testid=${id}] to be ${expected}` });
}

// The status line once the app has finished starting (it shows "Loading" until then).
export function settledStatus(page) {
  return eventually(async () => (await byTestId(page, 'status').textContent({ timeout: WAIT_MS })).trim(),
    (t) => t === 'Logged in' || t === 'Logged out', { what: 'the status to leave "Loading"' });
}

// Everything in both Web Storage areas of the page's origin, as { local, session } maps.
export function webStorage(page) {
  return page.evaluate(() => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    return { local: dump(localStorage), session: dump(sessionStorage) };
  });
}

// Fails if any Web Storage entry contains one of `secrets` (token strings).
export function assertStorageHoldsNone(storage, secrets, message) {
  const tokens = secrets.filter(Boolean);
  assert.ok(tokens.length > 0, 'the check needs at least one token to look for');
  for (const [area, entries] of Object.entries(storage)) {
    for (const [key, value] of Object.entries(entries)) {
      for (const token of tokens) {
        assert.ok(!value.includes(token) && !key.includes(token),
          `${message}: ${area}Storage["${key}"] holds a token`);
      }
    }
  }
}

// The parameters of a callback URL's fragment (the URL's own text, decoded as a form).
export function fragmentParams(url) {
  return new URLSearchParams(new URL(url).hash.slice(1));
}

// The parameters of a callback URL's query (the code flow's default response mode).
export function queryParams(url) {
  return new URL(url).searchParams;
}

// Replaces the raw (still encoded) value of one response parameter in a callback URL (in its
// fragment, or its query for the code flow), leaving every other byte as the provider sent it.
export function replaceResponseParam(url, name, change) {
  const re = new RegExp(`([?#&]${name}=)([^&#]*)`);
  const match = re.exec(url);
  assert.ok(match, `the callback ${url} has no ${name} parameter to change`);
  const changed = change(match[2]);
  assert.notEqual(changed, match[2], `the change of ${name} must change it`);
  return url.replace(re, `$1${changed}`);
}

// A different base64url character in the middle of a JWS's signature segment: the token keeps
// its shape (three base64url segments of the same lengths) and only the signature is wrong.
export function corruptSignature(jws) {
  const parts = jws.split('.');
  assert.equal(parts.length, 3, 'an ID token is three segments');
  const sig = parts[2];
  const i = Math.floor(sig.length / 2);
  const swapped = sig[i] === 'A' ? 'B' : 'A';
  parts[2] = sig.slice(0, i) + swapped + sig.slice(i + 1);
  return parts.join('.');
}

// ---------------------------------------------------------------------------------------------
// Driving the provider

// Records every redirect the provider sends to the app (its Location, fragment included), in
// the tab and its frames (the hidden iframe of a silent request), or with `mainFrame`, in the
// tab only. Passive: the browser follows the redirects itself.
export function recordCallbacks(page, stack, { mainFrame = false } = {}) {
  const seen = [];
  page.on('response', (response) => {
    if (mainFrame && response.frame() !== page.mainFrame()) return;
    const location = response.headers().location;
    if (response.url().startsWith(`${stack.providerOrigin}/`) && location?.startsWith(`${stack.appUrl}/`)) seen.push(location);
  });
  return seen;
}

// Records the requests to the provider's authorization endpoint (from the page, its frames,
// or with a context, every page of it), as URL objects.
export function recordAuthorizeRequests(target, stack) {
  const seen = [];
  target.on('request', (request) => {
    if (request.url().startsWith(`${stack.authorizationEndpoint}?`)) seen.push(new URL(request.url()));
  });
  return seen;
}

// The access token of an Authorization header, in either scheme (Bearer, or DPoP).
export const tokenOf = (authorization) => /^(?:Bearer|DPoP) (.+)$/.exec(authorization ?? '')?.[1];

// Records the calls to the API (not CORS preflights): the access token each one carried.
export function recordApiCalls(page, stack) {
  const seen = [];
  page.on('request', (request) => {
    if (request.method() !== 'GET' || !request.url().startsWith(`${stack.apiUrl}/`)) return;
    seen.push(tokenOf(request.headers().authorization));
  });
  return seen;
}

// Records where the page's main frame goes (the address bar), from now on.
export function recordNavigations(page) {
  const seen = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) seen.push(frame.url());
  });
  return seen;
}

// Every address the main frame showed was the app's.
export function assertStayedAtApp(navigations, stack, what) {
  for (const url of navigations) assert.equal(new URL(url).origin, stack.appUrl, `${what}: the page went to ${url}`);
}

// How many iframes the page's document has (the silent flow must leave none behind).
export function iframeCount(page) {
  return page.evaluate(() => document.querySelectorAll('iframe').length);
}

// Rewrites the provider's final redirect to the app. Playwright routes only the first request
// of a redirect chain, and the chain that ends at the app starts with the consent form's POST
// (then the provider's /auth/<uid> resume step). So each navigation to the provider is made
// here with the browser context's own request client (same cookie jar), following the
// provider's internal resume redirects one at a time (in the tab only: the hidden iframe of
// the sample's checkSession passes untouched); a redirect that leaves for the app has
// its Location (the real callback URL, fragment and all) given to `change`, and the browser gets
// the returned URL instead. Other responses reach the browser as they were, a redirect to a
// provider page as one redirect straight there. Only the first callback is changed; later
// requests (a silent renew's, say) pass untouched. Returns the list of { original, sent }.
export async function rewriteCallbacks(page, stack, change) {
  const rewritten = [];
  const issuer = new URL(stack.issuer);
  const request = page.context().request;
  await page.route((url) => url.origin === issuer.origin, async (route) => {
    const sent = route.request();
    if (rewritten.length > 0 || !sent.isNavigationRequest() || sent.frame() !== page.mainFrame()) return route.continue();
    let response = await route.fetch({ maxRedirects: 0 });
    for (let hops = 0; ; hops++) {
      const location = response.headers().location;
      if (!location) return route.fulfill({ response });
      const target = new URL(location, response.url());
      if (target.href.startsWith(`${stack.appUrl}/`)) {
        const sent = change(location);
        rewritten.push({ original: location, sent });
        return route.fulfill({ response, headers: { ...response.headers(), location: sent } });
      }
      if (target.origin !== issuer.origin || !/^\/auth\//.test(target.pathname) || hops > 5) {
        return route.fulfill({ response, headers: { ...response.headers(), location: target.href } });
      }
      response = await request.get(target.href, { maxRedirects: 0 });
    }
  });
  return rewritten;
}

// Starts at the app, clicks login and signs in on the provider's pages (login form, then the
// consent page when the provider shows one), up to the provider's redirect back to the app.
export async function loginThroughProvider(page, stack) {
  await openApp(page, stack);
  assert.equal(await settledStatus(page), 'Logged out', 'a fresh browser context starts logged out');
  await byTestId(page, 'login').click();
  await page.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
  await signInAtProvider(page, page.waitForURL((url) => url.origin === stack.appUrl, { timeout: WAIT_MS }));
}

// Fills the provider's login form shown in `page` (the tab, or a popup) and allows the consent
// page if one follows; `done` settles when the provider has let go (back at the app, the popup
// closed).
export async function signInAtProvider(page, done) {
  await page.locator('input[name=login]').fill(DEMO_USER.login);
  await page.locator('input[name=password]').fill(DEMO_USER.password);
  await page.locator('button[type=submit]').click();
  // The consent page, if any, is another provider page with a submit button; the app's pages
  // have none, so the first of the two that appears tells which one we are on.
  const consent = page.locator('form[action$="/confirm"] button[type=submit]');
  const first = await Promise.race([
    consent.waitFor({ timeout: WAIT_MS }).then(() => 'consent'),
    done.then(() => 'done'),
  ]);
  if (first === 'consent') {
    await consent.click();
    await done;
  }
}

export async function openApp(page, stack) {
  await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
}

// Clicks call-api when the provider has no session for this browser. The silent attempt of
// getAccessToken is answered login_required, and the sample goes to the provider's login page
// (its fallback) instead of calling the API: no token the client may have kept is used. Needs
// the fragment flow (a provider without web_message), whose answers are redirects to the app.
export async function assertCallApiFallsBackToLogin(page, stack) {
  const callbacks = recordCallbacks(page, stack);
  const authorize = recordAuthorizeRequests(page, stack);
  const api = recordApiCalls(page, stack);
  await byTestId(page, 'call-api').click();
  await page.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
  assert.deepEqual(authorize.map((url) => url.searchParams.get('prompt')), ['none', null],
    'a silent request, then an interactive one in the tab');
  assert.equal(callbacks.length, 1, 'the provider answered the silent request once');
  assert.equal(fragmentParams(callbacks[0]).get('error'), 'login_required');
  assert.deepEqual(api, [], 'the API was not called');
  await page.locator('input[name=login]').waitFor({ timeout: WAIT_MS });
}

// Clicks the button `testId` and waits for the API call it makes: the token it carried (and
// its DPoP proof), and the API's answer. A use_dpop_nonce challenge is not the answer: the
// client retries with the nonce, and the retry's is.
export async function clickAndCallApi(page, stack, testId) {
  const answered = page.waitForResponse(
    (r) => r.url().startsWith(`${stack.apiUrl}/`) && r.request().method() === 'GET'
      && !/^DPoP error="use_dpop_nonce"/.test(r.headers()['www-authenticate'] ?? ''), { timeout: WAIT_MS });
  await byTestId(page, testId).click();
  const response = await answered;
  const headers = await response.request().allHeaders();
  return { token: tokenOf(headers.authorization), proof: headers.dpop, status: response.status(), body: await response.json() };
}

// Logs in through the provider's forms, checks the app says so, and returns the tokens of the
// provider's answer.
export async function logIn(page, stack) {
  const callbacks = recordCallbacks(page, stack, { mainFrame: true });
  await loginThroughProvider(page, stack);
  assert.equal(await settledStatus(page), 'Logged in');
  assert.equal(callbacks.length, 1, 'the provider redirected to the app exactly once');
  const params = fragmentParams(callbacks[0]);
  return { accessToken: params.get('access_token'), idToken: params.get('id_token') };
}

// Logs out through the provider's end-session page and back to the app, logged out. Leaving for
// that page is watched from before the click: the provider's page submits its logout form
// itself at once, and until it commits the address bar still shows the app.
export async function logOutThroughProvider(page, stack) {
  const atProvider = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame() && frame.url().startsWith(stack.metadata.end_session_endpoint),
    timeout: WAIT_MS,
  });
  await byTestId(page, 'logout').click();
  await atProvider;
  await page.waitForURL((url) => url.href === `${stack.appUrl}/`, { timeout: WAIT_MS });
  assert.equal(await settledStatus(page), 'Logged out');
}

// The address bar has no fragment, no query (the samples' redirect URI has none) and nothing
// of the response anywhere in it.
export function assertCleanAddressBar(page, stack) {
  const url = page.url();
  assert.equal(new URL(url).origin, stack.appUrl, `back at the app, not at ${url}`);
  assert.ok(!url.includes('#'), `the address bar still has a fragment: ${url}`);
  assert.ok(!url.includes('?'), `the address bar still has a query: ${url}`);
  for (const name of ['access_token', 'id_token', 'code', 'state', 'iss', 'error', 'token_type', 'expires_in']) {
    assert.ok(!url.includes(`${name}=`), `the address bar still has ${name}: ${url}`);
  }
}

// ---------------------------------------------------------------------------------------------
// A test file of its own: one browser, some stacks, a fresh browser context per test

// Declares the suite `name` with the stacks `stacks` ({ key: [app, startStack options] }),
// started in parallel with one `browser` (Chromium by default, with launchChromium `launch`
// options; or Firefox, see browsers.mjs), once the samples they use are built. `define(env, it)`
// declares the tests; in them `env.stacks[key]`, `env.browser`, `env.context` and `env.page`
// are ready, and every stack's config is back to its base.
export function defineE2E(name, { stacks, launch = {}, browser: browserName = 'chromium' }, define) {
  const env = { stacks: {} };
  describe(name, { timeout: BUILD_TIMEOUT_MS + 20 * TEST_TIMEOUT_MS }, () => {
    before(async () => {
      await stat(PKG_ENTRY).catch(() => {
        throw new Error('pkg/ is not built: run `node scripts/build.mjs` at the repository root');
      });
      const entries = Object.entries(stacks);
      // One build at a time: the machine's cores are for the browser and the servers.
      for (const app of new Set(entries.map(([, [app]]) => app))) await buildSample(app);
      const [browser, ...started] = await startAll([
        launchBrowser(browserName, launch),
        ...entries.map(([, [app, options]]) => startStack(app, options)),
      ]);
      env.browser = browser;
      entries.forEach(([key], i) => { env.stacks[key] = started[i]; });
    }, { timeout: BUILD_TIMEOUT_MS + TEST_TIMEOUT_MS });

    after(async () => {
      await env.browser?.close();
      await Promise.all(Object.values(env.stacks).map((stack) => stack.close()));
    });

    beforeEach(async () => {
      for (const stack of Object.values(env.stacks)) {
        stack.setConfig();
        stack.setHeaders();
        stack.grants.length = 0;
        stack.apiCalls.length = 0;
      }
      env.context = await env.browser.newContext();
      env.page = await env.context.newPage();
    });

    afterEach(async () => {
      await env.context?.close();
    });

    // `options` go to node's test() (`todo`: a known failure that does not fail the run).
    define(env, (title, fn, options = {}) => test(title, { timeout: TEST_TIMEOUT_MS, ...options }, () => fn()));
  });
}

// ---------------------------------------------------------------------------------------------
// The suite every sample app must pass

// `browser`: 'chromium' (all of it) or 'firefox' (all but the tests that rewrite the provider's
// response on its way, which need Playwright's request routing; what they check is the
// package's own validation, the same in every browser).
export function defineSampleSuite(app, { replay = false, lifecycle = false, browser: browserName = 'chromium' } = {}) {
  const title = browserName === 'chromium' ? `the ${app} sample` : `the ${app} sample in ${browserName}`;
  describe(title, { timeout: BUILD_TIMEOUT_MS + 10 * TEST_TIMEOUT_MS }, () => {
    let stack;
    let browser;
    let context;
    let page;

    before(async () => {
      await stat(PKG_ENTRY).catch(() => {
        throw new Error('pkg/ is not built: run `node scripts/build.mjs` at the repository root');
      });
      await buildSample(app);
      [stack, browser] = await startAll([startStack(app), launchBrowser(browserName)]);
    }, { timeout: BUILD_TIMEOUT_MS });

    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    beforeEach(async () => {
      context = await browser.newContext();
      page = await context.newPage();
    });

    afterEach(async () => {
      await context?.close();
    });

    const it = (name, fn) => test(name, { timeout: TEST_TIMEOUT_MS }, () => fn());
    const chromiumOnly = browserName === 'chromium' ? it : () => {};

    // Logs in for real and returns the response the provider sent to the app.
    async function login() {
      const callbacks = recordCallbacks(page, stack, { mainFrame: true });
      await loginThroughProvider(page, stack);
      assert.equal(await settledStatus(page), 'Logged in');
      assert.equal(callbacks.length, 1, 'the provider redirected to the app exactly once');
      const params = fragmentParams(callbacks[0]);
      return { url: callbacks[0], accessToken: params.get('access_token'), idToken: params.get('id_token') };
    }

    // The app after a rejected callback: shows `code`, is logged out, cleaned the address bar,
    // kept none of the tokens, got no appState back and has no token to call the API with.
    async function assertRejected(code, rewritten, detail) {
      const error = await testIdText(page, 'error', /\S/);
      assert.match(error, new RegExp(`^${code}: `), `the error line names ${code}`);
      if (detail) assert.match(error, detail);
      assert.equal(await settledStatus(page), 'Logged out');
      assert.equal(await testIdText(page, 'profile', /^/), '', 'no profile is shown');
      assertCleanAddressBar(page, stack);
      const tokens = rewritten.flatMap(({ original, sent }) => [original, sent].flatMap((u) => {
        const p = fragmentParams(u);
        return [p.get('access_token'), p.get('id_token')];
      }));
      assertStorageHoldsNone(await webStorage(page), tokens, 'after a rejected callback');
      assert.equal(await testIdText(page, 'app-state', /^/), '', 'no appState came back');
      // The provider still has a session, so getAccessToken could renew silently and hide a
      // cached token or the lack of one. Without the provider's cookies, only a token the
      // client kept could make the call work; with none, the sample falls back to the login page.
      await context.clearCookies();
      await assertCallApiFallsBackToLogin(page, stack);
    }

    it("a real login through the provider's forms shows the profile", async () => {
      const { accessToken, idToken } = await login();
      assert.ok(accessToken && idToken, 'the provider sent an access token and an ID token');
      const profile = JSON.parse(await testIdText(page, 'profile', /^\{/));
      assert.equal(profile.sub, 'alice');
      assert.equal(profile.name, 'Alice Liddell');
      assert.equal(profile.email, 'alice@example.com');
      assert.deepEqual(JSON.parse(await testIdText(page, 'app-state', /^\{/)), { returnTo: '/', at: 'sample' });
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
      assertCleanAddressBar(page, stack);
      const storage = await webStorage(page);
      const txKeys = Object.keys(storage.session).filter((k) => k.startsWith('spa-login.tx.'));
      assert.deepEqual(txKeys, [], 'the login transaction is gone from sessionStorage');
      assertStorageHoldsNone({ local: storage.local }, [accessToken, idToken], 'with the memory cache');
      assertStorageHoldsNone({ session: storage.session }, [accessToken, idToken], 'with the memory cache');
    });

    it('the API answers with the token and refuses without it', async () => {
      await login();
      await byTestId(page, 'call-api').click();
      const withToken = await testIdText(page, 'api-result', /\S/);
      assert.match(withToken, /^200 /);
      assert.equal(JSON.parse(withToken.slice(4)).message, 'Hello from the protected API');
      assert.equal(JSON.parse(withToken.slice(4)).sub, 'alice');
      await byTestId(page, 'call-api-without-token').click();
      const without = await testIdText(page, 'api-result', (t) => t !== withToken);
      assert.match(without, /^401 /);
      assert.equal(JSON.parse(without.slice(4)).error, 'invalid_token');
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    });

    chromiumOnly('a callback with a changed state is rejected with invalid_state and stores nothing', async () => {
      const rewritten = await rewriteCallbacks(page, stack, (url) => replaceResponseParam(url, 'state',
        (state) => (state[0] === 'A' ? 'B' : 'A') + state.slice(1)));
      await loginThroughProvider(page, stack);
      assert.equal(rewritten.length, 1, 'the provider redirected to the app exactly once');
      await assertRejected('invalid_state', rewritten);
    });

    chromiumOnly('a callback whose ID token signature was changed is rejected with invalid_id_token and stores nothing', async () => {
      const rewritten = await rewriteCallbacks(page, stack, (url) => replaceResponseParam(url, 'id_token', corruptSignature));
      await loginThroughProvider(page, stack);
      assert.equal(rewritten.length, 1, 'the provider redirected to the app exactly once');
      await assertRejected('invalid_id_token', rewritten, /signature/);
    });

    it('logout leaves no token', async () => {
      const { accessToken, idToken } = await login();
      await logOutThroughProvider(page, stack);
      assert.equal(await testIdText(page, 'profile', /^/), '', 'no profile is shown');
      assertStorageHoldsNone(await webStorage(page), [accessToken, idToken], 'after logout');
      // The provider's session is over too: no silent renew can get a new token, and the
      // sample sends the user to the login form.
      await assertCallApiFallsBackToLogin(page, stack);
    });

    it('access_denied from the provider is shown', async () => {
      await openApp(page, stack);
      assert.equal(await settledStatus(page), 'Logged out');
      await byTestId(page, 'login').click();
      await page.getByRole('link', { name: 'Cancel' }).click({ timeout: WAIT_MS });
      await page.waitForURL((url) => url.origin === stack.appUrl, { timeout: WAIT_MS });
      assert.match(await testIdText(page, 'error', /\S/), /^access_denied: \S/);
      assert.equal(await settledStatus(page), 'Logged out');
      assertCleanAddressBar(page, stack);
    });

    if (lifecycle) {
      it('a reload restores the session silently, and a logout in another tab shows here', async () => {
        await login();
        const navigations = recordNavigations(page);
        const authorize = recordAuthorizeRequests(page, stack);
        await page.reload({ timeout: WAIT_MS });
        assert.equal(await settledStatus(page), 'Logged in', 'checkSession restored the session');
        assert.equal(JSON.parse(await testIdText(page, 'profile', /^\{/)).sub, 'alice');
        assert.deepEqual(authorize.map((url) => url.searchParams.get('prompt')), ['none'], 'one silent request');
        assertStayedAtApp(navigations, stack, 'during the restore');
        assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');

        const other = await context.newPage();
        await openApp(other, stack);
        assert.equal(await settledStatus(other), 'Logged in', 'a new tab restores the session too');
        const otherNavigations = recordNavigations(other);
        await byTestId(page, 'logout').click();
        await testIdText(other, 'status', 'Logged out');
        assert.equal(await testIdText(other, 'profile', /^/), '', 'no profile is shown');
        assert.deepEqual(otherNavigations, [], 'the other tab did not reload or navigate');
      });
    }

    if (replay) {
      it('a replayed callback URL is rejected with invalid_state', async () => {
        const { url, accessToken, idToken } = await login();
        // A new document (going through about:blank), as a reload or the back button gives;
        // from the app's own page, a fragment-only change would not load the page again.
        await page.goto('about:blank');
        await page.goto(url, { timeout: WAIT_MS });
        assert.match(await testIdText(page, 'error', /\S/), /^invalid_state: /);
        assert.equal(await settledStatus(page), 'Logged out');
        assertCleanAddressBar(page, stack);
        assertStorageHoldsNone(await webStorage(page), [accessToken, idToken], 'after a replayed callback');
      });
    }
  });
}
