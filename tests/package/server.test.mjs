// The package imported where there is no browser (a server rendering the app's pages): the
// import itself must not throw, and createClient rejects with its own code, not a network error
// an app would retry. The error classes keep their names there as in a browser, though the
// build minifies the entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('on a server the import works and createClient rejects with wasm_unavailable, a GenericError', async () => {
  assert.equal(typeof globalThis.window, 'undefined', 'this test runs outside a browser');
  const { createClient, createAuth0Client, AuthError, GenericError } = await import('../../pkg/index.js');
  for (const create of [createClient, createAuth0Client]) {
    await assert.rejects(create({ issuer: 'https://login.example.com', clientId: 'app' }), (e) => {
      assert.ok(e instanceof AuthError);
      assert.ok(e instanceof GenericError, 'every error the client throws is a GenericError');
      assert.equal(e.error, 'wasm_unavailable');
      assert.match(e.error_description, /^not in a browser$/);
      return true;
    });
  }
});

test('every error class is named as it is exported (class.name, and an error\'s constructor.name and name)', async () => {
  const spa = await import('../../pkg/index.js');
  const classes = Object.entries(spa).filter(([name, v]) => typeof v === 'function' && /Error$/.test(name));
  assert.ok(classes.length >= 10, classes.map(([n]) => n).join(', '));
  for (const [name, C] of classes) {
    assert.equal(C.name, name);
    const e = name === 'AuthError' || name === 'GenericError' || name === 'AuthenticationError' ? new C('some_code', 'text') : new C('text');
    assert.equal(e.constructor.name, name);
    assert.equal(e.name, name);
    assert.ok(e instanceof spa.AuthError);
  }
});
