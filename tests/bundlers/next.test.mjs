// spa-login/react in a Next.js app router build: a client component (next/app/login.js) under
// a prerendered server page. `next build` must bundle the binding, the entry and the wasm, and
// prerender the page in Node (the binding imported on the server); its static export, served
// on loopback, logs in against the local provider in headless Chromium.
// Needs a built package: `node scripts/build.mjs` at the repository root.
import assert from 'node:assert/strict';
import { defineE2E, loginThroughProvider, settledStatus, testIdText } from '../e2e/harness.mjs';

defineE2E('Next.js app router', { stacks: { next: ['next', {}] } }, (env, it) => {
  it('the static export logs in with spa-login/react', async () => {
    const { page, stacks: { next: stack } } = env;
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const wasm = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(r); });
    await loginThroughProvider(page, stack);
    assert.equal(await settledStatus(page), 'Logged in');
    const profile = JSON.parse(await testIdText(page, 'profile', /^\{/));
    assert.equal(profile.sub, 'alice');
    assert.equal(profile.name, 'Alice Liddell');
    assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    assert.ok(wasm.length > 0 && wasm.every((r) => r.status() === 200 && r.headers()['content-type'] === 'application/wasm'),
      'the wasm came from the export with its MIME type');
    assert.deepEqual(problems, []);
  });
});
