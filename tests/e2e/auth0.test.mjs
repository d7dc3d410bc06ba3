// End-to-end: a client made with `domain` against an Auth0-shaped oidc-provider (issuer with a
// trailing slash, /authorize, /.well-known/jwks.json, no end_session_endpoint but /v2/logout,
// response_mode=web_message for silent and popup requests, `audience` taken as a resource
// indicator so that the API gets a JWT for it), in the plain sample.
import assert from 'node:assert/strict';
import { CLIENT_ID } from '../../www/servers.mjs';
import {
  assertStayedAtApp, byTestId, clickAndCallApi, defineE2E, fragmentParams, iframeCount, logIn, openApp,
  recordAuthorizeRequests, recordCallbacks, recordNavigations, settledStatus, signInAtProvider, testIdText, WAIT_MS, webStorage, assertStorageHoldsNone,
} from './harness.mjs';

const AUDIENCE = 'https://api.example.com/messages';
const AUDIENCE_2 = 'https://api.example.com/reports';

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
const prompts = (requests) => requests.map((url) => url.searchParams.get('prompt'));

// Documents of the app loaded anywhere but the tab itself (a frame, a popup): with web_message
// the provider's answer is posted to the app, and no page of the app needs to load for it.
function recordAppDocumentsElsewhere(context, page, stack) {
  const seen = [];
  context.on('request', (request) => {
    if (request.isNavigationRequest() && request.url().startsWith(`${stack.appUrl}/`) && request.frame() !== page.mainFrame()) {
      seen.push(request.url());
    }
  });
  return seen;
}

defineE2E('Auth0-shaped provider, domain client (plain sample)', {
  stacks: {
    auth0: ['plain', { auth0: true, audiences: [AUDIENCE, AUDIENCE_2], config: { audience: AUDIENCE, audience2: AUDIENCE_2 } }],
    // An API whose tokens carry only its own scope (as Azure AD's do): the app asks for
    // 'openid profile email read:messages' and the access token is granted 'read:messages'.
    narrow: ['plain', {
      auth0: true,
      audiences: [AUDIENCE],
      provider: { apiScope: 'read:messages' },
      config: { audience: AUDIENCE, scope: 'openid profile email read:messages' },
    }],
  },
}, (env, it) => {
  it('discovery is Auth0-shaped, and /v2/logout returns only to a registered address', async () => {
    const { stacks: { auth0: stack } } = env;
    const discovery = await (await fetch(new URL('.well-known/openid-configuration', stack.issuer))).json();
    assert.equal(discovery.issuer, `${stack.providerOrigin}/`, 'the issuer has a trailing slash');
    assert.equal(discovery.authorization_endpoint, `${stack.providerOrigin}/authorize`);
    assert.equal(discovery.jwks_uri, `${stack.providerOrigin}/.well-known/jwks.json`);
    assert.equal(discovery.userinfo_endpoint, `${stack.providerOrigin}/userinfo`);
    assert.equal(discovery.end_session_endpoint, undefined, 'no end_session_endpoint');
    assert.ok(discovery.response_modes_supported.includes('web_message'), 'web_message is offered');

    // Follows the provider's redirects by hand: where would a browser end up?
    async function logoutLandsAt(returnTo) {
      let url = `${stack.providerOrigin}/v2/logout?${new URLSearchParams({ client_id: CLIENT_ID, returnTo })}`;
      for (let hops = 0; hops < 5; hops++) {
        const res = await fetch(url, { redirect: 'manual' });
        const location = res.headers.get('location');
        if (!location) return { status: res.status, url, body: await res.text() };
        url = new URL(location, url).href;
      }
      throw new Error('too many redirects');
    }
    // A registered returnTo: the provider's sign-out form, which then sends the browser back
    // (the logout test below follows it in the browser).
    const registered = await logoutLandsAt(`${stack.appUrl}/`);
    assert.equal(registered.status, 200);
    assert.match(registered.body, /<form method="post" action="[^"]*\/oidc\/logout\/confirm"/);
    const stranger = await logoutLandsAt('https://evil.example/');
    assert.equal(new URL(stranger.url).origin, stack.providerOrigin, 'never sent to an unregistered returnTo');
    assert.equal(stranger.status, 400);
    assert.match(stranger.body, /post_logout_redirect_uri/);
    assert.doesNotMatch(stranger.body, /evil\.example/);
  });

  it('a domain client logs in with its audience, and the API gets a JWT for that audience', async () => {
    const { page, context, stacks: { auth0: stack } } = env;
    const authorize = recordAuthorizeRequests(context, stack);
    const { accessToken, idToken } = await logIn(page, stack);
    const login = authorize.filter((url) => url.searchParams.get('prompt') === null);
    assert.equal(login.length, 1, 'one interactive request');
    assert.equal(login[0].searchParams.get('audience'), AUDIENCE, 'the audience was sent');
    assert.equal(claimsOf(idToken).iss, `${stack.providerOrigin}/`, 'the issuer the package made of the domain');
    assert.deepEqual(claimsOf(accessToken).aud, AUDIENCE, 'an access token for the API');

    const call = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(call.token, accessToken);
    assert.equal(call.status, 200);
    assert.equal(call.body.aud, AUDIENCE, 'the API accepted it for its audience');
    assert.equal(call.body.sub, 'alice');
  });

  it('a reload restores the session and a second audience gets its own token, both through web_message', async () => {
    const { page, context, stacks: { auth0: stack } } = env;
    await logIn(page, stack);
    const navigations = recordNavigations(page);
    const authorize = recordAuthorizeRequests(context, stack);
    const elsewhere = recordAppDocumentsElsewhere(context, page, stack);
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged in', 'checkSession restored the session');
    assert.equal(JSON.parse(await testIdText(page, 'profile', /^\{/)).sub, 'alice');
    assert.deepEqual(prompts(authorize), ['none']);
    assert.equal(authorize[0].searchParams.get('response_mode'), 'web_message');
    assert.equal(authorize[0].searchParams.get('audience'), AUDIENCE);

    const two = await clickAndCallApi(page, stack, 'call-api-2');
    assert.deepEqual(prompts(authorize), ['none', 'none'], 'a silent request for the second audience');
    assert.equal(authorize[1].searchParams.get('response_mode'), 'web_message');
    assert.equal(authorize[1].searchParams.get('audience'), AUDIENCE_2);
    assert.equal(two.status, 200);
    assert.equal(two.body.aud, AUDIENCE_2, 'a token for the second API');

    const one = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(one.body.aud, AUDIENCE, 'the first audience keeps its own token');
    assert.equal((await clickAndCallApi(page, stack, 'call-api-2')).token, two.token);
    assert.equal(authorize.length, 2, 'both tokens come from the cache');

    assert.deepEqual(elsewhere, [], 'the answers came as messages: no app page loaded in a frame');
    assertStayedAtApp(navigations, stack, 'during the silent requests');
    assert.equal(await iframeCount(page), 0, 'the hidden iframes are gone');
  });

  it('loginWithPopup through web_message: the answer counts even when handled after the popup closed itself', async () => {
    const { page, context, stacks: { auth0: stack } } = env;
    // The provider's web_message page posts the answer, then closes the popup at once. On a
    // busy page the opener handles that message a moment later; here every 'message' listener
    // of the app runs 300 ms late, so the popup is already closed when the answer is read.
    await page.addInitScript(() => {
      if (window.top !== window) return;
      const add = window.addEventListener;
      const remove = window.removeEventListener;
      const late = new Map();
      window.addEventListener = function (type, listener, options) {
        if (type !== 'message' || typeof listener !== 'function') return add.call(this, type, listener, options);
        if (!late.has(listener)) late.set(listener, (e) => setTimeout(() => listener.call(window, e), 300));
        return add.call(this, type, late.get(listener), options);
      };
      window.removeEventListener = function (type, listener, options) {
        return remove.call(this, type, (type === 'message' && late.get(listener)) || listener, options);
      };
    });
    await openApp(page, stack);
    assert.equal(await settledStatus(page), 'Logged out');
    const authorize = recordAuthorizeRequests(context, stack);
    const elsewhere = recordAppDocumentsElsewhere(context, page, stack);
    const opened = page.waitForEvent('popup', { timeout: WAIT_MS });
    await byTestId(page, 'login-popup').click();
    const popup = await opened;
    await popup.waitForURL((url) => url.href.startsWith(`${stack.providerOrigin}/interaction/`), { timeout: WAIT_MS });
    await signInAtProvider(popup, popup.waitForEvent('close', { timeout: WAIT_MS }));
    const status = await settledStatus(page);
    assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    assert.equal(status, 'Logged in');
    assert.deepEqual(prompts(authorize), [null]);
    assert.equal(authorize[0].searchParams.get('response_mode'), 'web_message');
    assert.deepEqual(elsewhere, [], 'the popup never loaded the app');
    const call = await clickAndCallApi(page, stack, 'call-api');
    assert.equal(call.body.aud, AUDIENCE);
  });

  it('an access token granted fewer scopes than asked for is still taken from the cache', async () => {
    const { page, context, stacks: { narrow: stack } } = env;
    const callbacks = recordCallbacks(page, stack, { mainFrame: true });
    const { accessToken } = await logIn(page, stack);
    assert.equal(fragmentParams(callbacks[0]).get('scope'), 'read:messages', 'the provider says what it granted');
    const authorize = recordAuthorizeRequests(context, stack);
    for (let i = 0; i < 2; i++) {
      const call = await clickAndCallApi(page, stack, 'call-api');
      assert.equal(call.status, 200);
      assert.ok(call.token === accessToken, `call ${i + 1} used the login's token, not a new one`);
    }
    // Asking again would get the same grant: a renewal per call (a hidden iframe each time,
    // and rate limits at real providers) gains nothing.
    assert.equal(authorize.length, 0, 'no silent request');
  });

  it('logout goes to /v2/logout with client_id and returnTo, and ends the provider session', async () => {
    const { page, stacks: { auth0: stack } } = env;
    const { accessToken, idToken } = await logIn(page, stack);
    const toLogout = page.waitForRequest((r) => r.url().startsWith(`${stack.providerOrigin}/v2/logout?`), { timeout: WAIT_MS });
    const atProvider = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame() && frame.url().startsWith(`${stack.providerOrigin}/`),
      timeout: WAIT_MS,
    });
    await byTestId(page, 'logout').click();
    const params = new URL((await toLogout).url()).searchParams;
    assert.deepEqual(Object.fromEntries(params), { client_id: CLIENT_ID, returnTo: `${stack.appUrl}/` });
    await atProvider;
    await page.waitForURL((url) => url.href === `${stack.appUrl}/`, { timeout: WAIT_MS });
    // Back at the app, its checkSession asked the provider: no session there any more.
    assert.equal(await settledStatus(page), 'Logged out');
    assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    assertStorageHoldsNone(await webStorage(page), [accessToken, idToken], 'after logout');
  });
});
