// docs/CONFORMANCE.md, "The response (fragment)": decoding, repeated parameters, size limits, state,
// error responses, where the tokens are, token_type, expires_in, iss, validation before
// storage and the address bar.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CONCURRENCY, assertCleanAddressBar, rejects, rejectsEach, withSession } from '../harness.mjs';

const enc = encodeURIComponent;
const escape = (text) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const decode = { stage: 'decode' };

describe('The response (fragment)', { concurrency: CONCURRENCY }, () => {
  // --- Decoding as application/x-www-form-urlencoded into a map -------------------------------

  test('fragment: + is a space', () => withSession(async (s) => {
    await s.create({ authorizationParams: { scope: 'openid profile' } });
    // The granted scope 'openid+profile' must be read as 'openid profile': only then does the
    // cached token answer a request for the scopes openid and profile.
    const tx = await s.login();
    const m = s.mint(tx, { scope: 'PLACEHOLDER' });
    const r = await s.callback(m.fragment.replace('scope=PLACEHOLDER', 'scope=openid+profile'));
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot()).token, m.accessToken);
    const only = await s.eval(() => window.T.getAccessToken('main', {
      cacheMode: 'cache-only', authorizationParams: { scope: 'profile' },
    }));
    assert.equal(only.value, m.accessToken);
    // And in an error description.
    const tx2 = await s.login();
    const e = await s.callback(`error=access_denied&error_description=the+user+said+no&state=${tx2.state}`);
    assert.equal(e.error, 'access_denied');
    assert.equal(e.error_description, 'the user said no');
  }));

  test('fragment: %2B is +', () => withSession(async (s) => {
    const tx = await s.login();
    const token = 'abc+def/ghi+jkl==';
    const m = s.mint(tx, { accessToken: token });
    assert.ok(m.fragment.includes('access_token=abc%2Bdef%2Fghi%2Bjkl%3D%3D'));
    const r = await s.callback(m.fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot()).token, token, 'the access token, with its + signs');
    const tx2 = await s.login();
    const e = await s.callback(`error=access_denied&error_description=1%2B1+is+2&state=${tx2.state}`);
    assert.equal(e.error_description, '1+1 is 2');
  }));

  test('fragment: a malformed percent sequence is invalid_response', rejectsEach({
    expect: { error: 'invalid_response', description: /percent/, ...decode },
    cases: [
      ['lone % in an unknown parameter', (tx, s) => s.mint(tx, { extra: 'x=%' }).fragment],
      ['%2 at the end', (tx, s) => s.mint(tx, { extra: 'x=%2' }).fragment],
      ['%G1 in the access token', (tx, s) => s.mint(tx).fragment.replace('access_token=', 'access_token=%G1')],
      ['%x2 in the state', (tx, s) => s.mint(tx).fragment.replace(`state=${tx.state}`, `state=%x2${tx.state}`)],
      ['%%41 in a parameter name', (tx, s) => s.mint(tx, { extra: 'a%%41=1' }).fragment],
    ],
  }));

  test('fragment: invalid UTF-8 is invalid_response', rejectsEach({
    expect: { error: 'invalid_response', description: /UTF-8/, ...decode },
    cases: [
      ['%FF', (tx, s) => s.mint(tx, { extra: 'x=%FF' }).fragment],
      ['%C3%28 (a broken sequence)', (tx, s) => s.mint(tx, { extra: 'x=%C3%28' }).fragment],
      ['%C0%AF (overlong)', (tx, s) => s.mint(tx, { extra: 'x=%C0%AF' }).fragment],
      ['%ED%A0%80 (a surrogate)', (tx, s) => s.mint(tx, { extra: 'x=%ED%A0%80' }).fragment],
      ['%F4%90%80%80 (beyond U+10FFFF)', (tx, s) => s.mint(tx, { extra: 'x=%F4%90%80%80' }).fragment],
      ['%E2%82 (truncated) in the error description', (tx) => `error=access_denied&error_description=%E2%82&state=${tx.state}`],
    ],
  }));

  test('fragment: __proto__, constructor and other unknown parameters are ignored', () => withSession(async (s) => {
    const tx = await s.login();
    const extra = ['__proto__=x', '__proto__=y', 'constructor=z', '__proto__%5Bpolluted%5D=1',
      'constructor%5Bprototype%5D%5Bpolluted%5D=1', 'toString=1', 'hasOwnProperty=2', 'valueOf=3',
      'session_state=abc', 'foo=bar', 'foo=baz', '=novalue', 'noequals'].join('&');
    const m = s.mint(tx, { extra, prefix: '__proto__=first' });
    const r = await s.callback(m.fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.deepEqual(r.value.appState, tx.appState);
    const snap = await s.snapshot();
    assert.equal(snap.claims.__raw, m.idToken);
    assert.equal(snap.token, m.accessToken);
    assert.equal(await s.eval(() => ({}).polluted ?? Object.prototype.polluted ?? null), null);
    assertCleanAddressBar(r.href);
  }));

  for (const name of ['state', 'id_token', 'access_token', 'token_type', 'expires_in', 'error']) {
    test(`fragment: a repeated ${name} parameter is invalid_response`, rejects({
      bad: (tx, s) => {
        if (name === 'error') return `error=access_denied&error=access_denied&state=${tx.state}`;
        const m = s.mint(tx);
        const pair = m.fragment.split('&').find((p) => p.startsWith(`${name}=`));
        return `${m.fragment}&${pair}`; // the same value again: still a repeat
      },
      expect: { error: 'invalid_response', description: new RegExp(`\\b${name}\\b`), ...decode },
    }));
  }

  test('fragment: a response over 64 KiB is invalid_response', rejects({
    bad: (tx, s) => {
      const f = s.mint(tx).fragment + '&pad=';
      return f + 'a'.repeat(64 * 1024 + 1 - f.length);
    },
    expect: { error: 'invalid_response', description: /larger|bytes|size/, ...decode },
  }));

  test('fragment: a response of exactly 64 KiB is read', () => withSession(async (s) => {
    const tx = await s.login();
    const f = s.mint(tx).fragment + '&pad=';
    const fragment = f + 'a'.repeat(64 * 1024 - f.length);
    assert.equal(fragment.length, 65536);
    const r = await s.callback(fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
  }));

  test('fragment: a response with over 100 parameters is invalid_response', rejects({
    bad: (tx, s) => {
      const f = s.mint(tx).fragment;
      const n = f.split('&').length;
      return f + Array.from({ length: 101 - n }, (_, i) => `&p${i}=1`).join('');
    },
    expect: { error: 'invalid_response', description: /100 parameters|parameters/, ...decode },
  }));

  test('fragment: a response with exactly 100 parameters is read', () => withSession(async (s) => {
    const tx = await s.login();
    const f = s.mint(tx).fragment;
    const fragment = f + Array.from({ length: 100 - f.split('&').length }, (_, i) => `&p${i}=1`).join('');
    assert.equal(fragment.split('&').length, 100);
    const r = await s.callback(fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
  }));

  test('fragment: nothing panics at any size', () => withSession(async (s) => {
    await s.establish();
    const results = await s.eval(async (origin) => {
      const out = [];
      const shapes = {
        '64 KiB + 1': 'a'.repeat(64 * 1024 + 1),
        '1 MiB of a': 'a'.repeat(1 << 20),
        '16 MiB of a': 'a'.repeat(16 << 20),
        '1 MiB of %': '%'.repeat(1 << 20),
        '200k empty parameters': '&'.repeat(200_000),
        '101 empty-named parameters': '=&'.repeat(101),
        '60 KiB of %FF': '%FF'.repeat(20_000),
        'one 60 KiB state': `state=${'s'.repeat(60_000)}`,
      };
      for (const [label, fragment] of Object.entries(shapes)) {
        try {
          const c = await window.T.callback('main', { url: `${origin}/#${fragment}` });
          out.push([label, c.ok, c.isAuthError, c.error]);
        } catch (e) {
          out.push([label, 'threw', String(e)]);
        }
      }
      return out;
    }, s.pageOrigin);
    for (const [label, ok, isAuthError, code] of results) {
      assert.equal(ok, false, label);
      assert.equal(isAuthError, true, `${label}: ${code}`);
      assert.match(code, /^invalid_(response|state)$/, label);
    }
    // The module still works afterwards: the earlier session is intact and a new login succeeds.
    s.assertFirstSession(await s.snapshot());
    await s.loginOk();
    s.assertNoPageErrors(await s.snapshot());
  }));

  // --- state ------------------------------------------------------------------------------

  test('state: a response without state is invalid_state and its tokens are dropped', rejects({
    bad: (tx, s) => s.mint(tx, { state: null }).fragment,
    expect: { error: 'invalid_state', description: /state/, stage: 'state' },
  }));

  test('state: an unknown state is invalid_state and its tokens are dropped', () => withSession(async (s) => {
    await s.establish();
    const tx = await s.login();
    const unknown = randomBytes(32).toString('base64url');
    const r = await s.callback(s.mint(tx, { state: unknown }).fragment);
    await s.expectRejected(r, tx, { error: 'invalid_state', description: /state/, stage: 'state' });
    assert.equal(r.state, unknown, 'the AuthError names the response state');
    // The real transaction is still pending and completes.
    await s.callback(s.mint(tx).fragment).then((ok) => assert.equal(ok.ok, true, ok.error_description));
  }));

  test('state: an expired state is invalid_state (nowProvider)', () => withSession(async (s) => {
    await s.establish();
    const tx = await s.login();
    await s.setClock({ skew: 3601_000 });
    const r = await s.callback(s.mint(tx).fragment);
    await s.expectRejected(r, tx, { error: 'invalid_state', description: /expired/ });
  }));

  test('state: an already used state is invalid_state', () => withSession(async (s) => {
    const { tx } = await s.loginOk();
    // A new, otherwise valid, response for the transaction that was used already.
    const r = await s.callback(s.mint(tx).fragment);
    await s.expectRejected(r, tx, { error: 'invalid_state', description: /state/, stage: 'state' });
  }));

  test('state: a replayed fragment after a reload is rejected', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    const { tx, minted } = await s.loginOk();
    await s.goto('/');
    await s.create({ cacheLocation: 'localstorage' });
    const restored = await s.snapshot();
    assert.equal(restored.claims?.__raw, minted.idToken, 'the session came back from localStorage');
    const r = await s.callback(minted.fragment);
    await s.expectRejected(r, tx, { error: 'invalid_state', description: /state/, stage: 'state' });
  }));

  test('state: a replayed fragment via the back button is rejected', () => withSession(async (s) => {
    const tx = await s.login();
    const m = s.mint(tx);
    // The provider sends the browser to the callback page: a new document, same tab.
    await s.goto(`/?landing=1#${m.fragment}`);
    await s.create();
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(r.href, `${s.pageOrigin}/?landing=1`);
    await s.page.goBack();
    await s.page.goForward();
    await s.page.waitForFunction(() => window.ready === true);
    assert.equal(new URL(s.page.url()).hash, '', 'the history entry kept the response');
    // The response itself, replayed in that page.
    await s.create();
    const again = await s.callback(m.fragment);
    await s.expectRejected(again, tx, { error: 'invalid_state', description: /state/, stage: 'state' });
  }));

  test('discovery: the callback page checks the response with the document its login read', () => withSession(async (s) => {
    const tx = await s.login();
    assert.equal(s.provider.count('/.well-known/openid-configuration'), 1);
    const m = s.mint(tx);
    await s.goto(`/?landing=1#${m.fragment}`);
    await s.create();
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(s.provider.count('/.well-known/openid-configuration'), 1, 'the callback page asked for discovery again');
    assert.equal(s.provider.count('/jwks'), 1, 'the keys asked for once: the request the page started as it loaded was taken over');
    const snap = await s.snapshot();
    assert.equal(snap.claims?.__raw, m.idToken);
    assert.deepEqual(snap.storage.session, {}, 'the transaction, with its document, is gone');
    s.assertNoPageErrors(snap);
  }));

  test('prefetch: the callback page asks for the keys as the package loads, before any client exists', () => withSession(async (s) => {
    const tx = await s.login();
    assert.equal(s.provider.count('/jwks'), 0);
    const m = s.mint(tx);
    await s.goto(`/?landing=1#${m.fragment}`);
    await s.requestsBeyond('/jwks', 0);
    assert.equal(s.provider.count('/jwks'), 1, 'the page did not start the JWKS request');
    assert.equal(await s.eval(() => location.hash.includes('access_token')), true, 'no client has touched the address yet');
    await s.create();
    const r = await s.callback({ asIs: true });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(s.provider.count('/jwks'), 1, 'the callback fetched the keys again');
    // A request the page started that failed is not what the callback gets: it asks again.
    const tx2 = await s.login();
    s.provider.config.jwksStatus = 500;
    await s.goto(`/?landing=2#${s.mint(tx2).fragment}`); // a new document, not a new fragment
    await s.requestsBeyond('/jwks', 1);
    assert.equal(s.provider.count('/jwks'), 2, 'the page did not start the JWKS request');
    await new Promise((r) => setTimeout(r, 100)); // its answer, a 500, arrives
    s.provider.config.jwksStatus = 200;
    await s.create();
    const r2 = await s.callback({ asIs: true });
    assert.equal(r2.ok, true, `${r2.error}: ${r2.error_description}`);
    assert.equal(s.provider.count('/jwks'), 3);
    // A page whose address names no transaction of this tab starts nothing.
    await s.goto(`/?landing=3#state=unknown&access_token=x`);
    assert.equal(await s.eval(() => performance.getEntriesByType('navigation').length), 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.provider.count('/jwks'), 3);
  }));

  // --- Error responses ----------------------------------------------------------------------

  test('error response: with a matching state, the provider code and description', rejectsEach({
    cases: ['access_denied', 'login_required', 'consent_required', 'interaction_required', 'temporarily_unavailable']
      .map((code) => [code, (tx) => `error=${code}&error_description=${enc(`why: ${code}`)}&state=${tx.state}`,
        { error: code, description: escape(`why: ${code}`) }]),
  }));

  test('error response: the description is text only', () => withSession(async (s) => {
    await s.establish();
    const body = await s.eval(() => document.body.innerHTML);
    const tx = await s.login();
    const text = '<img src="/html-was-parsed"> & <b>bold</b> "quoted"';
    const r = await s.callback(`error=access_denied&error_description=${enc(`${text}\u0007\u0000\n`)}&state=${tx.state}`);
    await s.expectRejected(r, tx, { error: 'access_denied', description: escape(text) });
    assert.ok(r.error_description.startsWith(text), r.error_description);
    assert.doesNotMatch(r.error_description, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/, 'control characters in the description');
    assert.equal(await s.eval(() => document.body.innerHTML), body, 'the page was changed');
    assert.equal(s.provider.count('/html-was-parsed'), 0, 'the description was parsed as HTML');
  }));

  test('error response: error_uri is never followed', () => withSession(async (s) => {
    await s.establish();
    const tx = await s.login();
    const uri = `${s.provider.origin}/error-uri-was-followed`;
    const r = await s.callback(`error=access_denied&error_uri=${enc(uri)}&state=${tx.state}`);
    await s.expectRejected(r, tx, { error: 'access_denied', description: /.?/ });
    await s.page.waitForLoadState('networkidle');
    assert.equal(s.provider.count('/error-uri-was-followed'), 0, 'error_uri was fetched or opened');
    assert.equal(s.page.url(), `${s.pageOrigin}/`);
  }));

  test('error response: without a state is invalid_state', rejects({
    bad: () => 'error=access_denied&error_description=denied',
    expect: { error: 'invalid_state', description: /state/, stage: 'state' },
  }));

  test('error response: with an unknown state is invalid_state', rejects({
    bad: () => `error=access_denied&error_description=denied&state=${randomBytes(32).toString('base64url')}`,
    expect: { error: 'invalid_state', description: /state/, stage: 'state' },
  }));

  test('error response: an error code with characters RFC 6749 forbids is invalid_response', rejects({
    bad: (tx) => `error=${enc('"quoted\\"')}&state=${tx.state}`,
    expect: { error: 'invalid_response', description: /error code|RFC 6749/ },
  }));

  test('error response: in the query of the callback (some providers), read and removed', () => withSession(async (s) => {
    await s.establish();
    const tx = await s.login();
    const r = await s.callback({ query: `lang=fr&error=access_denied&error_description=no&state=${tx.state}` });
    await s.expectRejected(r, tx, { error: 'access_denied', description: /no/ });
    assert.equal(r.href, `${s.pageOrigin}/?lang=fr`);
  }));

  // --- Where the tokens are -----------------------------------------------------------------

  test('tokens in the query instead of the fragment are invalid_response', rejectsEach({
    expect: { error: 'invalid_response', description: /query/, ...decode },
    cases: [
      ['the whole response in the query (URL argument)', (tx, s) => ({ url: `${s.pageOrigin}/?${s.mint(tx).fragment}` })],
      ['an access token in the query, the rest in the fragment (URL argument)', (tx, s) => {
        const m = s.mint(tx);
        return { url: `${s.pageOrigin}/?access_token=${m.accessToken}#${m.fragment}` };
      }],
      ['an id_token in the query (URL argument)', (tx, s) => ({ url: `${s.pageOrigin}/?id_token=${s.mint(tx).idToken}&state=${tx.state}` })],
    ],
  }));

  test('tokens in the query of the address bar are invalid_response, and taken out of it', rejects({
    bad: (tx, s) => ({ query: s.mint(tx).fragment }),
    expect: { error: 'invalid_response', description: /query/, ...decode },
  }));

  test('tokens missing: id_token token without the access_token is invalid_response', rejects({
    bad: (tx, s) => s.mint(tx, { include: { access_token: false } }).fragment,
    expect: { error: 'invalid_response', description: /access_token/ },
  }));

  test('tokens missing: id_token token without the id_token is invalid_response', rejects({
    bad: (tx, s) => s.mint(tx, { include: { id_token: false } }).fragment,
    expect: { error: 'invalid_response', description: /id_token/ },
  }));

  test('tokens missing: id_token without the id_token is invalid_response', rejects({
    client: { authorizationParams: { response_type: 'id_token' } },
    bad: (tx) => `state=${tx.state}`,
    expect: { error: 'invalid_response', description: /id_token/ },
  }));

  test('tokens missing: token without the access_token is invalid_response', rejects({
    client: { authorizationParams: { response_type: 'token' } },
    bad: (tx) => `token_type=Bearer&expires_in=3600&state=${tx.state}`,
    expect: { error: 'invalid_response', description: /access_token/ },
  }));

  test('an access_token when only id_token was asked for is invalid_response', rejects({
    client: { authorizationParams: { response_type: 'id_token' } },
    bad: (tx, s) => s.mint(tx, { include: { access_token: true } }).fragment,
    expect: { error: 'invalid_response', description: /access_token/ },
  }));

  test('an id_token when only token was asked for is invalid_response', rejects({
    client: { authorizationParams: { response_type: 'token' } },
    bad: (tx, s) => s.mint(tx, { include: { id_token: true } }).fragment,
    expect: { error: 'invalid_response', description: /id_token/ },
  }));

  // --- token_type ---------------------------------------------------------------------------

  test('token_type: missing is invalid_response', rejects({
    bad: (tx, s) => s.mint(tx, { omit: ['token_type'] }).fragment,
    expect: { error: 'invalid_response', description: /token_type/ },
  }));

  test('token_type: anything but Bearer is invalid_response', rejectsEach({
    expect: { error: 'invalid_response', description: /token_type|Bearer/ },
    cases: ['mac', 'DPoP', 'Bearer ', ' Bearer', '', 'Bearer\u0000', 'Bearerx', 'Basic'].map((t) => [
      JSON.stringify(t), (tx, s) => s.mint(tx, { tokenType: t }).fragment,
    ]),
  }));

  test('token_type: Bearer in any case is accepted', () => withSession(async (s) => {
    for (const t of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const tx = await s.login();
      const m = s.mint(tx, { tokenType: t });
      const r = await s.callback(m.fragment);
      assert.equal(r.ok, true, `${t}: ${r.error}: ${r.error_description}`);
      assert.equal((await s.snapshot()).token, m.accessToken);
    }
  }));

  // --- expires_in ---------------------------------------------------------------------------

  for (const value of ['0', '-1', 'abc', '1e3', '3600.5', ' 3600', '+3600', '12345678901234567890']) {
    test(`expires_in: ${JSON.stringify(value)} is invalid_response`, rejects({
      bad: (tx, s) => s.mint(tx, { expiresIn: value }).fragment,
      expect: { error: 'invalid_response', description: /expires_in/ },
    }));
  }

  test('expires_in: absent means a finite default lifetime', () => withSession(async (s) => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    await s.setClock({ fixed: t0 });
    const tx = await s.login();
    const m = s.mint(tx, { expiresIn: null, claims: { exp: t0 / 1000 + 400 * 86400 } });
    assert.ok(!m.fragment.includes('expires_in'));
    const r = await s.callback(m.fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot()).token, m.accessToken, 'the token is cached');
    await s.setClock({ fixed: t0 + 60_000 });
    assert.equal((await s.snapshot()).token, m.accessToken, 'the token is cached a minute later');
    await s.setClock({ fixed: t0 + 366 * 86400_000 });
    assert.equal((await s.snapshot()).token, undefined, 'the token never expires');
  }));

  test('expires_in: a plain positive integer is accepted and sets the lifetime', () => withSession(async (s) => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    await s.setClock({ fixed: t0 });
    const tx = await s.login();
    const m = s.mint(tx, { expiresIn: '120' });
    const r = await s.callback(m.fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    // 120 s minus the 60 s leeway.
    await s.setClock({ fixed: t0 + 59_000 });
    assert.equal((await s.snapshot()).token, m.accessToken);
    await s.setClock({ fixed: t0 + 61_000 });
    assert.equal((await s.snapshot()).token, undefined);
    for (const value of ['1', '3600', '86400']) {
      const t = await s.login();
      const ok = await s.callback(s.mint(t, { expiresIn: value }).fragment);
      assert.equal(ok.ok, true, `${value}: ${ok.error_description}`);
    }
  }));

  // --- iss (RFC 9207) -----------------------------------------------------------------------

  test('iss parameter: equal to the issuer is accepted', () => withSession(async (s) => {
    const tx = await s.login();
    const r = await s.callback(s.mint(tx, { iss: s.issuer }).fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
  }));

  test('iss parameter: any other value is invalid_response', rejectsEach({
    expect: { error: 'invalid_response', description: /iss/ },
    cases: [
      ['with a trailing slash', (tx, s) => s.mint(tx, { iss: `${s.issuer}/` }).fragment],
      ['another issuer', (tx, s) => s.mint(tx, { iss: 'https://evil.example' }).fragment],
      ['another case', (tx, s) => s.mint(tx, { iss: s.issuer.toUpperCase() }).fragment],
      ['empty', (tx, s) => s.mint(tx).fragment + '&iss='],
    ],
  }));

  // --- Validated before stored; the address bar ---------------------------------------------

  test('validated before stored: a failure at the last check leaves localStorage byte for byte', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.establish();
    const stored = (await s.eval(() => window.T.storage())).local;
    assert.equal(Object.keys(stored).length, 1);
    const tx = await s.login();
    // Everything right except at_hash, the last check before storing.
    const r = await s.callback(s.mint(tx, { claims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } }).fragment);
    await s.expectRejected(r, tx, { error: 'invalid_id_token', description: /at_hash/ });
    assert.deepEqual((await s.eval(() => window.T.storage())).local, stored);
  }));

  test('address bar: on success the response is removed with replaceState; other query parameters stay', () => withSession(async (s) => {
    await s.create({ authorizationParams: { redirect_uri: `${s.pageOrigin}/app/cb` } });
    const tx = await s.login();
    const r = await s.callback({ path: '/app/cb', query: 'lang=fr&x=1', fragment: s.mint(tx).fragment });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(r.href, `${s.pageOrigin}/app/cb?lang=fr&x=1`);
    assert.equal(r.historyLength, r.before.historyLength, 'pushState instead of replaceState');
  }));

  test("address bar: the history entry's state stays (an app's router keeps its own there), on success and on failure", () => withSession(async (s) => {
    const routerState = { back: '/', current: '/app/cb', position: 3, scroll: null };
    await s.create({ authorizationParams: { redirect_uri: `${s.pageOrigin}/app/cb` } });
    const tx = await s.login();
    const r = await s.callback({ path: '/app/cb', fragment: s.mint(tx).fragment, historyState: routerState });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(r.href, `${s.pageOrigin}/app/cb`);
    assert.deepEqual(r.historyState, routerState);
    const failing = await s.login();
    const f = await s.callback({ path: '/app/cb', fragment: s.mint(failing, { claims: { nonce: 'x' } }).fragment, historyState: routerState });
    assert.equal(f.error, 'invalid_id_token');
    assert.equal(f.href, `${s.pageOrigin}/app/cb`);
    assert.deepEqual(f.historyState, routerState);
  }));

  test('address bar: on failure the response is removed too', () => withSession(async (s) => {
    await s.create({ authorizationParams: { redirect_uri: `${s.pageOrigin}/app/cb` } });
    await s.establish();
    const tx = await s.login();
    const r = await s.callback({ path: '/app/cb', query: 'lang=fr', fragment: s.mint(tx, { claims: { nonce: 'x' } }).fragment });
    await s.expectRejected(r, tx, { error: 'invalid_id_token', description: /nonce/ });
    assert.equal(r.href, `${s.pageOrigin}/app/cb?lang=fr`);
  }));

  test('address bar: a URL passed as the argument leaves the address bar alone', () => withSession(async (s) => {
    await s.eval(() => history.replaceState(null, '', '/somewhere?keep=1#keep'));
    const tx = await s.login();
    const r = await s.callback({ url: `${s.pageOrigin}/#${s.mint(tx).fragment}` });
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal(r.href, `${s.pageOrigin}/somewhere?keep=1#keep`);
  }));
});
