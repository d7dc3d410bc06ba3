// docs/CONFORMANCE.md, "Silent renew, popup, logout": the hidden iframe (getAccessToken, checkSession)
// and the popup (loginWithPopup) against a provider that answers in the fragment or with
// web_message, from the right or the wrong origin, window or state, with an error, or not at all;
// then the logout rules.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ID, CONCURRENCY, assertCleanAddressBar, errorClassOf, withSession } from '../harness.mjs';

const loggedOut = (snap, what) => {
  assert.equal(snap.isAuthenticated, false, `${what}: still authenticated`);
  assert.equal(snap.user, undefined, `${what}: getUser()`);
  assert.equal(snap.claims, undefined, `${what}: getIdTokenClaims()`);
  assert.equal(snap.token, undefined, `${what}: the access token`);
};

/** authorizeTimeoutInSeconds of the tests that wait for a timeout. */
const TIMEOUT_S = 2;
const WAIT_MS = 20_000;
/** How the provider answers a silent or popup request: a redirect with the response in the
 * fragment (the flow reads the window's location on the redirect URI), or web_message. */
const MODES = ['fragment', 'web_message'];
/** The prompt=none answers that mean "not logged in" (Core 3.1.2.6; the rule names the first three). */
const LOGGED_OUT_CODES = ['login_required', 'consent_required', 'interaction_required', 'account_selection_required'];
const enc = encodeURIComponent;

/** The transaction of an /authorize request as Session.mint() wants it. */
const txOf = (params) => ({ state: params.get('state'), nonce: params.get('nonce'), responseType: params.get('response_type') });
/** A response in fragment form as the object a web_message carries. */
const asObject = (fragment) => Object.fromEntries(new URLSearchParams(fragment));
/** The provider's answer in `mode`: the fragment itself, or a page posting it. */
const inMode = (mode, fragment) => (mode === 'web_message' ? { webMessage: asObject(fragment) } : fragment);
const errorResponse = (code, state) => `error=${code}&error_description=${enc(`no session at the provider (${code})`)}&state=${enc(state)}`;

/** The provider lists web_message: frames and popups then ask for response_mode=web_message. */
function useWebMessage(s) {
  s.provider.config.discovery = { response_modes_supported: ['fragment', 'query', 'web_message'] };
}

function authorizeRequests(s) {
  return s.provider.requests.filter((r) => r.path === '/authorize').map((r) => new URLSearchParams(r.query));
}

function lastAuthorize(s) {
  const all = authorizeRequests(s);
  assert.ok(all.length > 0, 'the provider saw no /authorize request');
  return all.at(-1);
}

// `popup`: the error ends a popup flow, whose timeout is a PopupTimeoutError (auth0-spa-js's).
function assertAuthError(r, code, what = '', { popup = false } = {}) {
  assert.equal(r.ok, false, `${what}expected ${code}, but the call resolved with ${JSON.stringify(r.value)}`);
  assert.equal(r.isAuthError, true, `${what}not an AuthError: ${r.name}: ${r.message}`);
  assert.equal(r.error, code, `${what}wrong code (${r.error_description})`);
  assert.equal(r.name, errorClassOf(code, { popup, state: r.state }), `${what}the error class`);
}

const hasTx = (storage, state) => Object.keys(storage.session).some((k) => k.startsWith('spa-login.tx.') && k.includes(state));
const withoutStates = (session, states) => Object.fromEntries(Object.entries(session).filter(([k]) => !states.some((st) => k.includes(st))));

/** Nothing was stored between the two snapshots; the transactions of `states` may have come or gone. */
function assertNothingStored(before, after, states = []) {
  assert.equal(after.isAuthenticated, before.isAuthenticated, 'isAuthenticated() changed');
  assert.deepEqual(after.user, before.user, 'getUser() changed');
  assert.deepEqual(after.claims, before.claims, 'getIdTokenClaims() changed');
  assert.deepEqual(after.token, before.token, 'the cached access token changed');
  assert.deepEqual(after.storage.local, before.storage.local, 'localStorage changed');
  assert.deepEqual(withoutStates(after.storage.session, states), withoutStates(before.storage.session, states),
    'sessionStorage changed (beyond the transaction of the flow)');
}

/**
 * The messages that reached the page were all ignored: each came while the flow ran, from the
 * given origin and window, and a task after it (when a taken message would have used up its
 * transaction) the transactions of `pending` were all still stored.
 */
async function assertMessagesIgnored(s, { count, origin, relation, states, pending }) {
  const messages = await s.eval(() => window.T.messages());
  assert.equal(messages.length, count, `the page got ${messages.length} authorization_response messages, not ${count}`);
  messages.forEach((m, i) => {
    assert.equal(m.origin, origin, `message ${i}: posted from ${m.origin}`);
    assert.equal(m.relation, relation, `message ${i}: posted by the ${m.relation} window`);
    if (states) assert.equal(m.state, states[i], `message ${i}: its state`);
    assert.equal(m.whileRunning, true, `message ${i} came after the flow had ended: the test proves nothing`);
    for (const st of pending) assert.ok(hasTx(m.storageAfter, st), `message ${i} used up the transaction ${st}`);
  });
}

/**
 * Adds a login button (`id`) for client `name`, clicks it (a real user gesture) and returns the
 * popup it opened; the outcome is `window.T.popupResult(id)`.
 */
async function clickPopup(s, options = {}, { id = 'popup-login', name = 'main' } = {}) {
  await s.eval(([n, o, i]) => window.T.addPopupButton(n, o, i), [name, options, id]);
  const [popup] = await Promise.all([s.page.waitForEvent('popup', { timeout: WAIT_MS }), s.page.click(`#${id}`)]);
  return popup;
}

/**
 * A user closes the popup while it shows the provider's page: once it is there, and after a
 * second (no person closes a window within a fraction of a second of it showing a page; the
 * package tells a user's close from a window taken away by COOP that way).
 */
async function userCloses(popup) {
  await popup.waitForURL((u) => u.pathname === '/authorize', { timeout: WAIT_MS });
  await new Promise((r) => setTimeout(r, 1000));
  await popup.close();
}

async function assertPopupClosed(popup) {
  if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: WAIT_MS });
}

/**
 * withSession for tests that open popups: any window still open at the end (a popup the package
 * failed to close) is closed, so that it cannot stand in for the popup of a later test of the
 * pooled context (window.open by name would find it).
 */
function withPopups(fn) {
  return () => withSession(async (s) => {
    try {
      await fn(s);
    } finally {
      for (const p of s.context.pages()) if (p !== s.page) await p.close().catch(() => {});
    }
  });
}

/** The URL of a landing page: the app's own callback code runs there (page.js, runLanding). */
function landingUrl(s, { next, fragment, cacheLocation, explicit }) {
  const q = new URLSearchParams({ conformance: 'landing', issuer: s.issuer, clientId: CLIENT_ID, next });
  if (cacheLocation) q.set('cacheLocation', cacheLocation);
  if (explicit) q.set('explicit', '1');
  return `${s.pageOrigin}/app/landing?${q}#${fragment}`;
}

/** The URL of the app's callback page (page.js, runCallback): it calls handleRedirectCallback() and stays. */
function callbackPageUrl(s, path = '/app/popup-callback') {
  const q = new URLSearchParams({ conformance: 'callback', issuer: s.issuer, clientId: CLIENT_ID });
  return `${s.pageOrigin}${path}?${q}`;
}

/** Follows a popup: every address of its top frame, and the reports of the callback page there. */
function watchPopup(popup) {
  const seen = { urls: [popup.url()], reports: [] };
  popup.on('framenavigated', (f) => {
    if (f === popup.mainFrame()) seen.urls.push(f.url());
  });
  popup.on('console', (m) => {
    const text = m.text();
    if (text.startsWith('conformance-callback ')) seen.reports.push(JSON.parse(text.slice('conformance-callback '.length)));
  });
  return seen;
}

/** Waits until `check()` holds (a set-up step: the provider saw a request, say). */
async function until(check, what) {
  const end = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A response (access token only) with a state no transaction of the app has. */
const strayResponse = (tag) => `access_token=injected-${tag}&token_type=Bearer&expires_in=3600&state=${'stray-' + tag + '-' + 'S'.repeat(40)}`;

/** Opens `url` from `opener` (a Playwright page) in a window named `name`; its page once loaded. */
async function openNamed(opener, url, name) {
  const [win] = await Promise.all([
    opener.waitForEvent('popup', { timeout: WAIT_MS }),
    opener.evaluate(([u, n]) => { window.open(u, n); }, [url, name]),
  ]);
  await win.waitForFunction(() => window.ready === true, null, { timeout: WAIT_MS });
  return win;
}

/** In `target` (a page or frame showing the test page): createClient, then handleRedirectCallback() from the address bar. */
function callbackIn(target, options) {
  return target.evaluate(async (o) => {
    const c = await window.T.create('main', o);
    if (!c.ok) return c;
    return window.T.callback('main', { asIs: true });
  }, options);
}

/** The app's own callback, run in a window that merely has the name, handled the response as its own: invalid_state. */
function assertHandledAsOwn(r, what) {
  assert.equal(r.ok, false, `${what}: handleRedirectCallback resolved (${JSON.stringify(r.value)}): the window was taken for a response window`);
  assert.equal(r.isAuthError, true, `${what}: ${r.name}: ${r.message}`);
  assert.equal(r.error, 'invalid_state', `${what}: ${r.error_description}`);
  assertCleanAddressBar(r.href, `${what}: the address bar`);
}

describe('Silent renew, popup, logout', { concurrency: CONCURRENCY }, () => {
  // ---- The answers that are accepted -------------------------------------------------------

  for (const mode of MODES) {
    test(`silent renew (${mode}): the provider's answer renews the token through a hidden iframe, which is then removed`, () => withSession(async (s) => {
      if (mode === 'web_message') useWebMessage(s);
      const silentRedirectUri = `${s.pageOrigin}/app/silent`;
      await s.create({ cacheLocation: 'localstorage', silentRedirectUri });
      await s.establish();
      let minted;
      s.provider.config.authorize = (p) => {
        minted = s.mint(txOf(p), { accessToken: 'renewed-token', claims: { sub: 'first-user' } });
        return inMode(mode, minted.fragment);
      };
      const before = await s.snapshot();
      const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
      assert.equal(r.ok, true, `the renewal failed: ${r.error}: ${r.error_description}`);
      assert.equal(r.value, 'renewed-token');
      assert.equal(r.iframes, 0, 'an iframe is left in the document');
      const req = lastAuthorize(s);
      assert.equal(req.get('prompt'), 'none');
      assert.equal(req.get('redirect_uri'), silentRedirectUri);
      assert.equal(req.get('response_mode'), mode === 'web_message' ? 'web_message' : null);
      const after = await s.snapshot();
      assert.equal(after.token, 'renewed-token');
      assert.equal(after.claims?.__raw, minted.idToken);
      assert.deepEqual(after.storage.session, before.storage.session, 'the silent transaction was not used up');
      assert.notDeepEqual(after.storage.local, before.storage.local, 'the renewed session was not stored');
      const appLoads = s.provider.requests.filter((q) => q.path === '/app/silent').length;
      if (mode === 'web_message') {
        assert.equal(appLoads, 0, 'with web_message no page of the app loads in the iframe');
        const messages = await s.eval(() => window.T.messages());
        assert.equal(messages.length, 1);
        assert.equal(messages[0].origin, s.provider.origin);
        assert.equal(messages[0].relation, 'frame');
        assert.equal(hasTx(messages[0].storageAfter, req.get('state')), false, 'the accepted message used up its transaction');
      } else {
        assert.equal(appLoads, 1, 'the response landed on the silent redirect URI');
      }
      s.assertNoPageErrors(after);
    }));

    test(`checkSession (${mode}): a silent answer with tokens restores the session`, () => withSession(async (s) => {
      if (mode === 'web_message') useWebMessage(s);
      await s.create();
      let minted;
      s.provider.config.authorize = (p) => {
        minted = s.mint(txOf(p), { accessToken: 'silent-token', claims: { sub: 'silent-user' } });
        return inMode(mode, minted.fragment);
      };
      loggedOut(await s.snapshot(), 'before checkSession');
      const r = await s.eval(() => window.T.checkSession('main'));
      assert.equal(r.ok, true, `checkSession failed: ${r.error}: ${r.error_description}`);
      assert.equal(r.value, undefined);
      assert.equal(r.isAuthenticated, true, 'the session was not restored');
      assert.equal(r.iframes, 0, 'an iframe is left in the document');
      assert.equal(lastAuthorize(s).get('prompt'), 'none');
      const after = await s.snapshot();
      assert.equal(after.user?.sub, 'silent-user');
      assert.equal(after.claims?.__raw, minted.idToken);
      assert.equal(after.token, 'silent-token');
      assert.deepEqual(after.storage, { session: {}, local: {} }, 'memory cache, transaction used up');
      s.assertNoPageErrors(after);
    }));
  }

  test('loginWithPopup (web_message): the right response, posted to the opener, logs in; the popup is closed', withPopups(async (s) => {
    useWebMessage(s);
    await s.create();
    let minted;
    s.provider.config.authorize = (p) => {
      minted = s.mint(txOf(p), { accessToken: 'popup-token', claims: { sub: 'popup-user' } });
      return { webMessage: asObject(minted.fragment) };
    };
    const popup = await clickPopup(s);
    const r = await s.eval(() => window.T.popupResult());
    assert.equal(r.ok, true, `loginWithPopup failed: ${r.error}: ${r.error_description}`);
    await assertPopupClosed(popup);
    const req = lastAuthorize(s);
    assert.equal(req.get('response_mode'), 'web_message');
    assert.equal(req.get('prompt'), null, 'a popup login is interactive');
    const messages = await s.eval(() => window.T.messages());
    assert.equal(messages.length, 1);
    assert.equal(messages[0].origin, s.provider.origin);
    assert.equal(messages[0].relation, 'popup');
    const after = await s.snapshot();
    assert.equal(after.isAuthenticated, true);
    assert.equal(after.user?.sub, 'popup-user');
    assert.equal(after.claims?.__raw, minted.idToken);
    assert.equal(after.token, 'popup-token');
    assert.deepEqual(after.storage.session, {}, 'the popup transaction was used up');
    assert.equal(after.href, `${s.pageOrigin}/`, 'the tab did not navigate');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup: a double click runs one popup login, and both calls resolve with it', withPopups(async (s) => {
    await s.create();
    // The user signs in for 800 ms: the second click comes meanwhile.
    s.provider.config.authorize = (p) => ({ signIn: s.mint(txOf(p), { accessToken: 'popup-token', claims: { sub: 'popup-user' } }).fragment, delayMs: 800 });
    await s.eval(() => window.T.addPopupButton('main', {}, 'popup-login'));
    const [popup] = await Promise.all([s.page.waitForEvent('popup', { timeout: WAIT_MS }), s.page.click('#popup-login', { noWaitAfter: true })]);
    await s.page.click('#popup-login', { noWaitAfter: true });
    const results = await s.eval(() => window.T.popupResults());
    assert.equal(results.length, 2, 'two clicks, two calls');
    for (const r of results) assert.equal(r.ok, true, `a call failed: ${r.error}: ${r.error_description}`);
    await assertPopupClosed(popup);
    assert.equal(authorizeRequests(s).length, 1, 'one authorization request');
    const after = await s.snapshot();
    assert.equal(after.token, 'popup-token');
    assert.deepEqual(after.storage.session, {}, 'no transaction is left');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup (fragment): a response landing on the redirect URI in the popup logs in; the popup is closed', withPopups(async (s) => {
    await s.create();
    let minted;
    s.provider.config.authorize = (p) => {
      minted = s.mint(txOf(p), { accessToken: 'popup-token', claims: { sub: 'popup-user' } });
      return minted.fragment;
    };
    const redirectUri = `${s.pageOrigin}/app/popup-callback`;
    const popup = await clickPopup(s, { authorizationParams: { redirect_uri: redirectUri } });
    const r = await s.eval(() => window.T.popupResult());
    assert.equal(r.ok, true, `loginWithPopup failed: ${r.error}: ${r.error_description}`);
    await assertPopupClosed(popup);
    assert.equal(lastAuthorize(s).get('redirect_uri'), redirectUri);
    const after = await s.snapshot();
    assert.equal(after.user?.sub, 'popup-user');
    assert.equal(after.token, 'popup-token');
    assert.deepEqual(after.storage.session, {}, 'the popup transaction was used up');
    s.assertNoPageErrors(after);
  }));

  for (const [explicit, how] of [[false, ''], [true, ' given the address (location.href)']]) {
    test(`silent renew and popup: the app's own handleRedirectCallback${how}, run where the response lands in the iframe or popup, neither uses up the transaction nor stores anything`, withPopups(async (s) => {
      const silentRedirectUri = `${s.pageOrigin}/app/silent`;
      await s.create({ cacheLocation: 'localstorage', silentRedirectUri, authorizeTimeoutInSeconds: 10 });
      await s.establish();
      // The response first lands on a page of the app that runs its callback code, which then
      // passes it on, unchanged, to the redirect URI the flow watches.
      s.provider.config.authorize = (p) => {
        const minted = s.mint(txOf(p), { accessToken: p.get('prompt') === 'none' ? 'renewed-token' : 'popup-token', claims: { sub: 'first-user' } });
        return { redirect: landingUrl(s, { next: p.get('redirect_uri'), fragment: minted.fragment, cacheLocation: 'localstorage', explicit }) };
      };
      // (A popup has a copy of the tab's sessionStorage made when it opened, before the
      // transaction was stored: there the proof is that nothing was read, changed or refused.)
      const checkLanding = (landing, { windowName, state, token }) => {
        assert.equal(landing.failure, undefined, landing.failure);
        assert.equal(landing.windowName, windowName);
        assert.equal(landing.result.ok, true, `handleRedirectCallback there: ${landing.result.error}: ${landing.result.error_description}`);
        assert.deepEqual(landing.result.value.keys, [], 'handleRedirectCallback there returned something');
        if (state) assert.ok(hasTx(landing.storageBefore, state), 'the transaction was stored when the response landed');
        assert.deepEqual(landing.storageAfter, landing.storageBefore, 'handleRedirectCallback there changed Web Storage');
        assert.equal(landing.hrefAfter, landing.hrefBefore, 'handleRedirectCallback there took the response out of the address bar');
        assert.equal(landing.token, token, 'handleRedirectCallback there stored the new token');
      };

      const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
      assert.equal(r.ok, true, `the renewal failed (was its transaction used up in the iframe?): ${r.error}: ${r.error_description}`);
      assert.equal(r.value, 'renewed-token');
      assert.equal(r.iframes, 0, 'an iframe is left in the document');
      await s.page.waitForFunction(() => window.T.landings().length === 1, null, { timeout: WAIT_MS });
      checkLanding((await s.eval(() => window.T.landings()))[0],
        { windowName: 'spa-login-silent', state: lastAuthorize(s).get('state'), token: 'first-access-token' });

      const popup = await clickPopup(s, { authorizationParams: { redirect_uri: `${s.pageOrigin}/app/popup-callback` } });
      const p = await s.eval(() => window.T.popupResult());
      assert.equal(p.ok, true, `loginWithPopup failed: ${p.error}: ${p.error_description}`);
      await assertPopupClosed(popup);
      await s.page.waitForFunction(() => window.T.landings().length === 2, null, { timeout: WAIT_MS });
      checkLanding((await s.eval(() => window.T.landings()))[1], { windowName: 'spa-login-popup', token: 'renewed-token' });
      const after = await s.snapshot();
      assert.equal(after.token, 'popup-token');
      assert.deepEqual(after.storage.session, {}, 'both transactions were used up by the flows');
      s.assertNoPageErrors(after);
    }));
  }

  // ---- Only from the expected origin and window --------------------------------------------

  const VIAS = {
    'other-origin': 'from another origin',
    'nested-frame': 'from another window (a frame inside the provider page)',
  };
  for (const [via, from] of Object.entries(VIAS)) {
    test(`silent renew (web_message): the right response posted ${from} is ignored: timeout`, () => withSession(async (s) => {
      useWebMessage(s);
      await s.create({ cacheLocation: 'localstorage', authorizeTimeoutInSeconds: TIMEOUT_S });
      await s.establish();
      s.provider.config.authorize = (p) => ({ webMessage: asObject(s.mint(txOf(p), { accessToken: 'must-not-be-used' }).fragment), via });
      const before = await s.snapshot();
      const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
      assertAuthError(r, 'timeout');
      assert.equal(r.iframes, 0, 'an iframe is left in the document');
      const state = lastAuthorize(s).get('state');
      await assertMessagesIgnored(s, {
        count: 1,
        origin: via === 'other-origin' ? s.provider.otherOrigin : s.provider.origin,
        relation: via === 'other-origin' ? 'frame' : 'other',
        states: [state],
        pending: [state],
      });
      const after = await s.snapshot();
      assertNothingStored(before, after, [state]);
      s.assertFirstSession(after);
      s.assertNoPageErrors(after);
    }));

    test(`loginWithPopup (web_message): the right response posted ${from} is ignored: timeout, and the popup is closed`, withPopups(async (s) => {
      useWebMessage(s);
      await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
      s.provider.config.authorize = (p) => ({ webMessage: asObject(s.mint(txOf(p), { accessToken: 'must-not-be-used' }).fragment), via });
      const before = await s.snapshot();
      const popup = await clickPopup(s);
      const r = await s.eval(() => window.T.popupResult());
      assertAuthError(r, 'timeout', '', { popup: true });
      await assertPopupClosed(popup);
      const state = lastAuthorize(s).get('state');
      await assertMessagesIgnored(s, {
        count: 1,
        origin: via === 'other-origin' ? s.provider.otherOrigin : s.provider.origin,
        relation: via === 'other-origin' ? 'popup' : 'other',
        states: [state],
        pending: [state],
      });
      const after = await s.snapshot();
      assertNothingStored(before, after, [state]);
      loggedOut(after, 'after the ignored answer');
      s.assertNoPageErrors(after);
    }));
  }

  // ---- Only with the state of their own transaction ----------------------------------------

  // The worst other state: that of another pending login of this client, with a response that
  // is valid for it. Taking it would log in (or renew) with the other transaction's tokens.
  async function otherTransaction(s) {
    const tx = await s.login();
    return { tx, minted: s.mint(tx, { accessToken: 'other-transaction-token', claims: { sub: 'other-user' } }) };
  }

  async function assertOtherTransactionIntact(s, other) {
    const cb = await s.callback(other.minted.fragment);
    assert.equal(cb.ok, true, `the other transaction was used up: ${cb.error}: ${cb.error_description}`);
    assert.equal((await s.snapshot()).token, 'other-transaction-token');
  }

  test('silent renew (web_message): responses with another state, unknown or of another pending transaction, are ignored: timeout', () => withSession(async (s) => {
    useWebMessage(s);
    await s.create({ cacheLocation: 'localstorage', authorizeTimeoutInSeconds: TIMEOUT_S });
    await s.establish();
    const other = await otherTransaction(s);
    const unknown = 'unknown-state-' + 'A'.repeat(43);
    s.provider.config.authorize = (p) => ({
      webMessage: [
        { ...asObject(s.mint(txOf(p), { accessToken: 'must-not-be-used' }).fragment), state: unknown },
        asObject(other.minted.fragment),
      ],
    });
    const before = await s.snapshot();
    const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
    assertAuthError(r, 'timeout');
    assert.equal(r.iframes, 0, 'an iframe is left in the document');
    const state = lastAuthorize(s).get('state');
    await assertMessagesIgnored(s, {
      count: 2, origin: s.provider.origin, relation: 'frame', states: [unknown, other.tx.state], pending: [state, other.tx.state],
    });
    const after = await s.snapshot();
    assertNothingStored(before, after, [state]);
    s.assertFirstSession(after);
    s.assertNoPageErrors(after);
    await assertOtherTransactionIntact(s, other);
  }));

  test('loginWithPopup (web_message): responses with another state are ignored: timeout, and the popup is closed', withPopups(async (s) => {
    useWebMessage(s);
    await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
    const other = await otherTransaction(s);
    const unknown = 'unknown-state-' + 'B'.repeat(43);
    s.provider.config.authorize = (p) => ({
      webMessage: [
        { ...asObject(s.mint(txOf(p), { accessToken: 'must-not-be-used' }).fragment), state: unknown },
        asObject(other.minted.fragment),
      ],
    });
    const before = await s.snapshot();
    const popup = await clickPopup(s);
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'timeout', '', { popup: true });
    await assertPopupClosed(popup);
    const state = lastAuthorize(s).get('state');
    await assertMessagesIgnored(s, {
      count: 2, origin: s.provider.origin, relation: 'popup', states: [unknown, other.tx.state], pending: [state, other.tx.state],
    });
    const after = await s.snapshot();
    assertNothingStored(before, after, [state]);
    loggedOut(after, 'after the ignored answers');
    s.assertNoPageErrors(after);
    await assertOtherTransactionIntact(s, other);
  }));

  // A response that lands on the redirect URI names its state in the window's address: one with
  // another state is not the flow's result either (as with web_message), so the flow goes on
  // waiting and ends with timeout, and the other transaction stays as it was.
  test('silent renew (fragment): a response landing on the silent redirect URI with the state of another pending transaction is not accepted: timeout', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage', authorizeTimeoutInSeconds: TIMEOUT_S });
    await s.establish();
    const other = await otherTransaction(s);
    s.provider.config.authorize = () => other.minted.fragment;
    const before = await s.snapshot();
    const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
    assertAuthError(r, 'timeout');
    assert.equal(r.iframes, 0, 'an iframe is left in the document');
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    s.assertFirstSession(after);
    s.assertNoPageErrors(after);
    await assertOtherTransactionIntact(s, other);
  }));

  test('loginWithPopup (fragment): a response landing on the redirect URI with the state of another pending transaction is not accepted: timeout', withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
    const other = await otherTransaction(s);
    s.provider.config.authorize = () => other.minted.fragment;
    const before = await s.snapshot();
    const popup = await clickPopup(s, { authorizationParams: { redirect_uri: `${s.pageOrigin}/app/popup-callback` } });
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'timeout', '', { popup: true });
    await assertPopupClosed(popup);
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    loggedOut(after, 'after the answer of another transaction');
    s.assertNoPageErrors(after);
    await assertOtherTransactionIntact(s, other);
  }));

  // ---- No answer: timeout; the popup closed or blocked ---------------------------------------

  for (const mode of MODES) {
    test(`silent renew (${mode}): no answer gives timeout, for getAccessToken and for checkSession; no iframe is left`, () => withSession(async (s) => {
      if (mode === 'web_message') useWebMessage(s);
      await s.create({ cacheLocation: 'localstorage', authorizeTimeoutInSeconds: TIMEOUT_S });
      await s.establish();
      s.provider.config.authorize = () => ({ noAnswer: true });
      const before = await s.snapshot();
      const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
      assertAuthError(r, 'timeout', 'getAccessToken: ');
      assert.equal(r.iframes, 0, 'an iframe is left in the document');
      const after = await s.snapshot();
      assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
      s.assertFirstSession(after);

      // A client with no session (memory cache): checkSession does not take a timeout for
      // "not logged in".
      await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S }, { name: 'fresh' });
      const c = await s.eval(() => window.T.checkSession('fresh'));
      assertAuthError(c, 'timeout', 'checkSession: ');
      assert.equal(c.isAuthenticated, false);
      assert.equal(c.iframes, 0, 'an iframe is left in the document');
      assert.equal(authorizeRequests(s).filter((q) => q.get('prompt') === 'none').length, 2);
      assert.deepEqual(await s.eval(() => window.T.messages()), [], 'no answer came');
      s.assertNoPageErrors(await s.snapshot());
    }));
  }

  test('loginWithPopup: no answer gives timeout, and the popup is closed', withPopups(async (s) => {
    useWebMessage(s);
    await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
    s.provider.config.authorize = () => ({ noAnswer: true });
    const before = await s.snapshot();
    const popup = await clickPopup(s);
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'timeout', '', { popup: true });
    await assertPopupClosed(popup);
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    loggedOut(after, 'after the timeout');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup: the user closing the popup gives popup_cancelled', withPopups(async (s) => {
    useWebMessage(s);
    await s.create({ authorizeTimeoutInSeconds: 30 });
    s.provider.config.authorize = () => ({ noAnswer: true });
    const before = await s.snapshot();
    const popup = await clickPopup(s);
    await userCloses(popup);
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'popup_cancelled');
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    loggedOut(after, 'after the cancelled popup');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup: without a user gesture the browser blocks the popup: popup_blocked', withPopups(async (s) => {
    await s.create();
    const before = await s.snapshot();
    let popups = 0;
    const count = () => { popups += 1; };
    s.context.on('page', count);
    try {
      const r = await s.eval(() => window.T.popupWithoutGesture('main'));
      assert.equal(r.activeAtCall, false, 'the page still had a user activation');
      assertAuthError(r, 'popup_blocked');
    } finally {
      s.context.off('page', count);
    }
    assert.equal(popups, 0, 'a window was opened');
    assert.deepEqual(authorizeRequests(s), [], 'an authorization request was made');
    const after = await s.snapshot();
    assertNothingStored(before, after);
    loggedOut(after, 'after the blocked popup');
    s.assertNoPageErrors(after);
  }));

  // ---- "Not logged in" answers -------------------------------------------------------------

  for (const mode of MODES) {
    test(`checkSession (${mode}): login_required, consent_required, interaction_required (and account_selection_required) mean "not logged in"; other errors still reject`, () => withSession(async (s) => {
      if (mode === 'web_message') useWebMessage(s);
      await s.create();
      const before = await s.snapshot();
      for (const code of [...LOGGED_OUT_CODES, 'access_denied']) {
        s.provider.config.authorize = (p) => inMode(mode, errorResponse(code, p.get('state')));
        const r = await s.eval(() => window.T.checkSession('main'));
        if (code === 'access_denied') {
          assertAuthError(r, code, `${code}: `);
        } else {
          assert.equal(r.ok, true, `${code}: checkSession rejected: ${r.error}: ${r.error_description}`);
          assert.equal(r.value, undefined);
        }
        assert.equal(r.isAuthenticated, false, `${code}: isAuthenticated()`);
        assert.equal(r.iframes, 0, `${code}: an iframe is left in the document`);
        assert.equal(lastAuthorize(s).get('prompt'), 'none');
        const after = await s.snapshot();
        // The transaction was used up by its (error) answer: Web Storage is exactly as before.
        assertNothingStored(before, after);
        loggedOut(after, code);
      }
      assert.equal(authorizeRequests(s).length, LOGGED_OUT_CODES.length + 1);
      s.assertNoPageErrors(await s.snapshot());
    }));

    test(`getAccessToken (${mode}): login_required, consent_required, interaction_required reject with that code; nothing is stored`, () => withSession(async (s) => {
      if (mode === 'web_message') useWebMessage(s);
      await s.create({ cacheLocation: 'localstorage' });
      await s.establish();
      const before = await s.snapshot();
      for (const code of LOGGED_OUT_CODES.slice(0, 3)) {
        s.provider.config.authorize = (p) => inMode(mode, errorResponse(code, p.get('state')));
        const r = await s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
        assertAuthError(r, code, `${code}: `);
        assert.equal(r.error_description, `no session at the provider (${code})`);
        assert.equal(r.state, lastAuthorize(s).get('state'), `${code}: the AuthError carries the state`);
        assert.equal(r.iframes, 0, `${code}: an iframe is left in the document`);
        const after = await s.snapshot();
        assertNothingStored(before, after);
        s.assertFirstSession(after);
      }
      // With no session at all (cacheMode 'on' finds nothing to return): the same rejection.
      await s.create({}, { name: 'fresh' });
      s.provider.config.authorize = (p) => inMode(mode, errorResponse('login_required', p.get('state')));
      const r = await s.eval(() => window.T.renew('fresh'));
      assertAuthError(r, 'login_required', 'no session: ');
      assert.equal(r.iframes, 0);
      loggedOut(await s.snapshot('fresh'), 'no session');
      s.assertNoPageErrors(await s.snapshot());
    }));
  }

  // ---- A provider that sends Cross-Origin-Opener-Policy ---------------------------------------

  // With COOP: same-origin on the provider's page (Django's default), the browser cuts the popup
  // off from its opener: the opener sees it closed at once, and the response that lands on the
  // redirect URI can reach the opener only through the app's own callback code there.
  test("loginWithPopup, provider with Cross-Origin-Opener-Policy: the app's handleRedirectCallback at the redirect URI hands the response to the opener, which logs in; the popup closes, its address bar clean", withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: 20 });
    let minted;
    s.provider.config.authorize = (p) => {
      minted = s.mint(txOf(p), { accessToken: 'coop-popup-token', claims: { sub: 'coop-user' } });
      return { signIn: minted.fragment, coop: true };
    };
    const redirectUri = callbackPageUrl(s);
    const popup = await clickPopup(s, { authorizationParams: { redirect_uri: redirectUri } });
    const seen = watchPopup(popup);
    const r = await s.eval(() => window.T.popupResult());
    assert.equal(r.ok, true, `loginWithPopup failed: ${r.error}: ${r.error_description}`);
    await assertPopupClosed(popup);
    assert.equal(lastAuthorize(s).get('redirect_uri'), redirectUri);
    assert.equal(seen.reports.length, 1, `the callback page in the popup reported ${seen.reports.length} times (addresses: ${seen.urls.join(' ')})`);
    const report = seen.reports[0];
    assert.equal(report.failure, undefined, report.failure);
    assert.equal(report.hadOpener, false, 'the popup kept its opener: the policy did not cut it off, the test proves nothing');
    assert.equal(report.result.ok, true, `handleRedirectCallback in the popup: ${report.result.error}: ${report.result.error_description}`);
    assert.deepEqual(report.result.value.keys, [], 'handleRedirectCallback in the popup returned something');
    assertCleanAddressBar(report.hrefAfter, "the popup's address bar after handleRedirectCallback");
    assertCleanAddressBar(seen.urls.at(-1), "the popup's last address");
    const after = await s.snapshot();
    assert.equal(after.isAuthenticated, true);
    assert.equal(after.user?.sub, 'coop-user');
    assert.equal(after.claims?.__raw, minted.idToken);
    assert.equal(after.token, 'coop-popup-token');
    assert.deepEqual(after.storage.session, {}, 'the popup transaction was used up');
    assert.equal(after.href, `${s.pageOrigin}/`, 'the tab did not navigate');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup, provider with Cross-Origin-Opener-Policy: the user closing the popup gives timeout, whose description names the policy and handleRedirectCallback', withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
    s.provider.config.authorize = () => ({ noAnswer: true, coop: true });
    const before = await s.snapshot();
    const popup = await clickPopup(s);
    await userCloses(popup);
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'timeout', '', { popup: true });
    assert.match(r.error_description, /Cross-Origin-Opener-Policy/);
    assert.match(r.error_description, /handleRedirectCallback/);
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    loggedOut(after, 'after the closed popup');
    s.assertNoPageErrors(after);
  }));

  test('loginWithPopup, provider with Cross-Origin-Opener-Policy, in a page without BroadcastChannel and localStorage: popup_severed at once', withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: 60 });
    s.provider.config.authorize = () => ({ noAnswer: true, coop: true });
    const before = await s.snapshot();
    await s.eval(() => {
      delete window.BroadcastChannel;
      Object.defineProperty(window, 'localStorage', {
        configurable: true,
        get() {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      });
    });
    const started = Date.now();
    await clickPopup(s);
    const r = await s.eval(() => window.T.popupResult());
    assertAuthError(r, 'popup_severed');
    assert.match(r.error_description, /loginWithRedirect/);
    assert.ok(Date.now() - started < 30_000, 'popup_severed came only after a long wait, not at once');
    const after = await s.snapshot();
    assertNothingStored(before, after, [lastAuthorize(s).get('state')]);
    loggedOut(after, 'after popup_severed');
    s.assertNoPageErrors(after);
  }));

  // ---- A window's name proves nothing --------------------------------------------------------

  // Any site can open the app in a window named like the package's popup or frame: the app's
  // own callback code there must handle the response (and refuse it: no transaction), not leave
  // it in the address bar for a flow that does not exist.
  test("response windows: in a window named spa-login-popup that another origin opened, the app's handleRedirectCallback handles the response as its own: invalid_state", withPopups(async (s) => {
    const other = await s.context.newPage();
    try {
      await other.goto(`${s.provider.origin}/`);
      await other.waitForFunction(() => window.ready === true, null, { timeout: WAIT_MS });
      const win = await openNamed(other, `${s.pageOrigin}/app/callback#${strayResponse('a')}`, 'spa-login-popup');
      assert.deepEqual(await win.evaluate(() => [window.name, !!window.opener]), ['spa-login-popup', true]);
      assertHandledAsOwn(await callbackIn(win, s.clientOptions()), 'opened by another origin');
    } finally {
      await other.close();
    }
  }));

  test("response windows: in a window named spa-login-popup whose opener (of the app's origin) runs no popup flow with that state, the app's handleRedirectCallback handles the response as its own: invalid_state", withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: 30 });
    // An opener with no flow at all.
    const first = await openNamed(s.page, `${s.pageOrigin}/app/callback#${strayResponse('b')}`, 'spa-login-popup');
    assert.deepEqual(await first.evaluate(() => [window.name, window.opener === window.opener?.top]), ['spa-login-popup', true]);
    assertHandledAsOwn(await callbackIn(first, s.clientOptions()), 'an opener with no flow');
    await first.close();
    // An opener whose popup flow (in a window of another name) has another state.
    s.provider.config.authorize = () => ({ noAnswer: true });
    const [own] = await Promise.all([
      s.page.waitForEvent('popup', { timeout: WAIT_MS }),
      s.eval(() => window.T.popupInto('main', 'app-own-popup')),
    ]);
    await until(() => authorizeRequests(s).length === 1, 'the popup flow to start');
    const second = await openNamed(s.page, `${s.pageOrigin}/app/callback#${strayResponse('c')}`, 'spa-login-popup');
    assertHandledAsOwn(await callbackIn(second, s.clientOptions()), 'an opener with a popup flow of another state');
    await userCloses(own);
    assertAuthError(await s.eval(() => window.T.popupIntoResult('app-own-popup')), 'popup_cancelled', 'the popup flow: ');
    s.assertNoPageErrors(await s.snapshot());
  }));

  test("response windows: in an iframe named spa-login-silent whose parent runs no silent flow with that state, the app's handleRedirectCallback handles the response as its own: invalid_state", () => withSession(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: 8 });
    const inFrame = async (tag) => {
      await s.eval(([u]) => {
        const f = document.createElement('iframe');
        f.name = 'spa-login-silent';
        f.id = 'named-frame';
        f.src = u;
        document.body.append(f);
      }, [`${s.pageOrigin}/app/callback#${strayResponse(tag)}`]);
      const frame = await (await s.page.waitForSelector('#named-frame')).contentFrame();
      await frame.waitForFunction(() => window.ready === true, null, { timeout: WAIT_MS });
      assert.equal(await frame.evaluate(() => window.name), 'spa-login-silent');
      const r = await callbackIn(frame, s.clientOptions());
      await s.eval(() => document.getElementById('named-frame').remove());
      return r;
    };
    assertHandledAsOwn(await inFrame('d'), 'a parent with no flow');
    // A parent whose silent flow has another state, and runs until the check is done.
    s.provider.config.authorize = () => ({ hang: true });
    const renewal = s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
    await until(() => authorizeRequests(s).length === 1, 'the silent flow to start');
    assertHandledAsOwn(await inFrame('e'), 'a parent with a silent flow of another state');
    assert.equal(await Promise.race([renewal.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 0))]), 'pending',
      'the silent flow ended before the check: the test proves nothing');
    assertAuthError(await renewal, 'timeout', 'the silent flow: ');
    s.assertNoPageErrors(await s.snapshot());
  }));

  // ---- What a web_message carries, and origins as browsers report them -----------------------

  test('silent renew (web_message): expires_in as a JSON number (7200) is read: the token lives 7200 s', () => withSession(async (s) => {
    useWebMessage(s);
    await s.create({ authorizeTimeoutInSeconds: 5 });
    s.provider.config.authorize = (p) => {
      const minted = s.mint(txOf(p), { accessToken: 'numeric-expiry-token', claims: { exp: s.nowSecs() + 86400 } });
      return { webMessage: { ...asObject(minted.fragment), expires_in: 7200 } };
    };
    const r = await s.eval(() => window.T.renew('main'));
    assert.equal(r.ok, true, `the renewal failed: ${r.error}: ${r.error_description}`);
    assert.equal(r.value, 'numeric-expiry-token');
    await s.setClock({ skew: 7000 * 1000 });
    assert.equal((await s.snapshot()).token, 'numeric-expiry-token', 'the token is gone before 7000 s: expires_in 7200 was not read');
    await s.setClock({ skew: 7300 * 1000 });
    assert.equal((await s.snapshot()).token, undefined, 'the token outlived expires_in 7200');
    s.assertNoPageErrors(await s.snapshot());
  }));

  test('silent renew (web_message): the provider origin compares as browsers report it: an authorization_endpoint written HTTP://127.0.0.1:0PORT is the origin http://127.0.0.1:PORT', () => withSession(async (s) => {
    const endpoint = `HTTP://127.0.0.1:0${s.provider.port}/authorize`;
    await s.create({ authorizeTimeoutInSeconds: 5, metadata: { authorization_endpoint: endpoint, response_modes_supported: ['fragment', 'query', 'web_message'] } });
    s.provider.config.authorize = (p) => ({ webMessage: asObject(s.mint(txOf(p), { accessToken: 'origin-token' }).fragment) });
    const r = await s.eval(() => window.T.renew('main'));
    assert.equal(r.ok, true, `the renewal failed (the message was ignored?): ${r.error}: ${r.error_description}`);
    assert.equal(r.value, 'origin-token');
    assert.equal(lastAuthorize(s).get('response_mode'), 'web_message');
    const messages = await s.eval(() => window.T.messages());
    assert.equal(messages.length, 1);
    assert.equal(messages[0].origin, s.provider.origin);
    assert.equal(messages[0].relation, 'frame');
    s.assertNoPageErrors(await s.snapshot());
  }));

  test('silent renew (fragment): a silent redirect URI written in upper case (HTTP://LOCALHOST:PORT/app/silent) still has its response read', () => withSession(async (s) => {
    const silentRedirectUri = `HTTP://LOCALHOST:${s.provider.port}/app/silent`;
    await s.create({ silentRedirectUri, authorizeTimeoutInSeconds: 5 });
    s.provider.config.authorize = (p) => s.mint(txOf(p), { accessToken: 'upper-case-token' }).fragment;
    const r = await s.eval(() => window.T.renew('main'));
    assert.equal(r.ok, true, `the renewal failed (the response was not read?): ${r.error}: ${r.error_description}`);
    assert.equal(r.value, 'upper-case-token');
    assert.equal(r.iframes, 0, 'an iframe is left in the document');
    assert.equal(lastAuthorize(s).get('redirect_uri'), silentRedirectUri, 'the redirect URI is sent as written');
    assert.equal(s.provider.requests.filter((q) => q.path === '/app/silent').length, 1, 'the response landed on the silent redirect URI');
    s.assertNoPageErrors(await s.snapshot());
  }));

  // ---- Abandoned flows leave no transaction -----------------------------------------------

  test('abandoned flows: after a silent-renew timeout, a popup timeout and popup_cancelled, no transaction of the flow is left in sessionStorage', withPopups(async (s) => {
    await s.create({ authorizeTimeoutInSeconds: TIMEOUT_S });
    await s.create({ authorizeTimeoutInSeconds: 30 }, { name: 'patient' });
    // The silent renew's request stays open until its timeout (a page that loaded without an
    // answer would end it at once); the popups show a page that never answers.
    s.provider.config.authorize = (p) => (p.get('prompt') === 'none' ? { hang: true } : { noAnswer: true });
    // While the flow runs its transaction is stored (else the check after it proves nothing).
    const storedWhileRunning = async (n, what) => {
      await until(() => authorizeRequests(s).length === n + 1, `${what} to reach /authorize`);
      const state = lastAuthorize(s).get('state');
      assert.ok(hasTx(await s.eval(() => window.T.storage()), state), `${what}: no transaction was stored while it ran`);
      return state;
    };
    const gone = async (state, what) => {
      const storage = await s.eval(() => window.T.storage());
      assert.equal(hasTx(storage, state), false, `${what}: its transaction is left in sessionStorage`);
    };

    let n = authorizeRequests(s).length;
    const renewal = s.eval(() => window.T.renew('main', { cacheMode: 'off' }));
    const silentState = await storedWhileRunning(n, 'the silent renew');
    assertAuthError(await renewal, 'timeout', 'silent renew: ');
    await gone(silentState, 'the timed-out silent renew');

    n = authorizeRequests(s).length;
    const timedOut = await clickPopup(s, {}, { id: 'popup-timeout' });
    const timeoutState = await storedWhileRunning(n, 'the popup');
    assertAuthError(await s.eval(() => window.T.popupResult('popup-timeout')), 'timeout', 'popup: ', { popup: true });
    await assertPopupClosed(timedOut);
    await gone(timeoutState, 'the timed-out popup');

    n = authorizeRequests(s).length;
    const closed = await clickPopup(s, {}, { id: 'popup-cancel', name: 'patient' });
    const cancelState = await storedWhileRunning(n, 'the popup the user closes');
    await userCloses(closed);
    assertAuthError(await s.eval(() => window.T.popupResult('popup-cancel')), 'popup_cancelled', 'closed popup: ');
    await gone(cancelState, 'the cancelled popup');
    s.assertNoPageErrors(await s.snapshot());
  }));

  test("tabs: a session that merely expires (and a silent attempt that finds no session at the provider) is no logout: the app's other tabs keep theirs", () => withSession(async (s) => {
    // Two clients of one issuer and client id in one page talk on one BroadcastChannel, as two
    // tabs do. The first's ID token ends in 2 minutes, the second's in 2 days.
    await s.create();
    await s.create({}, { name: 'second' });
    const now = s.nowSecs();
    await s.establish({ mint: { claims: { exp: now + 120 } } });
    await s.establish({ name: 'second' });
    await s.setClock({ skew: 10 * 60 * 1000 });
    s.provider.config.authorize = (p) => errorResponse('login_required', p.get('state'));
    const r = await s.eval(() => window.T.checkSession('main'));
    assert.equal(r.ok, true, `checkSession: ${r.error}: ${r.error_description}`);
    assert.equal(r.isAuthenticated, false, 'the first session is over');
    // (A message on the channel arrives in a task of its own.)
    await s.eval(() => new Promise((resolve) => setTimeout(resolve, 200)));
    const second = await s.snapshot('second');
    assert.equal(second.isAuthenticated, true, 'the other session was taken for logged out');
    assert.equal(second.token, 'first-access-token');
    // A logout is one: the other tab's session goes.
    await s.eval(() => window.T.logout('main', { openUrl: false }));
    await s.eval(() => new Promise((resolve) => setTimeout(resolve, 200)));
    assert.equal((await s.snapshot('second')).isAuthenticated, false, 'the logout reached the other client');
  }));

  test('logout: clears every token from memory before it navigates', () => withSession(async (s) => {
    await s.loginOk();
    const r = await s.eval(([o]) => window.T.logout('main', { openUrl: 'capture', logoutParams: { returnTo: `${o}/bye` } }), [s.pageOrigin]);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.ok(r.url, 'openUrl was not called');
    loggedOut(r.atOpen, 'when openUrl ran');
    assert.deepEqual(r.atOpen.storage, { session: {}, local: {} });
    loggedOut(await s.snapshot(), 'after logout');
  }));

  test('logout: clears the localStorage entry before it navigates', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.loginOk();
    assert.equal(Object.keys((await s.snapshot()).storage.local).length, 1);
    const r = await s.eval(() => window.T.logout('main', { openUrl: 'capture' }));
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    loggedOut(r.atOpen, 'when openUrl ran');
    assert.deepEqual(r.atOpen.storage.local, {}, 'localStorage still had the session when openUrl ran');
    // A new client on this page (a reload) finds nothing either.
    await s.goto('/');
    await s.create({ cacheLocation: 'localstorage' });
    loggedOut(await s.snapshot(), 'after a reload');
  }));

  test('logout: the URL has id_token_hint, client_id and post_logout_redirect_uri', () => withSession(async (s) => {
    const { minted } = await s.loginOk();
    const returnTo = `${s.pageOrigin}/app/goodbye?x=1`;
    const r = await s.eval(([to]) => window.T.logout('main', { openUrl: 'capture', logoutParams: { returnTo: to } }), [returnTo]);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    const url = new URL(r.url);
    assert.equal(url.origin + url.pathname, `${s.provider.origin}/logout`, 'the end_session_endpoint');
    assert.equal(url.searchParams.get('id_token_hint'), minted.idToken);
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(url.searchParams.get('post_logout_redirect_uri'), returnTo);
  }));

  test('logout: returnTo must be an absolute URL', () => withSession(async (s) => {
    await s.loginOk();
    for (const returnTo of ['/bye', 'bye', '//evil.example/bye', 'javascript:alert(1)', `${s.pageOrigin}/#frag`]) {
      const r = await s.eval(([to]) => window.T.logout('main', { openUrl: 'capture', logoutParams: { returnTo: to } }), [returnTo]);
      assert.equal(r.ok, false, `${returnTo} was accepted`);
      assert.equal(r.isAuthError, true);
      assert.equal(r.error, 'invalid_configuration', returnTo);
      assert.match(r.error_description, /returnTo/);
      assert.equal(r.url, undefined, `${returnTo}: openUrl was called`);
    }
  }));

  test('logout: nothing in a response chooses where it returns', () => withSession(async (s) => {
    const evil = 'https://evil.example/';
    const extra = ['post_logout_redirect_uri', 'returnTo', 'return_to', 'logout_redirect_uri']
      .map((p) => `${p}=${encodeURIComponent(evil)}`).join('&');
    await s.loginOk({ mint: { extra } });
    const bare = await s.eval(() => window.T.logout('main', { openUrl: 'capture' }));
    assert.equal(bare.ok, true);
    assert.ok(!bare.url.includes('evil'), bare.url);
    await s.loginOk({ mint: { extra } });
    const mine = `${s.pageOrigin}/mine`;
    const r = await s.eval(([to]) => window.T.logout('main', { openUrl: 'capture', logoutParams: { returnTo: to } }), [mine]);
    assert.ok(!r.url.includes('evil'), r.url);
    assert.equal(new URL(r.url).searchParams.get('post_logout_redirect_uri'), mine);
  }));

  test('logout: openUrl false clears the session and stays on the page', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.loginOk();
    const r = await s.eval(([o]) => window.T.logout('main', { openUrl: false, logoutParams: { returnTo: `${o}/bye` } }), [s.pageOrigin]);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(r.href, `${s.pageOrigin}/`);
    assert.equal(r.url, undefined);
    const snap = await s.snapshot();
    loggedOut(snap, 'after logout');
    assert.deepEqual(snap.storage.local, {});
    assert.equal(s.provider.count('/logout'), 0);
  }));

  test('logout: by default the browser goes to the end_session_endpoint, and back', () => withSession(async (s) => {
    const { minted } = await s.loginOk();
    const returnTo = `${s.pageOrigin}/app/bye`;
    await Promise.all([
      s.page.waitForURL(returnTo),
      s.eval(([to]) => { window.T.logout('main', { logoutParams: { returnTo: to } }); }, [returnTo]),
    ]);
    const hit = s.provider.requests.find((r) => r.path === '/logout');
    assert.ok(hit, 'the provider saw no logout request');
    const q = new URLSearchParams(hit.query);
    assert.equal(q.get('id_token_hint'), minted.idToken);
    assert.equal(q.get('client_id'), CLIENT_ID);
    assert.equal(q.get('post_logout_redirect_uri'), returnTo);
  }));
});
