// End-to-end: the session lifecycle in the plain sample against oidc-provider (fragment
// responses, no web_message): checkSession after a reload, silent renewal in a hidden iframe,
// shared renewals, a second audience, popup logins, tabs that follow each other, and a browser
// whose hidden iframe gets no provider cookies.
import assert from 'node:assert/strict';
import { CLIENT_ID } from '../../www/servers.mjs';
import {
  assertStayedAtApp, byTestId, clickAndCallApi, defineE2E, eventually, fragmentParams, iframeCount, logIn,
  loginThroughProvider, openApp, recordAuthorizeRequests, recordCallbacks, recordNavigations, settledStatus,
  signInAtProvider, testIdText, WAIT_MS, webStorage, assertStorageHoldsNone,
} from './harness.mjs';

const AUDIENCE_2 = 'https://api.example.com/reports';
const prompts = (requests) => requests.map((url) => url.searchParams.get('prompt'));

defineE2E('session lifecycle (plain sample)', {
  stacks: {
    main: ['plain', {}],
    // Access tokens live 30 s: within the package's default leeway (60 s) from the start, so
    // every getAccessToken renews.
    shortLived: ['plain', { provider: { accessTokenTTL: 30 } }],
    // The app on 127.0.0.1, the provider on localhost: two sites. The provider's SameSite=Lax
    // cookies go with top-level navigations but not with the app's hidden iframe, as in
    // browsers that block third-party cookies.
    crossSite: ['plain', { appHost: '127.0.0.1' }],
  },
  // The real popup blocker, for popup_blocked.
  launch: { popupBlocker: true },
}, (env, it) => {
  it('after a reload, checkSession restores the session silently (no top-level navigation)', async () => {
    const { page, stacks: { main: stack } } = env;
    await logIn(page, stack);
    const navigations = recordNavigations(page);
    const authorize = recordAuthorizeRequests(page, stack);
    const callbacks = recordCallbacks(page, stack);
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged in', 'the memory cache is empty after a reload: the session came back');
    assert.equal(JSON.parse(await testIdText(page, 'profile', /^\{/)).sub, 'alice');
    assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    assert.deepEqual(prompts(authorize), ['none'], 'one silent request');
    assert.equal(callbacks.length, 1, 'answered once, in the hidden iframe');
    assert.ok(fragmentParams(callbacks[0]).get('id_token'), 'with an ID token');
    assertStayedAtApp(navigations, stack, 'during the restore');
    assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');
  });

  it('a token within leeway of expiry is renewed in a hidden iframe and the API gets the new one', async () => {
    const { page, stacks: { shortLived: stack } } = env;
    const { accessToken: first } = await logIn(page, stack);
    const navigations = recordNavigations(page);
    const authorize = recordAuthorizeRequests(page, stack);
    const callbacks = recordCallbacks(page, stack);
    const call = await clickAndCallApi(page, stack, 'call-api');
    assert.deepEqual(prompts(authorize), ['none'], 'one silent renewal');
    assert.equal(callbacks.length, 1, 'answered once');
    const renewed = fragmentParams(callbacks[0]).get('access_token');
    assert.ok(renewed && renewed !== first, 'the renewal brought a new access token');
    assert.equal(call.token, renewed, 'the API got the new token');
    assert.equal(call.status, 200);
    assert.equal(call.body.sub, 'alice');
    assert.match(await testIdText(page, 'api-result', /^200 /), /alice/);
    assertStayedAtApp(navigations, stack, 'during the renewal');
    assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');
  });

  it('subscribe reports checkSession; concurrent getAccessToken calls share one silent request', async () => {
    const { page, stacks: { main: stack } } = env;
    await logIn(page, stack);
    // Other clients on the sample's page (nothing of the sample is used): through the
    // page's import map, as an app's own module would import the package.
    const fresh = () => page.evaluate(async () => {
      const { createClient } = await import('spa-login');
      const config = await (await fetch('/config.json')).json();
      window.__client = await createClient({ issuer: config.issuer, clientId: config.clientId });
    });

    await fresh();
    const states = await page.evaluate(async () => {
      const states = [];
      const stop = window.__client.subscribe((s) => states.push({
        isAuthenticated: s.isAuthenticated, isLoading: s.isLoading, sub: s.user?.sub, error: s.error?.error,
      }));
      await window.__client.checkSession();
      stop();
      await window.__client.getAccessToken();
      return states;
    });
    assert.deepEqual(states, [
      { isAuthenticated: false, isLoading: false, sub: undefined, error: undefined },
      { isAuthenticated: false, isLoading: true, sub: undefined, error: undefined },
      { isAuthenticated: true, isLoading: false, sub: 'alice', error: undefined },
    ], 'the state now, loading, then logged in; nothing after unsubscribing');

    await fresh();
    const authorize = recordAuthorizeRequests(page, stack);
    const result = await page.evaluate(async () => {
      const [a, b] = await Promise.all([window.__client.getAccessToken(), window.__client.getAccessToken()]);
      const frames = document.querySelectorAll('iframe').length;
      return { a, b, frames, again: await window.__client.getAccessToken() };
    });
    assert.deepEqual(prompts(authorize), ['none'], 'one silent request for both calls');
    assert.ok(result.a, 'a token');
    assert.equal(result.b, result.a, 'both calls got the same token');
    assert.equal(result.frames, 0, 'the hidden iframe is gone');
    assert.equal(result.again, result.a, 'then the token comes from the cache');
    assert.equal(authorize.length, 1, 'with no request');
  });

  it('a second audience gets its own token silently; both are then cached', async () => {
    const { page, stacks: { main: stack } } = env;
    stack.setConfig({ audience2: AUDIENCE_2 });
    const { accessToken: first } = await logIn(page, stack);
    const authorize = recordAuthorizeRequests(page, stack);
    const callbacks = recordCallbacks(page, stack);

    const one = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(one.token, first, 'the login token, from the cache');
    assert.equal(authorize.length, 0, 'no request for a cached token');

    const two = await clickAndCallApi(page, stack, 'call-api-2');
    assert.deepEqual(prompts(authorize), ['none'], 'one silent request');
    assert.equal(authorize[0].searchParams.get('audience'), AUDIENCE_2, 'for the second audience');
    assert.equal(callbacks.length, 1);
    assert.equal(two.token, fragmentParams(callbacks[0]).get('access_token'), 'the API got the token of that request');
    assert.notEqual(two.token, first);
    assert.equal(two.status, 200);

    assert.equal((await clickAndCallApi(page, stack, 'call-api')).token, first, 'each audience keeps its token');
    assert.equal((await clickAndCallApi(page, stack, 'call-api-2')).token, two.token);
    assert.equal(authorize.length, 1, 'both from the cache, with no request');
  });

  it('loginWithPopup logs in through a popup; the tab does not navigate', async () => {
    const { page, context, stacks: { main: stack } } = env;
    await openApp(page, stack);
    assert.equal(await settledStatus(page), 'Logged out');
    const navigations = recordNavigations(page);
    const authorize = recordAuthorizeRequests(context, stack);
    const opened = page.waitForEvent('popup', { timeout: WAIT_MS });
    await byTestId(page, 'login-popup').click();
    const popup = await opened;
    await popup.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
    await signInAtProvider(popup, popup.waitForEvent('close', { timeout: WAIT_MS }));
    assert.equal(await settledStatus(page), 'Logged in');
    assert.equal(JSON.parse(await testIdText(page, 'profile', /^\{/)).sub, 'alice');
    assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    assert.deepEqual(prompts(authorize), [null], 'one interactive request, in the popup');
    assertStayedAtApp(navigations, stack, 'during the popup login');
    const call = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(call.status, 200, 'the popup login gave an access token');
    assert.equal(authorize.length, 1, 'kept in the cache');
  });

  it('closing the popup gives popup_cancelled; a popup left open past the time limit gives timeout', async () => {
    const { page, stacks: { main: stack } } = env;
    await openApp(page, stack);
    assert.equal(await settledStatus(page), 'Logged out');
    let opened = page.waitForEvent('popup', { timeout: WAIT_MS });
    await byTestId(page, 'login-popup').click();
    let popup = await opened;
    await popup.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
    // A person looks at the sign-in page before closing it. (A popup that goes from blank to
    // closed within half a second is taken for one a provider's Cross-Origin-Opener-Policy cut
    // off, whose answer may still come through the app's own page: see effects.js.)
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await popup.close();
    assert.match(await testIdText(page, 'error', /\S/), /^popup_cancelled: /);
    assert.equal(await settledStatus(page), 'Logged out');

    stack.setConfig({ authorizeTimeoutInSeconds: 1 });
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged out');
    opened = page.waitForEvent('popup', { timeout: WAIT_MS });
    await byTestId(page, 'login-popup').click();
    popup = await opened;
    // Nobody signs in: the flow gives up after a second and closes its popup.
    assert.match(await testIdText(page, 'error', /\S/), /^timeout: /);
    await eventually(() => popup.isClosed(), (closed) => closed, { what: 'the popup to be closed' });
    assert.equal(await settledStatus(page), 'Logged out');
  });

  it('a popup opened without a user gesture is blocked: popup_blocked', async () => {
    const { page, context, stacks: { main: stack } } = env;
    // The sample's button, clicked by a script once the app is ready: no user gesture, so
    // Chromium's popup blocker refuses the window. Until that click the test leaves the page
    // alone (Playwright's own evaluations count as a user gesture) and only hears about it.
    let reportClick;
    const clicked = new Promise((resolve) => { reportClick = resolve; });
    await page.exposeFunction('reportScriptedClick', (activation) => reportClick(activation));
    await page.addInitScript(() => {
      if (window.top !== window) return;
      addEventListener('DOMContentLoaded', () => {
        const status = document.querySelector('[data-testid=status]');
        new MutationObserver((_, observer) => {
          if (status.textContent !== 'Logged out') return;
          observer.disconnect();
          const activation = navigator.userActivation.isActive;
          document.querySelector('[data-testid=login-popup]').click();
          window.reportScriptedClick(activation);
        }).observe(status, { childList: true, characterData: true, subtree: true });
      });
    });
    let popups = 0;
    context.on('page', () => { popups += 1; });
    await openApp(page, stack);
    assert.equal(await clicked, false, 'the click came with no user activation');
    assert.match(await testIdText(page, 'error', /\S/), /^popup_blocked: /);
    assert.equal(await settledStatus(page), 'Logged out');
    assert.equal(popups, 0, 'no window opened');
  });

  for (const cacheLocation of ['memory', 'localstorage']) {
    it(`a login and a logout in one tab show in another without a reload (cacheLocation ${cacheLocation})`, async () => {
      const { page, context, stacks: { main: stack } } = env;
      stack.setConfig({ cacheLocation });
      const other = await context.newPage();
      await openApp(other, stack);
      assert.equal(await settledStatus(other), 'Logged out');
      const otherNavigations = recordNavigations(other);
      const otherAuthorize = recordAuthorizeRequests(other, stack);

      const { accessToken, idToken } = await logIn(page, stack);
      await testIdText(other, 'status', 'Logged in');
      assert.equal(JSON.parse(await testIdText(other, 'profile', /^\{/)).sub, 'alice');
      if (cacheLocation === 'memory') {
        assert.deepEqual(prompts(otherAuthorize), ['none'], 'the other tab got its own tokens silently');
      } else {
        assert.deepEqual(otherAuthorize, [], 'the other tab read the stored tokens');
        const call = await clickAndCallApi(other, stack, 'call-api');
        assert.equal(call.token, accessToken, 'the token is shared');
        assert.equal(call.status, 200);
      }

      await byTestId(page, 'logout').click();
      await testIdText(other, 'status', 'Logged out');
      assert.equal(await testIdText(other, 'profile', /^/), '', 'no profile is shown');
      assert.deepEqual(otherNavigations, [], 'the other tab did not reload or navigate');
      assertStorageHoldsNone(await webStorage(other), [accessToken, idToken], 'after the logout');
    });
  }

  it('with localstorage, a login told before the stored tokens are visible still ends with those tokens', async () => {
    const { page, context, stacks: { main: stack } } = env;
    stack.setConfig({ cacheLocation: 'localstorage' });
    const { accessToken } = await logIn(page, stack);
    // The session a login stores, taken aside: the next tab starts logged out, and with the
    // provider's cookies gone it cannot log in silently (as where third-party cookies are
    // blocked), so only the stored tokens can log it in.
    const stored = await page.evaluate((token) => {
      const key = Object.keys(localStorage).find((k) => localStorage.getItem(k).includes(token));
      const value = localStorage.getItem(key);
      localStorage.removeItem(key);
      return { key, value };
    }, accessToken);
    assert.ok(stored.key, 'the login stored its tokens in localStorage');
    await page.close();
    await context.clearCookies();
    const tab = await context.newPage();
    await openApp(tab, stack);
    assert.equal(await settledStatus(tab), 'Logged out');
    const authorize = recordAuthorizeRequests(tab, stack);

    // Another tab tells of a login, and its tokens land in this tab's view of localStorage
    // just after: Chromium delivers BroadcastChannel messages and storage changes to other
    // tabs on separate paths, in either order (seen with two real sample tabs, about one
    // login in ten here). This tab (a document of the app's origin, not the sample) makes
    // that order certain. The channel's name is the package's: spa-login:<issuer> <clientId>.
    const teller = await context.newPage();
    await teller.goto(`${stack.appUrl}/config.json`, { timeout: WAIT_MS });
    await teller.evaluate(({ channel, key, value }) => {
      new BroadcastChannel(channel).postMessage('login');
      localStorage.setItem(key, value);
    }, { channel: `spa-login:${stack.issuer} ${CLIENT_ID}`, ...stored });

    await testIdText(tab, 'status', 'Logged in');
    const call = await clickAndCallApi(tab, stack, 'call-api');
    assert.equal(call.token, accessToken, 'the stored token');
    assert.equal(call.status, 200);
  });

  it('an iframe without provider cookies gets login_required: checkSession settles logged out, the API call falls back to a redirect', async () => {
    const { page, stacks: { crossSite: stack } } = env;
    await logIn(page, stack);
    const navigations = recordNavigations(page);
    const authorize = recordAuthorizeRequests(page, stack);
    const callbacks = recordCallbacks(page, stack);
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged out', 'checkSession settled');
    assert.equal(await testIdText(page, 'error', /^/), '', 'quietly');
    assert.deepEqual(prompts(authorize), ['none']);
    assert.equal(callbacks.length, 1);
    assert.equal(fragmentParams(callbacks[0]).get('error'), 'login_required',
      'the provider session is alive, but the iframe came without its cookies');
    assertStayedAtApp(navigations, stack, 'during checkSession');
    assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');

    // getAccessToken is refused the same way; the sample then redirects, and a top-level
    // navigation carries the cookies: straight back, logged in, no form.
    const leaving = page.waitForRequest((r) => r.url().startsWith(`${stack.authorizationEndpoint}?`)
      && r.frame() === page.mainFrame(), { timeout: WAIT_MS });
    await byTestId(page, 'call-api').click();
    assert.equal(new URL((await leaving).url()).searchParams.get('prompt'), null, 'an interactive request, in the tab');
    assert.deepEqual(JSON.parse(await testIdText(page, 'app-state', /^\{/)),
      { returnTo: '/', at: 'api', reason: 'login_required' }, 'back from the fallback, which ran on login_required');
    assert.equal(await settledStatus(page), 'Logged in');
    assert.ok(!navigations.some((url) => url.startsWith(`${stack.providerOrigin}/interaction/`)), 'no form was shown');
    const before = authorize.length;
    const call = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(call.status, 200);
    assert.equal(authorize.length, before, 'the token of the redirect login is cached');
  });
});
