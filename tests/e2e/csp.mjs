// The plain sample served with a strict Content-Security-Policy: the policy the README gives
// works (login, API, the session restored after a reload in the hidden iframe); each part left
// out fails the way the README says, at once and with its own code. csp.test.mjs declares it
// for Chromium, csp.firefox.test.mjs for Firefox.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  byTestId, defineE2E, eventually, iframeCount, logIn, openApp, recordAuthorizeRequests, settledStatus, testIdText, WAIT_MS,
} from './harness.mjs';

// The plain sample's inline import map, as the browser hashes it: the exact text between the
// tags. Under `script-src 'self'` it runs only with its hash (or a nonce) in the policy.
const html = await readFile(new URL('../../www/plain/index.html', import.meta.url), 'utf8');
const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1];
const IMPORT_MAP_HASH = `'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;

// The README's policy for a stack, with `change` applied to its directives.
function policy(stack, change = (d) => d) {
  const directives = change({
    'script-src': ["'self'", "'wasm-unsafe-eval'", IMPORT_MAP_HASH],
    'connect-src': ["'self'", stack.providerOrigin, new URL(stack.apiUrl).origin],
    'frame-src': [stack.providerOrigin, "'self'"],
  });
  return Object.entries(directives).map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

// `render` goes to stack.setHeaders.
function serveWith(stack, csp, render) {
  stack.setHeaders({ 'Content-Security-Policy': csp }, render);
  // Long enough that a flow which waited for it would outlast every wait of these tests.
  stack.setConfig({ authorizeTimeoutInSeconds: 60 });
}

// The page's CSP violations, as the document reported them, in order.
async function recordViolations(context) {
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return (page) => page.evaluate(() => window.cspViolations);
}

const errorLine = (page) => testIdText(page, 'error', /\S/);

export function defineCspSuite(browser) {
  const title = `a strict Content-Security-Policy (plain sample${browser === 'chromium' ? '' : `, ${browser}`})`;
  defineE2E(title, {
    stacks: {
      main: ['plain', {}],
      // Auth0-shaped: the provider answers the hidden iframe with a web_message.
      webMessage: ['plain', { auth0: true }],
    },
    browser,
  }, (env, it) => {

    it("the README's policy: login, the API and the session restored after a reload all work", async () => {
      const { page, context, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack));
      const violations = await recordViolations(context);
      await logIn(page, stack);
      await byTestId(page, 'call-api').click();
      assert.match(await testIdText(page, 'api-result', /\S/), /^200 /);
      await page.reload({ timeout: WAIT_MS });
      assert.equal(await settledStatus(page), 'Logged in', 'checkSession restored the session through the hidden iframe');
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
      assert.deepEqual(await violations(page), [], 'the policy refused nothing');
    });

    it("an inline import map needs its hash in script-src: without it the package is never loaded", async () => {
      const { page, context, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack, (d) => ({ ...d, 'script-src': ["'self'", "'wasm-unsafe-eval'"] })));
      const violations = await recordViolations(context);
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await openApp(page, stack);
      // (Firefox also reports the refused script itself as a page error.)
      await eventually(() => errors, (seen) => seen.some((e) => /spa-login/.test(e) && !/Content-Security-Policy/.test(e)),
        { what: 'the error that the bare specifier spa-login has no mapping' });
      assert.ok((await violations(page)).some((v) => v.startsWith('script-src-elem inline')), 'the import map was refused');
      assert.equal(await testIdText(page, 'status', /^/), 'Loading', 'the app never started');
    });

    it("an inline import map runs with a nonce instead of its hash", async () => {
      const { page, stacks: { main: stack } } = env;
      // The page as a server that renders it sends it: a fresh nonce on the tag and in the policy.
      const nonce = randomBytes(16).toString('base64');
      serveWith(stack, policy(stack, (d) => ({ ...d, 'script-src': ["'self'", "'wasm-unsafe-eval'", `'nonce-${nonce}'`] })), {
        html: (text) => text.replace('<script type="importmap">', `<script type="importmap" nonce="${nonce}">`),
      });
      await openApp(page, stack);
      assert.equal(await settledStatus(page), 'Logged out', 'the app started');
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    });

    it("without 'wasm-unsafe-eval' createClient rejects with wasm_unavailable and the browser's reason", async () => {
      const { page, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack, (d) => ({ ...d, 'script-src': ["'self'", IMPORT_MAP_HASH] })));
      await openApp(page, stack);
      const error = await errorLine(page);
      assert.match(error, /^wasm_unavailable: the spa-login WebAssembly module could not be loaded: /);
      assert.match(error, /WebAssembly|wasm/i, `the browser's reason is in the description: ${error}`);
      assert.doesNotMatch(error, /network_error/);
    });

    it("frame-src without 'self' (no web_message): checkSession and getAccessToken reject with frame_blocked at once", async () => {
      const { page, context, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack, (d) => ({ ...d, 'frame-src': [stack.providerOrigin] })));
      const violations = await recordViolations(context);
      await logIn(page, stack);
      const authorize = recordAuthorizeRequests(page, stack);
      await page.reload({ timeout: WAIT_MS });
      // The provider's redirect back to the app inside the frame is what the policy refuses; a
      // flow left to its 60 s timeout would outlast this wait.
      assert.match(await errorLine(page), /^frame_blocked: the page's Content Security Policy \(frame-src\) blocked the hidden iframe: /);
      assert.equal(await settledStatus(page), 'Logged out');
      assert.deepEqual(authorize.map((url) => url.searchParams.get('prompt')), ['none'], 'one silent request');
      assert.ok((await violations(page)).some((v) => v.startsWith('frame-src ')), 'the document reported the refused frame');
      assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');
      await page.evaluate(() => {
        document.querySelector('[data-testid="error"]').textContent = '';
      });
      await byTestId(page, 'call-api').click();
      assert.match(await errorLine(page), /^frame_blocked: /, 'getAccessToken rejects the same way');
      assert.equal(await testIdText(page, 'api-result', /^/), '', 'the API was not called');
    });

    it("frame-src without the provider: frame_blocked before the provider is asked anything", async () => {
      const { page, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack, (d) => ({ ...d, 'frame-src': ["'self'"] })));
      const authorize = recordAuthorizeRequests(page, stack);
      await openApp(page, stack);
      const error = await errorLine(page);
      assert.match(error, /^frame_blocked: /);
      assert.ok(error.includes(`: frame-src refused ${stack.providerOrigin}`), `the browser's report names the provider: ${error}`);
      assert.equal(await settledStatus(page), 'Logged out');
      // (Firefox's WebDriver BiDi reports a request event for it all the same.)
      if (browser === 'chromium') assert.deepEqual(authorize, [], 'the browser never sent the request');
    });

    it("with web_message, frame-src needs only the provider", async () => {
      const { page, stacks: { webMessage: stack } } = env;
      serveWith(stack, policy(stack, (d) => ({ ...d, 'frame-src': [stack.providerOrigin] })));
      await logIn(page, stack);
      await page.reload({ timeout: WAIT_MS });
      assert.equal(await settledStatus(page), 'Logged in', 'the provider posted the response to the app');
      assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
    });

    it('a provider error page in the hidden iframe ends the silent flow without waiting for the timeout', async () => {
      const { page, stacks: { main: stack } } = env;
      serveWith(stack, policy(stack));
      await logIn(page, stack);
      // The provider's answer to the silent request is a 500 page instead of a redirect.
      await page.route((url) => url.href.startsWith(`${stack.authorizationEndpoint}?`) && url.searchParams.get('prompt') === 'none',
        (route) => route.fulfill({ status: 500, contentType: 'text/html', body: '<h1>Internal Server Error</h1>' }));
      await page.reload({ timeout: WAIT_MS });
      assert.match(await errorLine(page), /^timeout: the provider did not answer in time: the page in the hidden iframe is no response$/);
      assert.equal(await settledStatus(page), 'Logged out');
      assert.equal(await iframeCount(page), 0, 'the hidden iframe is gone');
    });
  });
}
