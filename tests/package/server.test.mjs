// The package imported where there is no browser (a server rendering the app's pages): the
// import itself must not throw, and createClient rejects with its own code, not a network error
// an app would retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('on a server the import works and createClient rejects with wasm_unavailable', async () => {
  assert.equal(typeof globalThis.window, 'undefined', 'this test runs outside a browser');
  const { createClient, AuthError } = await import('../../pkg/index.js');
  await assert.rejects(createClient({ issuer: 'https://login.example.com', clientId: 'app' }), (e) => {
    assert.ok(e instanceof AuthError);
    assert.equal(e.error, 'wasm_unavailable');
    assert.match(e.error_description, /^not in a browser$/);
    return true;
  });
});
