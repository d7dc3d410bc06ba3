// docs/CONFORMANCE.md, "The request": scope, redirect_uri, state and nonce; transactions; appState.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONCURRENCY, nestedArrays, withSession } from '../harness.mjs';

const B64URL = /^[A-Za-z0-9_-]+$/;
const bytes = (b64u) => [...Buffer.from(b64u, 'base64url')];

describe('The request', { concurrency: CONCURRENCY }, () => {
  test('request: scope contains openid whenever an ID token is asked for', () => withSession(async (s) => {
    for (const response_type of ['id_token token', 'id_token']) {
      await s.create({ authorizationParams: { response_type, scope: 'profile email' } }, { name: response_type });
      const tx = await s.login({ name: response_type });
      assert.deepEqual(tx.params.scope.split(' ').sort(), ['email', 'openid', 'profile'], response_type);
      const override = await s.login({ name: response_type, authorizationParams: { scope: 'email' } });
      assert.deepEqual(override.params.scope.split(' ').sort(), ['email', 'openid'], `${response_type}, per call`);
      const empty = await s.login({ name: response_type, authorizationParams: { scope: '' } });
      assert.equal(empty.params.scope, 'openid', `${response_type}, empty scope`);
    }
    // The default scope has it too.
    await s.create({}, { name: 'default' });
    assert.ok((await s.login({ name: 'default' })).params.scope.split(' ').includes('openid'));
  }));

  test('request: redirect_uri is sent exactly as given', () => withSession(async (s) => {
    const exact = `${s.pageOrigin}/app/callback?x=1&y=a%20b`;
    await s.create({ authorizationParams: { redirect_uri: exact } });
    const tx = await s.login();
    assert.equal(tx.params.redirect_uri, exact);
    const perCall = `${s.pageOrigin}/app/other`;
    assert.equal((await s.login({ authorizationParams: { redirect_uri: perCall } })).params.redirect_uri, perCall);
  }));

  test('request: a redirect_uri with a fragment is invalid_configuration', () => withSession(async (s) => {
    const r = await s.create({ authorizationParams: { redirect_uri: `${s.pageOrigin}/#frag` } }, { raw: true });
    assert.equal(r.ok, false);
    assert.equal(r.isAuthError, true);
    assert.equal(r.error, 'invalid_configuration');
    assert.match(r.error_description, /redirect_uri/);
    await s.create();
    const before = await s.eval(() => window.T.storage());
    const l = await s.login({ raw: true, authorizationParams: { redirect_uri: `${s.pageOrigin}/#` } });
    assert.equal(l.ok, false);
    assert.equal(l.error, 'invalid_configuration');
    assert.match(l.error_description, /redirect_uri/);
    assert.equal(l.openUrlCalls, 0, 'openUrl was called');
    assert.deepEqual(await s.eval(() => window.T.storage()), before, 'a transaction was stored');
  }));

  test('request: state and nonce are base64url, at least 128 bits, and differ from each other', () => withSession(async (s) => {
    const tx = await s.login();
    for (const [name, value] of [['state', tx.state], ['nonce', tx.nonce]]) {
      assert.match(value, B64URL, `${name} is base64url`);
      assert.ok(Buffer.from(value, 'base64url').length >= 16, `${name} carries at least 128 bits`);
      assert.equal(Buffer.from(value, 'base64url').toString('base64url'), value, `${name} is canonical base64url`);
    }
    assert.notEqual(tx.state, tx.nonce);
  }));

  test('request: state and nonce are fresh per request', () => withSession(async (s) => {
    const seen = new Set();
    for (let i = 0; i < 8; i++) {
      const tx = await s.login();
      for (const v of [tx.state, tx.nonce]) {
        assert.ok(!seen.has(v), `a repeated value: ${v}`);
        seen.add(v);
      }
    }
  }));

  test('request: state and nonce come from crypto.getRandomValues', () => withSession(async (s) => {
    await s.eval(() => {
      const original = Crypto.prototype.getRandomValues;
      window.randomOut = [];
      Crypto.prototype.getRandomValues = function (array) {
        const out = original.call(this, array);
        window.randomOut.push(...new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
        return out;
      };
    });
    const tx = await s.login();
    const drawn = await s.eval(() => window.randomOut);
    const contains = (hay, needle) => {
      for (let i = 0; i + needle.length <= hay.length; i++) {
        if (needle.every((b, j) => hay[i + j] === b)) return true;
      }
      return false;
    };
    assert.ok(contains(drawn, bytes(tx.state)), 'the state bytes were not drawn from crypto.getRandomValues');
    assert.ok(contains(drawn, bytes(tx.nonce)), 'the nonce bytes were not drawn from crypto.getRandomValues');
  }));

  test('request: client_id, state and nonce cannot be set by the caller', () => withSession(async (s) => {
    await s.create();
    for (const p of ['state', 'nonce', 'client_id']) {
      const l = await s.login({ raw: true, authorizationParams: { [p]: 'chosen-by-the-app' } });
      assert.equal(l.ok, false, p);
      assert.equal(l.error, 'invalid_configuration', p);
      assert.match(l.error_description, new RegExp(p));
      assert.equal(l.openUrlCalls, 0);
    }
  }));

  test('transactions: each is stored under its own state, so two logins can be pending at once', () => withSession(async (s) => {
    const first = await s.login();
    const second = await s.login();
    const storage = await s.eval(() => window.T.storage());
    const keys = Object.keys(storage.session);
    assert.equal(keys.length, 2, `two transactions stored: ${keys}`);
    assert.ok(keys.some((k) => k.includes(first.state)) && keys.some((k) => k.includes(second.state)), keys.join());
    assert.deepEqual(storage.local, {});
    // The older one completes after the newer was started, then the newer one.
    for (const tx of [first, second]) {
      const m = s.mint(tx);
      const r = await s.callback(m.fragment);
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      assert.deepEqual(r.value.appState, tx.appState);
      assert.equal((await s.snapshot()).claims.__raw, m.idToken);
    }
    assert.deepEqual((await s.eval(() => window.T.storage())).session, {});
  }));

  test('transactions: each has an expiry (nowProvider)', () => withSession(async (s) => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    await s.setClock({ fixed: t0 });
    const fresh = await s.login();
    const stale = await s.login();
    // Still valid a second before the hour...
    await s.setClock({ fixed: t0 + 3599_000 });
    const ok = await s.callback(s.mint(fresh).fragment);
    assert.equal(ok.ok, true, `${ok.error}: ${ok.error_description}`);
    // ...and void a day later.
    await s.setClock({ fixed: t0 + 86400_000 });
    const r = await s.callback(s.mint(stale).fragment);
    assert.equal(r.error, 'invalid_state');
    assert.match(r.error_description, /expired/);
  }));

  test('transactions: deleted on first use, success or failure', () => withSession(async (s) => {
    const good = await s.login();
    const bad = await s.login();
    const goodResponse = s.mint(good).fragment;
    const badResponse = s.mint(bad, { signWith: 'rsa-b', kid: 'rsa-a' }).fragment;
    assert.equal((await s.callback(goodResponse)).ok, true);
    const failed = await s.callback(badResponse);
    assert.equal(failed.error, 'invalid_id_token');
    const left = Object.keys((await s.eval(() => window.T.storage())).session);
    assert.deepEqual(left, [], 'transactions left behind');
    for (const response of [goodResponse, badResponse]) {
      const again = await s.callback(response);
      assert.equal(again.error, 'invalid_state');
    }
  }));

  test('appState: round-trips unchanged', () => withSession(async (s) => {
    const values = [
      { returnTo: '/orders/42?tab=items#top', nested: { list: [1, 'two', null, true, { deep: [] }] } },
      ['an', 'array', 3],
      'a string with "quotes", \\ and ünïcødé 🚀',
      12345.5,
      0,
      false,
      null,
      { big: 'x'.repeat(10_000) },
      // As deep as JSON is read (a string 64 levels below the top): parsed, written and read
      // again on the wasm's stack, which the package build keeps small.
      nestedArrays(64),
    ];
    for (const appState of values) {
      const tx = await s.login({ appState });
      const r = await s.callback(s.mint(tx).fragment);
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      assert.deepEqual(r.value.appState, appState);
    }
  }));

  test('appState: JSON the client cannot read back is invalid_configuration, and nothing is stored', () => withSession(async (s) => {
    await s.create();
    const before = await s.eval(() => window.T.storage());
    const cases = [
      ['nested a level deeper than JSON is read', nestedArrays(65), /nested at most 64 levels/],
      ['a lone surrogate', { name: 'half \ud800 a pair' }, /lone surrogate/],
    ];
    for (const [label, appState, description] of cases) {
      const l = await s.login({ raw: true, appState });
      assert.equal(l.ok, false, label);
      assert.equal(l.error, 'invalid_configuration', label);
      assert.match(l.error_description, /^appState /, label);
      assert.match(l.error_description, description, label);
      assert.equal(l.openUrlCalls, 0, `${label}: openUrl was called`);
    }
    assert.deepEqual(await s.eval(() => window.T.storage()), before, 'a transaction was stored');
  }));

  test('appState: the post-login return path is never taken from the response', () => withSession(async (s) => {
    const tx = await s.login({ appState: { returnTo: '/mine' } });
    const evil = `${s.provider.origin}/evil`;
    const extra = ['appState', 'app_state', 'returnTo', 'redirect_uri', 'target_link_uri', 'post_login_redirect_uri']
      .map((p) => `${p}=${encodeURIComponent(p === 'appState' ? JSON.stringify({ returnTo: evil }) : evil)}`).join('&');
    const r = await s.callback(s.mint(tx, { extra }).fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.deepEqual(r.value.appState, { returnTo: '/mine' });
    assert.equal(r.href, `${s.pageOrigin}/`);
    assert.equal(s.provider.count('/evil'), 0);
  }));
});
