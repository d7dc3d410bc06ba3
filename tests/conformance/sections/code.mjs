// docs/CONFORMANCE.md, "The authorization code flow (browser tests)": the PKCE request, the code
// exchange at the token endpoint, the checks a front-channel response must pass before its code
// is sent anywhere, the token endpoint's answers, the hybrid flow's c_hash, and refresh tokens
// (rotation, invalid_grant, revocation at logout), all through the built package's public API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { CLIENT_ID, CONCURRENCY, assertCleanAddressBar, withSession } from '../harness.mjs';
import { accessToken as newAccessToken, b64u } from '../tokens.mjs';

const CODE = { authorizationParams: { response_type: 'code' } };
const HYBRID = { authorizationParams: { response_type: 'code id_token' } };
const enc = encodeURIComponent;
const FORM = 'application/x-www-form-urlencoded';

const newCode = () => `code.${randomBytes(16).toString('base64url')}`;
const sha256 = (text) => createHash('sha256').update(Buffer.from(text, 'ascii')).digest();
/** c_hash (OIDC Core 3.3.2.11): the left half of the SHA-256 of the code, for RS256. */
const cHash = (code) => b64u(sha256(code).subarray(0, 16));
const mediaType = (contentType) => (contentType ?? '').split(';')[0].trim().toLowerCase();

/**
 * A token endpoint answer for `tx`: a fresh bearer access token and an ID token for the
 * transaction's nonce (with at_hash), minted as the fragment responses of the suite are.
 * `claims` go over the ID token's defaults; `extra` over the JSON members.
 */
function tokenAnswer(s, tx, { accessToken, claims, mint = {}, extra = {} } = {}) {
  const at = accessToken ?? newAccessToken();
  const minted = s.mint(tx, { include: { id_token: true, access_token: true }, accessToken: at, claims, ...mint });
  return {
    accessToken: at,
    idToken: minted.idToken,
    body: { access_token: at, token_type: 'Bearer', expires_in: 3600, id_token: minted.idToken, ...extra },
  };
}

/**
 * The front-channel response to `tx` carrying `code`: the query for 'code', the fragment with
 * an ID token binding the code (c_hash) for 'code id_token'. `iss` is added when given.
 */
function frontResponse(s, tx, code, { iss, claims } = {}) {
  const issPart = iss === undefined ? '' : `&iss=${enc(iss)}`;
  if (tx.responseType === 'code id_token') {
    const { fragment } = s.mint(tx, { claims: { c_hash: cHash(code), ...claims } });
    return { fragment: `code=${enc(code)}&${fragment}${issPart}` };
  }
  return { query: `code=${enc(code)}&state=${enc(tx.state)}${issPart}` };
}

function assertNoCodeInAddressBar(href) {
  assertCleanAddressBar(href);
  assert.ok(!new URL(href).searchParams.has('code'), `the address bar still has the code: ${href}`);
}

/**
 * The earlier session of a code client (what a rejection must leave alone): a successful code
 * login whose tokens outlive the test. The harness's checks of the earlier session go by
 * response type; a code login holds an ID token and an access token, so it is recorded as
 * 'id_token token' for them to check both.
 */
async function establishCode(s, { iss } = {}) {
  const tx = await s.login();
  const now = s.nowSecs();
  const good = tokenAnswer(s, tx, {
    accessToken: 'first-access-token',
    claims: { sub: 'first-user', name: 'First User', iat: now, exp: now + 2 * 86400 },
    extra: { expires_in: 2 * 86400 },
  });
  s.provider.config.token = () => ({ body: good.body });
  // A hybrid response's own ID token must name the token endpoint's subject.
  const r = await s.callback(frontResponse(s, tx, 'first-code', { iss, claims: { sub: 'first-user' } }));
  assert.equal(r.ok, true, `the first (valid) code login was refused: ${r.error}: ${r.error_description}`);
  s.provider.config.token = undefined;
  const snap = await s.snapshot();
  assert.equal(snap.token, 'first-access-token');
  assert.equal(snap.user?.sub, 'first-user');
  s.first = { tx: { ...tx, responseType: 'id_token token' }, minted: { idToken: good.idToken }, snapshot: snap };
  return s.first;
}

/**
 * A front-channel response that must be refused before its code goes anywhere: every check of
 * expectRejected, the code out of the address bar, and no request at all to the token endpoint
 * (which is scripted to answer well, so a sent code would also show as a login).
 */
async function rejectedBeforeExchange(s, label, tx, input, expect) {
  const posts = s.provider.tokenPosts.length;
  const requests = s.provider.count('/token');
  s.provider.config.token = () => ({ body: tokenAnswer(s, tx).body });
  try {
    const r = await s.callback(input);
    await s.expectRejected(r, tx, expect);
    assertNoCodeInAddressBar(r.href);
    assert.equal(s.provider.tokenPosts.length, posts, 'the code was POSTed to the token endpoint');
    assert.equal(s.provider.count('/token'), requests, 'the token endpoint was asked for something');
  } catch (e) {
    e.message = `[${label}] ${e.message}`;
    throw e;
  } finally {
    s.provider.config.token = undefined;
  }
}

describe('The authorization code flow', { concurrency: CONCURRENCY }, () => {
  // --- The request ----------------------------------------------------------------------------

  test('code request: S256 challenge of the verifier later POSTed (43 unreserved characters), fresh per request, no response_mode', () => withSession(async (s) => {
    await s.create(CODE);
    const txs = [await s.login(), await s.login()];
    for (const tx of txs) {
      assert.equal(tx.params.response_type, 'code');
      assert.equal(tx.params.code_challenge_method, 'S256');
      assert.match(tx.params.code_challenge, /^[A-Za-z0-9_-]{43}$/, 'base64url of a SHA-256 digest, no padding');
      assert.equal(tx.params.response_mode, undefined, "the query is code's default: no response_mode");
      assert.ok(tx.params.nonce, 'an ID token is asked for: a nonce');
    }
    assert.notEqual(txs[0].params.code_challenge, txs[1].params.code_challenge, 'the challenge is fresh per request');
    const verifiers = [];
    for (const tx of txs) {
      const good = tokenAnswer(s, tx);
      s.provider.config.token = () => ({ body: good.body });
      const r = await s.callback(frontResponse(s, tx, newCode()));
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      const verifier = s.provider.tokenPosts.at(-1).form.code_verifier;
      assert.match(verifier ?? '', /^[A-Za-z0-9\-._~]{43}$/, 'RFC 7636 4.1: 43 unreserved characters (256 bits)');
      assert.equal(b64u(sha256(verifier)), tx.params.code_challenge, 'code_challenge = base64url(SHA-256(code_verifier))');
      verifiers.push(verifier);
    }
    assert.notEqual(verifiers[0], verifiers[1], 'the verifier is fresh per request');
  }));

  // --- The exchange ---------------------------------------------------------------------------

  test('code exchange: one form POST of exactly the five fields at the discovered token endpoint, without cookies; the address bar is clean', () => withSession({ sameOrigin: true }, async (s) => {
    // The page is on the provider's origin and the browser holds a cookie for it: a request
    // made with credentials (even the default same-origin mode) would carry it.
    await s.context.addCookies([{ name: 'op_session', value: 'secret', url: s.provider.origin }]);
    try {
      // A token endpoint at a path only discovery names: the package must not guess one.
      s.provider.config.discovery = { token_endpoint: `${s.provider.origin}/tenant-7/oauth2/exchange` };
      const redirectUri = `${s.pageOrigin}/app/cb`;
      await s.create({ authorizationParams: { response_type: 'code', redirect_uri: redirectUri } });
      const tx = await s.login();
      const good = tokenAnswer(s, tx);
      s.provider.config.token = () => ({ body: good.body });
      const code = newCode();
      const r = await s.callback({ ...frontResponse(s, tx, code, { iss: s.issuer }), path: '/app/cb' });
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      assert.deepEqual(r.value.appState, tx.appState);

      assert.equal(s.provider.tokenPosts.length, 1, 'one POST');
      assert.equal(s.provider.requests.filter((q) => q.path === '/tenant-7/oauth2/exchange').length, 1,
        'one request in all at the token endpoint (no preflight, no retry)');
      const post = s.provider.tokenPosts[0];
      assert.equal(post.path, '/tenant-7/oauth2/exchange');
      assert.deepEqual(post.pairs.map(([k]) => k).sort(), ['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri'],
        `exactly the five fields, each once: ${post.body}`);
      assert.equal(post.form.grant_type, 'authorization_code');
      assert.equal(post.form.code, code);
      assert.equal(post.form.redirect_uri, redirectUri);
      assert.equal(post.form.client_id, CLIENT_ID);
      assert.equal(mediaType(post.contentType), FORM);
      assert.equal(post.cookie, undefined, 'the token request carried cookies');

      const snap = await s.snapshot();
      assert.equal(snap.isAuthenticated, true);
      assert.equal(snap.token, good.accessToken);
      assert.equal(snap.claims.__raw, good.idToken);
      assertNoCodeInAddressBar(r.href);
      assert.equal(new URL(r.href).pathname, '/app/cb');
      assert.deepEqual(Object.keys(snap.storage.session).filter((k) => k.includes(tx.state)), [], 'the transaction is used up');

      // The same response again (a reload): invalid_state, and the code is not sent again.
      const again = await s.callback({ ...frontResponse(s, tx, code, { iss: s.issuer }), path: '/app/cb' });
      assert.equal(again.error, 'invalid_state', again.error_description);
      assert.equal(s.provider.tokenPosts.length, 1, 'the code was sent twice');
      assert.equal((await s.snapshot()).token, good.accessToken);
    } finally {
      // Cookies are per host, not per port: other tests' providers are on 127.0.0.1 too.
      await s.context.clearCookies();
    }
  }));

  // A code flow's callback page, loaded with the response in its query and `after` behind it:
  // the page starts the JWKS request as it loads, and the callback exchanges the code once,
  // taking that request over.
  async function exchangeOnLanding(s, after) {
    await s.create({ authorizationParams: { response_type: 'code' } });
    const tx = await s.login();
    const good = tokenAnswer(s, tx);
    s.provider.config.token = () => ({ body: good.body });
    const { query } = frontResponse(s, tx, newCode());
    await s.goto(`/?${query}${after}`);
    await s.requestsBeyond('/jwks', 0);
    assert.equal(s.provider.count('/jwks'), 1, 'the page did not start the JWKS request as it loaded');
    await s.create({ authorizationParams: { response_type: 'code' } });
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(s.provider.tokenPosts.length, 1);
    assert.equal(s.provider.count('/jwks'), 1, 'the code exchange asked for the keys again');
    assert.equal((await s.snapshot()).claims.__raw, good.idToken);
  }

  test('code exchange on the page the provider sends back to: the keys are asked for once, as the page loads, beside the token request', () => withSession(async (s) => {
    await exchangeOnLanding(s, '');
    assert.equal(s.provider.count('/.well-known/openid-configuration'), 1, 'the callback page asked for discovery again');
  }));

  test('code exchange: a fragment that is no response (a hash router\'s #/) does not hide the code in the query', () => withSession(async (s) => {
    await exchangeOnLanding(s, '#/');
  }));

  // --- The front-channel response: refused before the code goes anywhere ----------------------

  test('code response: another iss, an injected token, a code in the fragment, a repeated or missing code are invalid_response and nothing is POSTed', () => withSession(async (s) => {
    await s.create(CODE);
    await establishCode(s);
    const cases = [
      ['another iss', (tx) => frontResponse(s, tx, newCode(), { iss: 'https://evil.example' }), /iss/],
      ['the issuer with a trailing slash as iss', (tx) => frontResponse(s, tx, newCode(), { iss: `${s.issuer}/` }), /iss/],
      ['an access_token injected', (tx) => ({ query: `${frontResponse(s, tx, newCode()).query}&access_token=injected&token_type=Bearer` }), /token/, 'decode'],
      ['an id_token injected', (tx) => ({ query: `${frontResponse(s, tx, newCode()).query}&id_token=${s.mint(tx).idToken}` }), /token/, 'decode'],
      ['the code in the fragment, the query asked for', (tx) => ({ fragment: frontResponse(s, tx, newCode()).query }), undefined],
      ['a repeated code', (tx) => ({ query: `code=one&code=two&state=${tx.state}` }), /code/, 'decode'],
      ['the same code twice', (tx) => ({ query: `code=one&code=one&state=${tx.state}` }), /code/, 'decode'],
      ['no code', (tx) => ({ query: `state=${tx.state}` }), /code/],
    ];
    // 'decode': tokens in the query and a repeated parameter are refused while the response is
    // read, before its state is (as for the implicit flow); the harness then checks that the
    // transaction was used up all the same.
    for (const [label, input, description, stage] of cases) {
      const tx = await s.login();
      await rejectedBeforeExchange(s, label, tx, input(tx), { error: 'invalid_response', description, stage });
    }
  }));

  test('code response: without iss where discovery promises it, invalid_response and nothing is POSTed; with the issuer, or an ID token, accepted', () => withSession(async (s) => {
    s.provider.config.issParameterSupported = true;
    await s.create(CODE);
    await establishCode(s, { iss: s.issuer }); // the issuer's iss: accepted
    const tx = await s.login();
    await rejectedBeforeExchange(s, 'no iss', tx, frontResponse(s, tx, newCode()), { error: 'invalid_response', description: /iss/ });
    // A hybrid response carries an ID token, which names the issuer: iss may be left out.
    await s.create(HYBRID, { name: 'hybrid' });
    const htx = await s.login({ name: 'hybrid' });
    const good = tokenAnswer(s, htx);
    s.provider.config.token = () => ({ body: good.body });
    const r = await s.callback(frontResponse(s, htx, newCode()), { name: 'hybrid' });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot('hybrid')).token, good.accessToken);
  }));

  // --- The token endpoint's answers -----------------------------------------------------------

  test("token endpoint: an error body, HTTP 500, non-JSON, duplicate keys, no id_token, a bad ID token: the right code, nothing stored", () => withSession(async (s) => {
    await s.create(CODE);
    await establishCode(s);
    const cases = [
      ['an error body', () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'the code was already used' } }),
        { error: 'invalid_grant', description: /^the code was already used$/ }],
      ['mfa_required, with what the MFA API needs (Auth0)', () => ({ status: 403, body: { error: 'mfa_required', error_description: 'Multifactor authentication required', mfa_token: 'mfa-token-1', mfa_requirements: { challenge: [{ type: 'otp' }] } } }),
        { error: 'mfa_required', description: /^Multifactor authentication required$/, carries: { mfa_token: 'mfa-token-1', mfa_requirements: { challenge: [{ type: 'otp' }] } } }],
      ['HTTP 500 with HTML', () => ({ status: 500, type: 'text/html', body: '<!doctype html><h1>Internal Server Error</h1>' }),
        { error: 'network_error' }],
      ['HTTP 200, not JSON (no token endpoint answered: a proxy, say)', () => ({ status: 200, type: 'text/html', body: '<!doctype html><p>hello' }),
        { error: 'network_error' }],
      ['HTTP 200, a JSON array', () => ({ body: '[]' }), { error: 'invalid_response' }],
      ['duplicate keys', (tx) => {
        const { body } = tokenAnswer(s, tx);
        const text = JSON.stringify(body);
        return { body: `{"access_token":"another-token",${text.slice(1)}` };
      }, { error: 'invalid_response' }],
      ['no id_token though openid was asked for', (tx) => ({ body: { ...tokenAnswer(s, tx).body, id_token: undefined } }),
        { error: 'invalid_response', description: /id_token/ }],
      ['token_type not Bearer', (tx) => ({ body: { ...tokenAnswer(s, tx).body, token_type: 'mac' } }),
        { error: 'invalid_response', description: /token_type/ }],
      ['expires_in 0', (tx) => ({ body: { ...tokenAnswer(s, tx).body, expires_in: 0 } }),
        { error: 'invalid_response', description: /expires_in/ }],
      ['expires_in not an integer', (tx) => ({ body: { ...tokenAnswer(s, tx).body, expires_in: 3600.5 } }),
        { error: 'invalid_response', description: /expires_in/ }],
      ['an ID token whose at_hash is of another access token', (tx) => ({ body: tokenAnswer(s, tx, { claims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } }).body }),
        { error: 'invalid_id_token', description: /at_hash/ }],
      ['an ID token with another nonce', (tx) => ({ body: tokenAnswer(s, tx, { claims: { nonce: 'another-nonce' } }).body }),
        { error: 'invalid_id_token', description: /nonce/ }],
      ['an ID token with a bad signature', (tx) => ({ body: tokenAnswer(s, tx, { mint: { signWith: 'rsa-b', kid: 'rsa-a' } }).body }),
        { error: 'invalid_id_token', description: /signature/ }],
    ];
    for (const [label, answer, expect] of cases) {
      const tx = await s.login();
      const posts = s.provider.tokenPosts.length;
      s.provider.config.token = () => answer(tx);
      try {
        const r = await s.callback(frontResponse(s, tx, newCode()));
        assert.equal(s.provider.tokenPosts.length, posts + 1, 'the code was not exchanged');
        await s.expectRejected(r, tx, expect);
        for (const [name, value] of Object.entries(expect.carries ?? {})) assert.deepEqual(r[name], value, `the error's ${name}`);
        assertNoCodeInAddressBar(r.href);
        assert.equal(s.provider.tokenPosts.length, posts + 1, 'the same response again sent the code again');
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
  }));

  // --- The hybrid flow ------------------------------------------------------------------------

  test("hybrid: the code is exchanged once its c_hash checks; a missing or wrong c_hash is invalid_id_token and nothing is POSTed", () => withSession(async (s) => {
    await s.create(HYBRID);
    await establishCode(s);
    const first = s.provider.tokenPosts.at(-1);
    assert.equal(first.form.code, 'first-code');
    const cases = [
      ['no c_hash', { c_hash: undefined }],
      ["another code's c_hash", { c_hash: cHash('another-code') }],
      ['the full hash, not its left half', { c_hash: b64u(sha256('the-code')) }],
    ];
    for (const [label, claims] of cases) {
      const tx = await s.login();
      assert.equal(tx.params.response_type, 'code id_token');
      await rejectedBeforeExchange(s, label, tx, frontResponse(s, tx, 'the-code', { claims }),
        { error: 'invalid_id_token', description: /c_hash/ });
    }
  }));

  // --- Refresh tokens -------------------------------------------------------------------------

  /**
   * A provider that rotates refresh tokens: answer i carries access token at-i and refresh
   * token rt-i (expires_in 600), with an ID token for `tx` (its nonce only at the code
   * exchange, as OIDC Core 12.2 has it).
   */
  function rotatingProvider(s, tx) {
    let issued = 0;
    s.provider.config.token = (post) => {
      issued += 1;
      const exchange = post.form.grant_type === 'authorization_code';
      const { body } = tokenAnswer(s, tx, {
        accessToken: `at-${issued}`,
        claims: exchange ? {} : { nonce: undefined },
        extra: { refresh_token: `rt-${issued}`, expires_in: 600 },
      });
      return { body };
    };
  }

  async function refreshLogin(s, options = {}) {
    await s.create({ ...CODE, useRefreshTokens: true, ...options });
    const tx = await s.login();
    assert.ok(tx.params.scope.split(' ').includes('offline_access'), `offline_access is asked for: ${tx.params.scope}`);
    rotatingProvider(s, tx);
    const r = await s.callback(frontResponse(s, tx, newCode()));
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot()).token, 'at-1');
    return tx;
  }

  test('refresh tokens: renewal POSTs grant_type=refresh_token with the latest (rotated) refresh token', () => withSession(async (s) => {
    await refreshLogin(s, { cacheLocation: 'localstorage' });
    for (const [n, skew] of [[2, 700], [3, 1400]]) {
      await s.setClock({ skew: skew * 1000 }); // past the access token's 600 s and the leeway
      const r = await s.eval(() => window.T.renew('main'));
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      assert.equal(r.value, `at-${n}`);
      assert.equal(r.iframes, 0);
      const post = s.provider.tokenPosts.at(-1);
      assert.equal(post.form.grant_type, 'refresh_token');
      assert.equal(post.form.refresh_token, `rt-${n - 1}`, 'the latest refresh token');
      assert.equal(post.form.client_id, CLIENT_ID);
      assert.equal(post.pairs.filter(([k]) => k === 'refresh_token').length, 1);
      assert.equal(mediaType(post.contentType), FORM);
      assert.equal(post.cookie, undefined);
      const stored = JSON.stringify((await s.snapshot()).storage.local);
      assert.ok(stored.includes(`rt-${n}`), 'the rotated refresh token is stored');
      assert.ok(!stored.includes(`"rt-${n - 1}"`), 'the old refresh token is replaced');
    }
    assert.deepEqual(s.provider.tokenPosts.map((p) => p.form.refresh_token), [undefined, 'rt-1', 'rt-2'],
      'each refresh token is sent once');
    assert.equal(s.provider.count('/authorize'), 0, 'no hidden iframe');
  }));

  test('refresh tokens: invalid_grant rejects with invalid_grant and drops the refresh token; then missing_refresh_token with no POST', () => withSession(async (s) => {
    await refreshLogin(s, { cacheLocation: 'localstorage' });
    assert.ok(JSON.stringify((await s.snapshot()).storage.local).includes('rt-1'));
    s.provider.config.token = () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'refresh token revoked' } });
    await s.setClock({ skew: 700_000 });
    const r = await s.eval(() => window.T.renew('main'));
    assert.equal(r.ok, false, 'the renewal succeeded');
    assert.equal(r.isAuthError, true);
    assert.equal(r.error, 'invalid_grant', r.error_description);
    assert.match(r.error_description, /refresh token revoked/);
    assert.equal(s.provider.tokenPosts.length, 2);
    assert.equal(s.provider.tokenPosts[1].form.refresh_token, 'rt-1');
    assert.ok(!JSON.stringify((await s.snapshot()).storage.local).includes('rt-1'), 'the refused refresh token is kept');
    const again = await s.eval(() => window.T.renew('main'));
    assert.equal(again.ok, false);
    assert.equal(again.error, 'missing_refresh_token', again.error_description);
    assert.equal(again.name, 'MissingRefreshTokenError');
    // Which token, as auth0-spa-js says it.
    assert.deepEqual([again.audience, again.scope], ['default', 'openid profile email offline_access']);
    assert.equal(s.provider.tokenPosts.length, 2, 'a POST without a refresh token to send');
    assert.equal(again.iframes, 0);
    assert.equal(s.provider.count('/authorize'), 0, 'no hidden iframe without useRefreshTokensFallback');
    s.assertNoPageErrors(await s.snapshot());
  }));

  test('refresh tokens: with useRefreshTokensFallback, invalid_grant falls back to the hidden iframe (prompt=none)', () => withSession(async (s) => {
    await refreshLogin(s, { useRefreshTokensFallback: true });
    s.provider.config.token = () => ({ status: 400, body: { error: 'invalid_grant' } });
    // The provider's session is gone too: the iframe comes back with login_required, in the
    // query as the code flow asks.
    s.provider.config.authorize = (params) => ({
      redirect: `${params.get('redirect_uri')}?error=login_required&state=${enc(params.get('state'))}`,
    });
    await s.setClock({ skew: 700_000 });
    const r = await s.eval(() => window.T.renew('main'));
    assert.equal(r.ok, false, 'the renewal succeeded');
    assert.equal(r.error, 'login_required', `the iframe's answer, not the refresh token's: ${r.error_description}`);
    assert.equal(s.provider.tokenPosts.at(-1).form.grant_type, 'refresh_token', 'the refresh token was tried first');
    const frame = s.provider.requests.filter((q) => q.path === '/authorize');
    assert.equal(frame.length, 1, 'one hidden iframe request');
    assert.equal(new URLSearchParams(frame[0].query).get('prompt'), 'none');
    assert.equal(r.iframes, 0, 'the iframe is removed');
  }));

  test('refresh tokens: logout POSTs the refresh token to the revocation endpoint; a client without one revokes nothing', () => withSession(async (s) => {
    await refreshLogin(s);
    const r = await s.eval(() => window.T.logout('main', { openUrl: false }));
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(s.provider.revocations.length, 1, 'one revocation');
    const post = s.provider.revocations[0];
    assert.equal(post.path, '/revoke');
    assert.deepEqual(post.form, { token: 'rt-1', token_type_hint: 'refresh_token', client_id: CLIENT_ID });
    assert.equal(post.pairs.length, 3);
    assert.equal(mediaType(post.contentType), FORM);
    assert.equal(post.cookie, undefined);
    assert.equal((await s.snapshot()).isAuthenticated, false);

    // A code client without useRefreshTokens holds no refresh token: nothing to revoke.
    await s.create(CODE, { name: 'plain' });
    const tx = await s.login({ name: 'plain' });
    rotatingProvider(s, tx);
    const login = await s.callback(frontResponse(s, tx, newCode()), { name: 'plain' });
    assert.equal(login.ok, true, `${login.error}: ${login.error_description}`);
    const out = await s.eval(() => window.T.logout('plain', { openUrl: false }));
    assert.equal(out.ok, true);
    assert.equal(s.provider.revocations.length, 1, 'a revocation without a refresh token');
  }));
});
