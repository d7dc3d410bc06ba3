// The package's one entry must work with no plugin or set-up in a plain module script, in Vite
// and in webpack 5. Each case builds (where there is a build) the shared app in app/main.js,
// serves it on loopback, runs it in headless Chromium and checks what it recorded.
// Needs a built package: `node scripts/build.mjs` at the repository root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { contentType, fileUnder } from '../../www/static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(here, '../../pkg');


// Serves files from `mounts` ({ '/url/prefix/': dir }, longest prefix wins) on 127.0.0.1.
async function serve(mounts) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, 'http://x');
      const prefix = prefixes.find((p) => pathname.startsWith(p));
      const root = mounts[prefix];
      let file = fileUnder(root, pathname.slice(prefix.length));
      if (!file) throw new Error('outside the root');
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': contentType(file),
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

async function run(cmd, args, cwd) {
  try {
    await promisify(execFile)(cmd, args, { cwd, maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${path.relative(here, cwd)}:\n${e.stdout}\n${e.stderr}`);
  }
}

// Installs (fast when up to date) and builds one bundler project; returns its dist/.
async function build(name) {
  const dir = path.join(here, name);
  // A symlinked file: dependency means the build reads pkg/ as it is now, not a copy made at
  // some earlier install; --install-links=false keeps that so whatever the user's npm config.
  await run('npm', ['install', '--no-audit', '--no-fund', '--install-links=false'], dir);
  assert.equal(await realpath(path.join(dir, 'node_modules/spa-login')), await realpath(pkgDir),
    `${name}/node_modules/spa-login must link to the repository's pkg/`);
  await run('npm', ['run', 'build'], dir);
  return path.join(dir, 'dist');
}

let browser;

before(async () => {
  await stat(path.join(pkgDir, 'index.js')).catch(() => {
    throw new Error('pkg/ is not built: run `node scripts/build.mjs` at the repository root');
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(() => browser?.close());

// Opens the page, waits for the app's result and checks every step of it.
async function check(mounts) {
  const server = await serve(mounts);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems = []; // console errors and warnings (a MIME fallback, say), uncaught exceptions
    const wasm = []; // responses of .wasm requests
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(r); });

    await page.goto(server.url);
    const handle = await page.waitForFunction(() => document.body?.dataset.result, null, { timeout: 20_000 })
      .catch((e) => { throw new Error(`no result from the app (${e.message}); ${problems.join('; ')}`); });
    const r = JSON.parse(await handle.jsonValue());
    const origin = server.url.slice(0, -1);

    assert.equal(r.origin, origin);
    // (a) a bad option: an AuthError, not a plain object or Error
    assert.deepEqual(r.invalidConfiguration, {
      ok: false, isAuthError: true, name: 'InvalidConfigurationError', error: 'invalid_configuration',
      message: r.invalidConfiguration.message,
    });
    // (b) a client from the given metadata alone
    assert.deepEqual(r.createClient, { ok: true, value: true });
    // (c) the authorize URL handed to openUrl
    assert.equal(r.loginWithRedirect.ok, true, r.loginWithRedirect.message);
    const { endpoint, params } = r.loginWithRedirect.value;
    assert.equal(endpoint, 'https://op.example/authorize');
    assert.equal(params.client_id, 'bundler-test');
    assert.equal(params.response_type, 'id_token token');
    assert.equal(params.redirect_uri, origin, 'the default: window.location.origin, exactly');
    assert.match(params.state ?? '', /^\S{16,}$/);
    assert.match(params.nonce ?? '', /^\S{16,}$/);
    // (d) a response with an unknown state
    assert.equal(r.invalidState.ok, false);
    assert.equal(r.invalidState.isAuthError, true, r.invalidState.message);
    assert.equal(r.invalidState.error, 'invalid_state', r.invalidState.message);
    // (e) nothing was stored
    assert.deepEqual(r.isAuthenticated, { ok: true, value: false });

    // The wasm came over the network, whole and with its MIME type (so streaming compilation).
    assert.ok(wasm.length > 0, 'the page requested no .wasm file');
    for (const res of wasm) {
      assert.equal(res.status(), 200, res.url());
      assert.equal(res.headers()['content-type'], 'application/wasm');
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    server.close();
  }
}

test('plain <script type="module">: the entry loads the wasm through an import map', () =>
  check({ '/': path.join(here, 'plain'), '/app/': path.join(here, 'app'), '/pkg/': pkgDir }));

test('Vite: the entry loads the wasm with no plugin', async () =>
  check({ '/': await build('vite') }));

test('webpack 5: the entry loads the wasm with no plugin or experiments', async () =>
  check({ '/': await build('webpack') }));
