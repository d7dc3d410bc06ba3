// The plain sample in WebKit (WebKitGTK's MiniBrowser, driven by WebKitWebDriver over classic
// WebDriver: plain JSON over HTTP, no client library). Not part of `npm test`: run it with
// `npm run test:webkit`, which installs the driver and a virtual display and runs this under
// xvfb-run. A real login through the provider's forms, the API called with the token, the
// session restored by checkSession's hidden iframe after a reload, and logout; and a hidden
// iframe that the page's CSP refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { eventually, freePort, startStack, WAIT_MS } from '../e2e/harness.mjs';
import { DEMO_USER } from '../../www/servers.mjs';

const DRIVER = '/usr/bin/WebKitWebDriver';
// Where Debian's WebKitGTK puts its small browser (the newest API version first).
const MINIBROWSER = ['webkitgtk-6.0', 'webkit2gtk-4.1', 'webkit2gtk-4.0']
  .map((v) => `/usr/lib/x86_64-linux-gnu/${v}/MiniBrowser`).find((path) => existsSync(path));

let stack;
let driver;
let base;
let session;

// One WebDriver command: its `value`, or an Error with the driver's own error and message.
async function command(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { value } = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${value?.error}: ${value?.message}`);
  return value;
}

const inSession = (method, path, body) => command(method, `/session/${session}${path}`, body);
// An element reference is an object with one member (its name is WebDriver's fixed key).
const find = async (css) => Object.values(await inSession('POST', '/element', { using: 'css selector', value: css }))[0];
const url = () => inSession('GET', '/url');
const text = async (testId) => (await inSession('GET', `/element/${await find(`[data-testid="${testId}"]`)}/text`)).trim();
const click = async (css) => inSession('POST', `/element/${await find(css)}/click`, {});
const type = async (css, value) => inSession('POST', `/element/${await find(css)}/value`, { text: value });
const waitForText = (testId, accept) => eventually(() => text(testId), accept, { what: `[data-testid=${testId}]` });
const waitForUrl = (accept, what) => eventually(url, accept, { what });
const settled = () => waitForText('status', (t) => t === 'Logged in' || t === 'Logged out');

// Starts WebKitWebDriver on a free port. The port is free when picked but not held, so another
// process may take it before the driver binds it; a driver that exits is started again on
// another port.
async function startDriver(attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    driver = spawn(DRIVER, [`--port=${port}`], { stdio: 'ignore' });
    let exited = false;
    driver.once('exit', () => (exited = true));
    try {
      await eventually(async () => {
        if (exited) return 'exited';
        return (await (await fetch(`${base}/status`)).json()).value?.ready;
      }, (s) => s === true || s === 'exited', { what: 'the driver to start' });
    } catch (e) {
      driver.kill();
      throw e;
    }
    if (!exited) return;
    if (attempt === attempts) throw new Error(`WebKitWebDriver exited at start ${attempts} times`);
  }
}

before(async () => {
  assert.ok(existsSync(DRIVER) && MINIBROWSER, 'WebKitWebDriver and MiniBrowser are installed (npm run test:webkit installs them)');
  stack = await startStack('plain');
  await startDriver();
  ({ sessionId: session } = await command('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      },
    },
  }));
}, { timeout: 60_000 });

after(async () => {
  if (session) await inSession('DELETE', '').catch(() => {});
  driver?.kill();
  await stack?.close();
});

test('a login, an API call, the session restored after a reload, and logout in WebKit', { timeout: 120_000 }, async () => {
  await inSession('POST', '/url', { url: `${stack.appUrl}/` });
  assert.equal(await settled(), 'Logged out');
  await click('[data-testid="login"]');
  await waitForUrl((u) => u.startsWith(`${stack.providerOrigin}/interaction/`), 'the provider login form');
  await type('input[name=login]', DEMO_USER.login);
  await type('input[name=password]', DEMO_USER.password);
  await click('button[type=submit]');
  // The consent page, if the provider shows one, then back at the app.
  const consent = 'form[action$="/confirm"] button[type=submit]';
  const next = await eventually(async () => {
    if ((await url()).startsWith(`${stack.appUrl}/`)) return 'app';
    return (await find(consent).catch(() => undefined)) ? 'consent' : undefined;
  }, Boolean, { what: 'the consent page or the app' });
  if (next === 'consent') await click(consent);
  assert.equal(await waitForText('status', (t) => t === 'Logged in'), 'Logged in');
  assert.equal(JSON.parse(await waitForText('profile', (t) => t.startsWith('{'))).sub, 'alice');
  assert.equal(await url(), `${stack.appUrl}/`, 'the response is gone from the address bar');

  await click('[data-testid="call-api"]');
  const result = await waitForText('api-result', (t) => /^\d{3} /.test(t));
  assert.match(result, /^200 /);
  assert.equal(JSON.parse(result.slice(4)).sub, 'alice');

  await inSession('POST', '/refresh', {});
  assert.equal(await settled(), 'Logged in', 'checkSession restored the session in the hidden iframe');
  assert.equal(await text('error'), '', 'no error is shown');

  // Logout goes to the provider's end-session page, which sends the browser back: a new
  // document of the app (without the mark set here), whose checkSession finds no session at
  // the provider.
  await inSession('POST', '/execute/sync', { script: 'window.beforeLogout = true', args: [] });
  await click('[data-testid="logout"]');
  await eventually(() => inSession('POST', '/execute/sync', { script: 'return [location.href, window.beforeLogout === true]', args: [] }),
    ([href, old]) => !old && href === `${stack.appUrl}/`, { what: 'a new page of the app after the provider\'s logout' });
  assert.equal(await settled(), 'Logged out');
});

test("a hidden iframe the page's CSP refuses ends at once with frame_blocked in WebKit", { timeout: 60_000 }, async () => {
  // The provider answers the silent request with a redirect back to the app, which a frame-src
  // without 'self' refuses; a flow left to its timeout would outlast the wait below.
  stack.setConfig({ authorizeTimeoutInSeconds: 60 });
  stack.setHeaders({ 'Content-Security-Policy': `frame-src ${stack.providerOrigin}` });
  try {
    await inSession('POST', '/url', { url: `${stack.appUrl}/` });
    assert.match(await waitForText('error', (t) => t !== ''), /^frame_blocked: /);
    assert.equal(await settled(), 'Logged out');
  } finally {
    stack.setHeaders();
    stack.setConfig();
  }
});
