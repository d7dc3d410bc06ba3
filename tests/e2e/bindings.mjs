// spa-login/react and spa-login/vue in a headless browser against the local provider, with the
// code flow and refresh tokens (bindings.test.mjs runs the suite in Chromium,
// bindings.firefox.test.mjs in Firefox): the pages in bindings/ (React under StrictMode in its
// development build, Vue with vue-router) count the renders of each component that reads the
// state.
import assert from 'node:assert/strict';
import { FLOWS } from '../../www/servers.mjs';
import {
  WAIT_MS, assertCleanAddressBar, byTestId, defineE2E, eventually, recordAuthorizeRequests, recordNavigations, settledStatus, signInAtProvider,
  testIdText, webStorage,
} from './harness.mjs';

const FRAMEWORKS = ['react', 'vue'];

export function defineBindingsSuite(browser) {
  defineE2E(`the framework bindings${browser === 'chromium' ? '' : ` (${browser})`}`, {
    browser,
    // '/private' is also a redirect URI: a guarded route can be the callback's address.
    stacks: Object.fromEntries(FRAMEWORKS.map((f) => [f, [`bindings-${f}`, { config: FLOWS['code-refresh'], redirectPaths: ['/private'] }]])),
  }, (env, it) => {
    const chromiumOnly = browser === 'chromium' ? it : () => {};
    const codeExchanges = (stack) => stack.grants.filter((g) => g.grantType === 'authorization_code');

    // From `path` of the app, through the provider's forms, back at the app (whatever started
    // the login: the page's button or a guard).
    async function signIn(page, stack) {
      await page.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
      await signInAtProvider(page, page.waitForURL((url) => url.origin === stack.appUrl, { timeout: WAIT_MS }));
    }

    async function logIn(page, stack) {
      await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
      assert.equal(await settledStatus(page), 'Logged out', 'a fresh browser context starts logged out');
      await byTestId(page, 'login').click();
      await signIn(page, stack);
      assert.equal(await settledStatus(page), 'Logged in');
      assert.equal(await testIdText(page, 'profile', /\S/), 'Alice Liddell');
    }

    // Once React or Vue has had the chance to render whatever is pending.
    const painted = (page) => page.evaluate(() => new Promise((resolve) => {
      requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve)));
    }));
    const settledCounts = async (page) => {
      await painted(page);
      return page.evaluate(() => ({ ...window.counts }));
    };

    // A navigation inside the app (its router's, or the React page's own).
    const navigate = (page, framework, path) => page.evaluate(({ framework, path }) => {
      if (framework === 'react') window.go(path);
      else window.router.push(path);
    }, { framework, path });

    it('react: StrictMode mounts the provider twice with a callback in the URL; the code is exchanged once and no error shows', async () => {
      const { page, stacks: { react: stack } } = env;
      await logIn(page, stack);
      // The page that handled the callback did run its effects twice: StrictMode was on.
      assert.equal(await page.evaluate(() => window.counts.providerEffects), 2, 'StrictMode mounted the app twice');
      assert.deepEqual(codeExchanges(stack).map((g) => g.error ?? 'issued'), ['issued'], 'one code exchange, which succeeded');
      assert.equal(stack.grants.length, 1, 'no other request to the token endpoint');
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
      assertCleanAddressBar(page, stack);
      const { session } = await webStorage(page);
      assert.deepEqual(Object.keys(session).filter((k) => k.startsWith('spa-login.tx.')), [], 'the transaction is used up');
    });

    for (const framework of FRAMEWORKS) {
      it(`${framework}: the guard sends a logged-out user to the provider and back to the guarded route`, async () => {
        const { page, stacks: { [framework]: stack } } = env;
        const authorize = recordAuthorizeRequests(page, stack);
        await page.goto(`${stack.appUrl}/private?tab=2`, { timeout: WAIT_MS });
        await signIn(page, stack);
        assert.equal(await testIdText(page, 'private', 'Private page'), 'Private page');
        await eventually(() => page.url(), (u) => u === `${stack.appUrl}/private?tab=2`, { what: 'the guarded route in the address bar' });
        assert.equal(await settledStatus(page), 'Logged in');
        assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
        assert.equal(codeExchanges(stack).length, 1, 'one login');
        // There and back once: the guard did not send the user again after the callback.
        assert.equal(authorize.filter((u) => u.searchParams.get('prompt') !== 'none').length, 1, 'one interactive login');
      });

      it(`${framework}: a token renewal that changes nothing renders nothing; a change does`, async () => {
        const { page, stacks: { [framework]: stack } } = env;
        await logIn(page, stack);
        const login = stack.grants.at(-1).issued;
        const before = await settledCounts(page);
        const token = await page.evaluate(() => window.auth.getAccessToken({ cacheMode: 'off' }));
        // A real renewal: the refresh token was used and the client keeps new tokens (its
        // session changed, so it tells its listeners, with a user object parsed anew).
        const renewal = stack.grants.at(-1);
        assert.equal(renewal.grantType, 'refresh_token');
        assert.ok(renewal.issued?.idToken, 'the renewal brought an ID token');
        assert.equal(token, renewal.issued.accessToken);
        assert.notEqual(token, login.accessToken);
        // auth0-react's and auth0-vue's name for it: the same token, from the cache.
        assert.equal(await page.evaluate(() => window.auth.getAccessTokenSilently()), token);
        assert.deepEqual(await settledCounts(page), before, 'no component rendered again');
        // The counts do see a change: a local logout renders the status and the profile.
        await page.evaluate(() => window.auth.logout({ openUrl: false }));
        await testIdText(page, 'status', 'Logged out');
        const after = await settledCounts(page);
        assert.ok(after.statusRenders > before.statusRenders && after.profileRenders > before.profileRenders, JSON.stringify({ before, after }));
      });

      it(`${framework}: a logout in another tab shows in this one`, async () => {
        const { page, context, stacks: { [framework]: stack } } = env;
        // Without refresh tokens, so the other tab restores the session through the provider's.
        stack.setConfig({ useRefreshTokens: false });
        await logIn(page, stack);
        const other = await context.newPage();
        // Every status the other tab paints (read before each frame) while it restores the session.
        await other.addInitScript(() => {
          window.statusSeen = [];
          const look = () => {
            const text = document.querySelector('[data-testid=status]')?.textContent;
            if (text && text !== window.statusSeen.at(-1)) window.statusSeen.push(text);
            requestAnimationFrame(look);
          };
          requestAnimationFrame(look);
        });
        await other.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
        assert.equal(await settledStatus(other), 'Logged in', 'the other tab restored the session');
        // The watcher runs once a frame: it may see the last status a frame after the DOM has it.
        const seen = await eventually(() => other.evaluate(() => window.statusSeen), (list) => list.at(-1) === 'Logged in',
          { what: 'the watcher to see "Logged in"' });
        assert.deepEqual(seen, ['Loading', 'Logged in'], 'no "Logged out" flashed before');
        const navigations = recordNavigations(page);
        await byTestId(other, 'logout').click();
        await testIdText(page, 'status', 'Logged out');
        assert.equal(await testIdText(page, 'profile', /^/), '', 'no profile is shown');
        assert.deepEqual(navigations, [], 'this tab did not reload or navigate');
      });

      it(`${framework}: a failed token request rejects and is not the state's error; a guard still sends the user to log in`, async () => {
        const { page, stacks: { [framework]: stack } } = env;
        await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
        assert.equal(await settledStatus(page), 'Logged out');
        const code = await page.evaluate(() => window.auth.getAccessToken().then(() => 'a token', (e) => e.error));
        assert.match(code, /^(missing_refresh_token|login_required)$/, 'no session: no token');
        await painted(page);
        assert.equal(await testIdText(page, 'error', /^/), '', 'the state shows no error');
        await navigate(page, framework, '/private');
        await signIn(page, stack);
        assert.equal(await testIdText(page, 'private', 'Private page'), 'Private page');
        assert.equal(await settledStatus(page), 'Logged in');
      });

      // Chromium only: the Firefox adapter's route can fulfil a request, not fail it.
      chromiumOnly(`${framework}: a start without the module (offline) shows network_error and nothing uncaught; the next call starts again, and what it finds replaces the error`, async () => {
        const { page, stacks: { [framework]: stack } } = env;
        const uncaught = [];
        page.on('pageerror', (e) => uncaught.push(e.message));
        let offline = true;
        await page.route('**/*.wasm', (route) => (offline ? route.abort() : route.continue()));
        // A response in the URL (one this browser never asked for: its state is unknown).
        await page.goto(`${stack.appUrl}/?code=abc&state=def`, { timeout: WAIT_MS });
        assert.match(await testIdText(page, 'error', /\S/), /^network_error: /);
        assert.equal(await settledStatus(page), 'Logged out');
        offline = false;
        const code = await page.evaluate(() => window.auth.getAccessToken().then(() => 'a token', (e) => e.error));
        assert.match(code, /^(missing_refresh_token|login_required)$/);
        // The start ran again with the response still in the URL, and refused it.
        assert.match(await testIdText(page, 'error', /^invalid_state: /), /^invalid_state: /);
        assert.equal(await settledStatus(page), 'Logged out');
        await painted(page);
        assert.deepEqual(uncaught, []);
      });

      it(`${framework}: skipRedirectCallback leaves the response to the app; the binding's handleRedirectCallback logs in, and its failure is the state's error`, async () => {
        const { page, stacks: { [framework]: stack } } = env;
        stack.setConfig({ skipRedirectCallback: true });
        await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
        assert.equal(await settledStatus(page), 'Logged out');
        await byTestId(page, 'login').click();
        await signIn(page, stack);
        assert.equal(await settledStatus(page), 'Logged out', 'the binding left the response alone');
        assert.match(page.url(), /[?&]code=/);
        // The package sent the exchange its login prepared as it loaded (README: the code
        // flow's callback page); the app's call below takes over its answer, sending nothing.
        await eventually(() => codeExchanges(stack).length, (n) => n === 1, { what: 'the exchange sent as the page loaded' });
        const appState = await page.evaluate(() => window.auth.handleRedirectCallback().then((r) => r.appState));
        assert.deepEqual(appState, { returnTo: '/' });
        assert.equal(await testIdText(page, 'status', 'Logged in'), 'Logged in');
        assert.equal(await testIdText(page, 'profile', /\S/), 'Alice Liddell');
        assert.equal(codeExchanges(stack).length, 1, 'one code exchange in all');
        assertCleanAddressBar(page, stack);
        // No response is left in the URL now: the app's second call fails, and says so.
        const code = await page.evaluate(() => window.auth.handleRedirectCallback().then(() => 'handled', (e) => e.error));
        assert.notEqual(code, 'handled');
        assert.match(await testIdText(page, 'error', /\S/), new RegExp(`^${code}: `));
        assert.equal(await settledStatus(page), 'Logged in', 'the session is kept');
      });
    }

    // The transaction of an exchange sent as the page loaded is held by that page (host.js),
    // out of sessionStorage: a logout before the app handles the response still removes it.
    it('react: a logout before the app handles a response whose exchange left at load: the response is refused, nobody is logged in', async () => {
      const { page, stacks: { react: stack } } = env;
      stack.setConfig({ skipRedirectCallback: true });
      await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
      assert.equal(await settledStatus(page), 'Logged out');
      await byTestId(page, 'login').click();
      await signIn(page, stack);
      await eventually(() => codeExchanges(stack).length, (n) => n === 1, { what: 'the exchange sent as the page loaded' });
      // The app has rendered (and set window.auth) once its status shows.
      assert.equal(await settledStatus(page), 'Logged out', 'the binding left the response alone');
      await page.evaluate(() => window.auth.logout({ openUrl: false }));
      const code = await page.evaluate(() => window.auth.handleRedirectCallback().then(() => 'handled', (e) => e.error));
      assert.equal(code, 'invalid_state');
      assert.equal(await settledStatus(page), 'Logged out');
      assert.equal(await testIdText(page, 'profile', /^/), '', 'no profile is shown');
      assert.equal(codeExchanges(stack).length, 1, 'the code was not sent again');
    });

    it('react: a guard whose login cannot start shows the error, with no unhandled rejection', async () => {
      const { page, stacks: { react: stack } } = env;
      const uncaught = [];
      page.on('pageerror', (e) => uncaught.push(e.message));
      const authorize = recordAuthorizeRequests(page, stack);
      await page.goto(`${stack.appUrl}/private-bad`, { timeout: WAIT_MS });
      assert.match(await testIdText(page, 'error', /\S/), /^invalid_configuration: /);
      assert.equal(await testIdText(page, 'redirecting', 'Redirecting'), 'Redirecting');
      await painted(page);
      assert.deepEqual(uncaught, []);
      assert.deepEqual(authorize.filter((u) => u.searchParams.get('prompt') !== 'none'), [], 'no login was started');
      assert.equal(new URL(page.url()).pathname, '/private-bad');
    });

    it('vue: router.beforeEach(authGuard), the callback route guarded too: the default onRedirectCallback goes back where the login started', async () => {
      const { page, stacks: { vue: stack } } = env;
      stack.setConfig({ guardAll: true });
      await page.goto(`${stack.appUrl}/private?tab=2`, { timeout: WAIT_MS });
      await signIn(page, stack);
      assert.equal(await testIdText(page, 'private', 'Private page'), 'Private page');
      assert.equal(await settledStatus(page), 'Logged in');
      await page.evaluate(() => window.router.isReady());
      await painted(page);
      assert.equal(page.url(), `${stack.appUrl}/private?tab=2`);
      assert.equal(codeExchanges(stack).length, 1);
    });

    it("vue: the callback at a guarded route, with an onRedirectCallback of the app's: the address bar ends without the response", async () => {
      const { page, stacks: { vue: stack } } = env;
      stack.setConfig({ redirectPath: '/private', customCallback: true });
      await page.goto(`${stack.appUrl}/`, { timeout: WAIT_MS });
      assert.equal(await settledStatus(page), 'Logged out');
      await byTestId(page, 'login').click();
      await signIn(page, stack);
      assert.equal(await testIdText(page, 'private', 'Private page'), 'Private page');
      assert.equal(await settledStatus(page), 'Logged in');
      // The router's first navigation wrote its address back, response and all; the guard's
      // navigation after it leaves the address the client cleaned.
      await eventually(() => page.url(), (u) => u === `${stack.appUrl}/private`, { what: 'the address bar without the response' });
      await painted(page);
      assert.equal(page.url(), `${stack.appUrl}/private`);
      assert.equal(await page.evaluate(() => window.router.currentRoute.value.fullPath), '/private');
      assert.deepEqual(await page.evaluate(() => window.appStates), [{ returnTo: '/' }], "the app's onRedirectCallback ran once");
      assert.equal(codeExchanges(stack).length, 1);
    });
  });
}
