// The three response types, the bare-token flow end to end through the provider's /authorize
// with real navigations, and discovery / JWKS failures.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ID, CONCURRENCY, assertCleanAddressBar, withSession } from '../harness.mjs';
import { startProvider } from '../fake-provider.mjs';

const WAIT = { timeout: 20_000 };

/** `promise`, or a failure if it has not settled within `ms` (a flow that hangs fails its test). */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A port nothing listens on (a provider started and stopped). */
async function closedOrigin() {
  const p = await startProvider();
  await p.close();
  return p.origin;
}

describe('Response types and flows', { concurrency: CONCURRENCY }, () => {
  test("response_type 'id_token token': the ID token and the access token are stored", () => withSession(async (s) => {
    const { tx, minted, snapshot } = await s.loginOk();
    assert.equal(tx.params.response_type, 'id_token token');
    assert.equal(snapshot.isAuthenticated, true);
    assert.equal(snapshot.claims.__raw, minted.idToken);
    assert.equal(snapshot.user.sub, minted.claims.sub);
    assert.equal(snapshot.user.name, 'Test User');
    assert.equal(snapshot.user.nonce, undefined, 'protocol claims are not profile');
    assert.equal(snapshot.token, minted.accessToken);
  }));

  test("response_type 'id_token': the ID token is stored, no access token", () => withSession(async (s) => {
    await s.create({ authorizationParams: { response_type: 'id_token' } });
    const { tx, minted, snapshot } = await s.loginOk();
    assert.equal(tx.params.response_type, 'id_token');
    assert.ok(!minted.fragment.includes('access_token'));
    assert.equal(snapshot.isAuthenticated, true);
    assert.equal(snapshot.claims.__raw, minted.idToken);
    assert.ok(snapshot.token === undefined || snapshot.token.rejected?.error === 'invalid_configuration',
      JSON.stringify(snapshot.token));
  }));

  test("response_type 'token': the access token is stored, no user", () => withSession(async (s) => {
    await s.create({ authorizationParams: { response_type: 'token', audience: 'https://api.example' } });
    const { tx, minted, snapshot } = await s.loginOk();
    assert.equal(tx.params.response_type, 'token');
    assert.equal(tx.params.audience, 'https://api.example');
    assert.ok(!minted.fragment.includes('id_token'));
    assert.equal(snapshot.isAuthenticated, true);
    assert.equal(snapshot.user, undefined);
    assert.equal(snapshot.claims, undefined);
    assert.equal(snapshot.token, minted.accessToken);
  }));

  test("end to end: response_type 'token' through /authorize, answered like Auth0, with real navigations", () => withSession(async (s) => {
    const given = [];
    s.provider.config.authorize = (params) => {
      const token = `auth0-like.${Math.random().toString(36).slice(2)}`;
      given.push({ params: Object.fromEntries(params), token });
      return `access_token=${token}&token_type=Bearer&expires_in=7200&state=${encodeURIComponent(params.get('state'))}`;
    };
    const options = { authorizationParams: { response_type: 'token', audience: 'https://api.example' } };
    await s.create(options);
    const appState = { returnTo: '/orders?id=7', list: [1, 2] };
    // loginWithRedirect with no openUrl: the page goes to /authorize, which sends it back.
    await Promise.all([
      s.page.waitForURL((u) => u.hash.includes('access_token='), WAIT),
      s.eval(([a]) => window.T.loginNavigating('main', { appState: a }), [appState]),
    ]);
    await s.page.waitForFunction(() => window.ready === true, null, WAIT);
    assert.equal(given.length, 1, 'one /authorize request');
    const sent = given[0].params;
    assert.equal(sent.response_type, 'token');
    assert.equal(sent.client_id, CLIENT_ID);
    assert.equal(sent.redirect_uri, `${s.pageOrigin}/`);
    assert.equal(sent.audience, 'https://api.example');
    assert.match(sent.state, /^[A-Za-z0-9_-]{22,}$/);
    // Back on the page: a new document, so a new client, reading the address bar.
    const landed = s.page.url();
    await s.create(options);
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.deepEqual(r.value.appState, appState);
    assert.equal(r.href, `${s.pageOrigin}/`);
    assertCleanAddressBar(r.href);
    const snap = await s.snapshot();
    assert.equal(snap.isAuthenticated, true);
    assert.equal(snap.user, undefined);
    assert.equal(snap.token, given[0].token);
    assert.deepEqual(snap.storage, { session: {}, local: {} });
    // The same answer again (a reload of the URL the provider sent): invalid_state.
    const again = await s.callback(new URL(landed).hash.slice(1));
    assert.equal(again.error, 'invalid_state');
    assert.equal((await s.snapshot()).token, given[0].token);
  }));

  test("end to end: response_type 'id_token token' through /authorize, with real navigations", () => withSession(async (s) => {
    let minted;
    s.provider.config.authorize = (params) => {
      minted = s.mint({ state: params.get('state'), nonce: params.get('nonce'), responseType: params.get('response_type') });
      return minted.fragment;
    };
    await s.create();
    await Promise.all([
      s.page.waitForURL((u) => u.hash.includes('id_token='), WAIT),
      s.eval(() => window.T.loginNavigating('main', { appState: { back: '/x' } })),
    ]);
    await s.page.waitForFunction(() => window.ready === true, null, WAIT);
    await s.create();
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.deepEqual(r.value.appState, { back: '/x' });
    assertCleanAddressBar(r.href);
    const snap = await s.snapshot();
    assert.equal(snap.claims.__raw, minted.idToken);
    assert.equal(snap.token, minted.accessToken);
  }));
});

describe('Discovery and JWKS', { concurrency: CONCURRENCY }, () => {
  test('subscribe: a bad argument to a call is rejected and is no news for the subscribers (AuthState.error is the failure of a call that changed the session)', () => withSession(async (s) => {
    await s.create();
    await s.establish();
    await s.eval(() => window.T.watch('main'));
    const r = await s.eval(() => window.T.getAccessToken('main', { cacheMode: 'bogus' }));
    assert.equal(r.ok, false);
    assert.equal(r.error, 'invalid_configuration');
    const states = await s.eval(() => window.T.watched('main'));
    assert.ok(states.length >= 1, 'subscribe reports the state at once');
    assert.deepEqual(states.filter((st) => st.error), [], JSON.stringify(states));
    assert.equal(states.at(-1).isAuthenticated, true);
  }));

  test('discovery: an issuer that differs from the configured one is invalid_configuration', () => withSession(async (s) => {
    const origin = s.provider.origin;
    for (const stated of [`${origin}/`, 'https://other.example', origin.replace('127.0.0.1', 'localhost'), `${origin}/tenant`]) {
      s.provider.config.issuer = stated;
      await s.create({ issuer: origin }, { name: stated });
      const r = await s.login({ name: stated, raw: true });
      assert.equal(r.ok, false, `${stated} was accepted`);
      assert.equal(r.isAuthError, true);
      assert.equal(r.error, 'invalid_configuration', `${stated}: ${r.error_description}`);
      assert.match(r.error_description, /issuer/);
      assert.equal(r.openUrlCalls, 0);
      assert.deepEqual((await s.eval(() => window.T.storage())).session, {}, 'a transaction was stored');
    }
  }));

  test('discovery: a fetch failure is network_error', () => withSession(async (s) => {
    const closed = await closedOrigin();
    const cases = [
      ['HTTP 500', (c) => { c.discoveryStatus = 500; }],
      ['HTTP 404', (c) => { c.discoveryStatus = 404; }],
      ['no CORS header', (c) => { c.cors = false; }],
      ['nothing listening', null],
    ];
    for (const [label, configure] of cases) {
      const c = s.provider.config;
      Object.assign(c, { discoveryStatus: 200, discoveryBody: undefined, cors: true });
      configure?.(c);
      await s.create(configure ? {} : { issuer: closed }, { name: label });
      const r = await s.login({ name: label, raw: true });
      assert.equal(r.ok, false, `${label}: accepted`);
      assert.equal(r.isAuthError, true, `${label}: ${r.message}`);
      assert.equal(r.error, 'network_error', `${label}: ${r.error_description}`);
      assert.match(r.error_description, /discovery/);
      assert.equal(r.openUrlCalls, 0);
    }
    Object.assign(s.provider.config, { discoveryStatus: 200, discoveryBody: undefined, cors: true });
    await s.loginOk(); // not cached while failing: it works once the provider answers
  }));

  test('JWKS: a fetch failure is network_error; the transaction is consumed and the earlier session stays', () => withSession(async (s) => {
    await s.create({ authorizationParams: { response_type: 'token' } });
    await s.establish(); // a token-only session: the JWKS is not fetched yet
    assert.equal(s.provider.count('/jwks'), 0);
    const cases = [
      ['HTTP 500', (c) => { c.jwksStatus = 500; }],
      ['no CORS header', (c) => { c.cors = false; }],
    ];
    for (const [label, configure] of cases) {
      Object.assign(s.provider.config, { jwksStatus: 200, jwksBody: undefined, cors: true });
      configure(s.provider.config);
      const tx = await s.login({ authorizationParams: { response_type: 'id_token token' } });
      const r = await s.callback(s.mint(tx).fragment);
      try {
        await s.expectRejected(r, tx, { error: 'network_error', description: /JWKS|key set/ });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
    Object.assign(s.provider.config, { jwksStatus: 200, jwksBody: undefined, cors: true });
    await s.loginOk({ login: { authorizationParams: { response_type: 'id_token token' } } });
  }));

  test('discovery: a document that is not provider metadata is invalid_provider_metadata, not a network failure', () => withSession(async (s) => {
    const base = () => ({ issuer: s.provider.issuer, authorization_endpoint: `${s.provider.issuer}/authorize`, jwks_uri: `${s.provider.issuer}/jwks` });
    const cases = [
      ['not JSON', '<!doctype html><p>hello'],
      ['a JSON array', '[]'],
      ['duplicate keys', `{"issuer":"${s.provider.issuer}","issuer":"${s.provider.issuer}"}`],
      ['no jwks_uri', JSON.stringify({ ...base(), jwks_uri: undefined })],
      ['an endpoint that is not a string', JSON.stringify({ ...base(), authorization_endpoint: 7 })],
      ['a list that is not a list', JSON.stringify({ ...base(), response_modes_supported: 'fragment' })],
    ];
    for (const [label, body] of cases) {
      Object.assign(s.provider.config, { discoveryStatus: 200, discoveryBody: body, cors: true });
      await s.create({}, { name: label });
      const r = await s.login({ name: label, raw: true });
      assert.equal(r.ok, false, `${label}: accepted`);
      assert.equal(r.error, 'invalid_provider_metadata', `${label}: ${r.error_description}`);
      assert.equal(r.openUrlCalls, 0);
    }
    Object.assign(s.provider.config, { discoveryBody: undefined });
    await s.create({}, { name: 'fixed' });
    await s.loginOk({ name: 'fixed' }); // not cached while malformed
  }));

  test('JWKS: a document that is not a key set is invalid_jwks; the transaction is consumed and the earlier session stays', () => withSession(async (s) => {
    await s.create({ authorizationParams: { response_type: 'token' } });
    await s.establish();
    for (const [label, body] of [['not JSON', 'keys'], ['not a key set', '{"kty":"RSA"}'], ['keys not an array', '{"keys":{}}']]) {
      Object.assign(s.provider.config, { jwksStatus: 200, jwksBody: body, cors: true });
      const tx = await s.login({ authorizationParams: { response_type: 'id_token token' } });
      const r = await s.callback(s.mint(tx).fragment);
      try {
        await s.expectRejected(r, tx, { error: 'invalid_jwks', description: /JSON Web Key Set/ });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
  }));

  // Every request to the provider has a time limit (httpTimeoutInSeconds, default 10): a
  // provider that never answers would otherwise hold the login forever. The bound is generous:
  // these check that the option is applied, not how exactly.
  test('discovery: a provider that never answers gives timeout after httpTimeoutInSeconds; nothing is stored', () => withSession(async (s) => {
    s.provider.config.discoveryHang = true;
    await s.create({ httpTimeoutInSeconds: 1 });
    const started = Date.now();
    const r = await within(15_000, s.login({ raw: true }), 'loginWithRedirect');
    const took = Date.now() - started;
    assert.equal(r.ok, false, 'loginWithRedirect resolved');
    assert.equal(r.isAuthError, true, `${r.name}: ${r.message}`);
    assert.equal(r.error, 'timeout', r.error_description);
    assert.equal(r.name, 'TimeoutError');
    assert.match(r.error_description, /openid-configuration|discovery/);
    assert.ok(took < 8000, `it took ${took} ms: the 1 s limit was not applied`);
    assert.equal(r.openUrlCalls, 0);
    assert.equal(s.provider.count('/.well-known/openid-configuration'), 1);
    const snap = await s.snapshot();
    assert.deepEqual(snap.storage, { session: {}, local: {} }, 'something was stored');
    assertCleanAddressBar(snap.href);
    s.assertNoPageErrors(snap);
  }));

  test('JWKS: a provider that never answers gives timeout after httpTimeoutInSeconds; the transaction is consumed and the earlier session stays', () => withSession(async (s) => {
    await s.create({ httpTimeoutInSeconds: 1, authorizationParams: { response_type: 'token' } });
    await s.establish(); // a token-only session: the JWKS is not fetched yet
    s.provider.config.jwksHang = true;
    const tx = await s.login({ authorizationParams: { response_type: 'id_token token' } });
    const started = Date.now();
    const r = await within(15_000, s.callback(s.mint(tx).fragment), 'handleRedirectCallback');
    const took = Date.now() - started;
    assert.equal(s.provider.count('/jwks'), 1, 'the JWKS was not asked for');
    await s.expectRejected(r, tx, { error: 'timeout', description: /jwks/i });
    assert.equal(r.name, 'TimeoutError');
    assert.ok(took < 8000, `it took ${took} ms: the 1 s limit was not applied`);
  }));

  test('address bar first: the response is out of the address bar while handleRedirectCallback still waits for the JWKS', () => withSession(async (s) => {
    await s.create({ httpTimeoutInSeconds: 5 });
    s.provider.config.jwksHang = true;
    const tx = await s.login();
    assert.equal(s.provider.count('/jwks'), 0);
    let settled = false;
    const pending = s.callback(s.mint(tx).fragment).finally(() => {
      settled = true;
    });
    await s.requestsBeyond('/jwks', 0, 4000);
    assert.equal(s.provider.count('/jwks'), 1, 'the callback did not ask for the JWKS');
    const href = await s.eval(() => location.href);
    assert.equal(settled, false, 'handleRedirectCallback had settled before the check: the test proves nothing');
    assertCleanAddressBar(href, 'the address bar while the callback waits for the JWKS');
    const r = await within(15_000, pending, 'handleRedirectCallback');
    assert.equal(r.ok, false);
    assert.equal(r.error, 'timeout', r.error_description);
  }));

  test('JWKS: a failed refetch for an unknown kid is network_error; the cached session stays', () => withSession(async (s) => {
    await s.establish();
    s.provider.config.jwksStatus = 503;
    const tx = await s.login();
    const r = await s.callback(s.mint(tx, { signWith: 'rsa-b' }).fragment);
    await s.expectRejected(r, tx, { error: 'network_error', description: /JWKS/ });
    assert.equal(s.provider.count('/jwks'), 2);
  }));
});
