// docs/CONFORMANCE.md, "Storage": memory by default, localStorage opt-in, and storage that throws.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ID, CONCURRENCY, withSession } from '../harness.mjs';

// In the page: make a Storage method throw a DOMException of the given name.
const breakStorage = (s, method, name) => s.eval(([m, n]) => {
  window.originalStorage ??= {};
  window.originalStorage[m] ??= Storage.prototype[m];
  Storage.prototype[m] = function () {
    throw new DOMException(`the test made ${m} throw`, n);
  };
}, [method, name]);
const repairStorage = (s) => s.eval(() => Object.assign(Storage.prototype, window.originalStorage ?? {}));
const allStorage = (s) => s.eval(() => window.T.storage({ all: true }));

describe('Storage', { concurrency: CONCURRENCY }, () => {
  test("storage: cacheLocation 'memory' (the default) keeps tokens out of Web Storage", () => withSession(async (s) => {
    for (const response_type of ['id_token token', 'token']) {
      await s.create({ authorizationParams: { response_type } }, { name: response_type });
      const tx = await s.login({ name: response_type });
      // While the login is pending, its transaction is the only entry, and it holds no token.
      const pending = await allStorage(s);
      assert.deepEqual(Object.keys(pending.local), []);
      assert.deepEqual(Object.keys(pending.session).length, 1);
      const m = s.mint(tx);
      const r = await s.callback(m.fragment, { name: response_type });
      assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
      const after = await allStorage(s);
      assert.deepEqual(after, { session: {}, local: {} }, `${response_type}: Web Storage after login`);
      const text = JSON.stringify(after) + await s.eval(() => document.cookie);
      assert.ok(!text.includes(m.accessToken), 'the access token is in storage');
      const snap = await s.snapshot(response_type);
      assert.equal(snap.token, m.accessToken, 'the token is held in memory');
    }
  }));

  test("storage: cacheLocation 'localstorage' writes one entry, and the session survives a reload", () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    const first = await s.loginOk();
    const second = await s.loginOk();
    const stored = await allStorage(s);
    const keys = Object.keys(stored.local);
    assert.equal(keys.length, 1, `localStorage entries: ${keys}`);
    assert.ok(keys[0].startsWith('spa-login.') && keys[0].includes(CLIENT_ID), keys[0]);
    assert.ok(stored.local[keys[0]].includes(second.minted.accessToken));
    assert.ok(!stored.local[keys[0]].includes(first.minted.idToken), 'the old ID token stayed');
    assert.deepEqual(stored.session, {}, 'sessionStorage after login');
    await s.goto('/');
    await s.create({ cacheLocation: 'localstorage' });
    const snap = await s.snapshot();
    assert.equal(snap.isAuthenticated, true);
    assert.equal(snap.claims.__raw, second.minted.idToken);
    assert.equal(snap.token, second.minted.accessToken);
  }));

  test('storage: a QuotaExceededError at loginWithRedirect is storage_unavailable, and nothing is half-stored', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.establish();
    const before = await s.snapshot();
    await breakStorage(s, 'setItem', 'QuotaExceededError');
    const r = await s.login({ raw: true });
    assert.equal(r.ok, false);
    assert.equal(r.isAuthError, true, r.message);
    assert.equal(r.error, 'storage_unavailable');
    assert.match(r.error_description, /stor/);
    assert.equal(r.openUrlCalls, 0, 'openUrl was called without a stored transaction');
    const after = await s.snapshot();
    s.assertSessionUnchanged(before, after);
    s.assertFirstSession(after);
    s.assertNoPageErrors(after);
    await repairStorage(s);
    await s.loginOk();
  }));

  test('storage: a sessionStorage that throws SecurityError is storage_unavailable at loginWithRedirect', () => withSession(async (s) => {
    await s.establish();
    await s.eval(() => Object.defineProperty(window, 'sessionStorage', {
      configurable: true,
      get() {
        throw new DOMException('the test blocked sessionStorage', 'SecurityError');
      },
    }));
    const created = await s.create({}, { name: 'blocked', raw: true });
    assert.equal(created.ok, true, `createClient: ${created.error}: ${created.error_description}`);
    const r = await s.login({ name: 'blocked', raw: true });
    assert.equal(r.ok, false);
    assert.equal(r.isAuthError, true, r.message);
    assert.equal(r.error, 'storage_unavailable');
    assert.equal(r.openUrlCalls, 0);
    const snap = await s.snapshot();
    s.assertFirstSession(snap);
    s.assertNoPageErrors(snap);
  }));

  test('storage: a QuotaExceededError at handleRedirectCallback is storage_unavailable, and the earlier session stays', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.establish();
    const tx = await s.login();
    await breakStorage(s, 'setItem', 'QuotaExceededError');
    const r = await s.callback(s.mint(tx).fragment);
    const after = await s.expectRejected(r, tx, { error: 'storage_unavailable', description: /stor/ });
    assert.equal(Object.keys(after.storage.local).length, 1);
    assert.ok(after.storage.local[Object.keys(after.storage.local)[0]].includes('first-access-token'));
  }));

  test('storage: a storage that throws SecurityError when read or emptied at handleRedirectCallback is storage_unavailable', () => withSession(async (s) => {
    await s.create({ cacheLocation: 'localstorage' });
    await s.establish();
    for (const method of ['getItem', 'removeItem']) {
      const tx = await s.login();
      const before = await s.snapshot();
      await breakStorage(s, method, 'SecurityError');
      const r = await s.callback(s.mint(tx).fragment);
      await repairStorage(s);
      assert.equal(r.ok, false, `${method}: accepted`);
      assert.equal(r.isAuthError, true, `${method}: ${r.message}`);
      assert.equal(r.error, 'storage_unavailable', `${method}: ${r.error_description}`);
      assert.equal(r.state, tx.state);
      const after = await s.snapshot();
      assert.equal(after.isAuthenticated, true);
      s.assertFirstSession(after);
      assert.deepEqual(after.storage.local, before.storage.local, `${method}: localStorage changed`);
      s.assertNoPageErrors(after);
    }
  }));

  test("storage: with cacheLocation 'memory', a localStorage that throws changes nothing", () => withSession(async (s) => {
    await s.create();
    const tx = await s.login();
    await s.eval(() => Object.defineProperty(window, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('the test blocked localStorage', 'SecurityError');
      },
    }));
    await breakStorage(s, 'setItem', 'QuotaExceededError');
    const r = await s.callback(s.mint(tx).fragment);
    assert.equal(r.ok, true, `${r.error}: ${r.error_description}`);
    assert.equal((await s.snapshot()).isAuthenticated, true);
  }));
});
