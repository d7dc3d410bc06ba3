// How the package entry loads its WebAssembly module, in headless Chromium. In a browser the
// import alone starts the download, so an app's own start-up hides it; createClient only
// instantiates what is already on its way. A failed download is a network_error that the next
// createClient tries again, so an app can retry when the network is back; a file that is not
// the module is wasm_unavailable. Neither a failed download at import nor a Content-Type other
// than application/wasm may break the page. On a server (no window) the import fetches nothing.
//
// Each test serves the page and pkg/ itself from a tiny server on loopback, whose answer for the
// .wasm the test chooses, and which logs every request in order with the test's own steps.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browsers.mjs';

const PKG = new URL('../../pkg/', import.meta.url);
const WASM_PATH = '/pkg/spa_login_bg.wasm';
const WAIT_MS = 5_000;
const OPTIONS = { issuer: 'https://op.example', clientId: 'x' };
const LOAD_FAILED = 'the spa-login WebAssembly module could not be loaded: ';
const DOWNLOAD_FAILED = 'the spa-login WebAssembly module could not be downloaded: ';

// The page: the import map, a classic script that watches the page before the package runs
// (unhandled rejections, the outcome of each fetch of the .wasm, which compile function the
// package called), and a module that imports the entry and calls createClient only when the
// test says so (window.create), so the test knows what happened before that call.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>loading</title>
<link rel="icon" href="data:,">
<script type="importmap">{"imports": {"spa-login": "/pkg/index.js"}}</script>
<script>
  window.unhandled = [];
  addEventListener('unhandledrejection', (e) => unhandled.push(String(e.reason && e.reason.message || e.reason)));
  window.wasmFetches = [];
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const p = fetch0.call(this, input, init);
    if (String(input.url ?? input).endsWith('.wasm')) {
      p.then((r) => wasmFetches.push(r.status), (e) => wasmFetches.push('rejected: ' + e.message));
    }
    return p;
  };
  // The limits the page's code asks AbortSignal.timeout for; one of 30 s (the package's for
  // its .wasm) runs out after 300 ms instead, so that a test of it does not wait half a minute.
  window.timeouts = [];
  const timeout0 = AbortSignal.timeout;
  AbortSignal.timeout = (ms) => {
    timeouts.push(ms);
    return timeout0.call(AbortSignal, ms === 30000 ? 300 : ms);
  };
  window.compiles = [];
  for (const name of ['compile', 'compileStreaming']) {
    const f = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      compiles.push(name);
      return f.apply(this, args);
    };
  }
</script>
<script type="module">
  import * as spa from 'spa-login';
  window.createCalls = 0;
  window.create = async (options) => {
    createCalls++;
    try {
      const client = await spa.createClient(options);
      return { ok: true, authenticated: await client.isAuthenticated() };
    } catch (e) {
      return {
        ok: false, error: e.error, description: e.error_description, name: e.name,
        isGenericError: e instanceof spa.GenericError, isAuthError: e instanceof spa.AuthError,
      };
    }
  };
  window.ready = true;
</script>
`;

// How the server answers the .wasm: normal (application/wasm), an HTTP 503, the module as
// application/octet-stream, the bytes of a text file as application/wasm, or no answer at all
// (the connection closed, so the page's fetch rejects).
const WASM_ANSWERS = {
  normal: (res, files) => send(res, 200, 'application/wasm', files.wasm),
  503: (res) => send(res, 503, 'text/plain', 'Service Unavailable'),
  octetStream: (res, files) => send(res, 200, 'application/octet-stream', files.wasm),
  garbage: (res, files) => send(res, 200, 'application/wasm', files.text),
  drop: (res) => res.socket.destroy(),
  // No answer at all: the connection stays open and silent.
  hang: () => {},
  // The headers promise the whole module, then the connection closes part way through the body.
  cutWasm: (res, files) => cut(res, 'application/wasm', files.wasm),
  cutOctetStream: (res, files) => cut(res, 'application/octet-stream', files.wasm),
};

function cut(res, type, body) {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store', Connection: 'close' });
  res.write(body.subarray(0, 40_000), () => res.socket.destroy());
}

function send(res, status, type, body) {
  // no-store: every load of the .wasm reaches the server, so the log counts downloads. One
  // request per connection: Chromium retries a request whose reused connection was closed,
  // which would log one fetch twice.
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(body);
}

let browser;
let files;

before(async () => {
  await stat(fileURLToPath(new URL('index.js', PKG))).catch(() => {
    throw new Error('pkg/ is not built: run `node scripts/build.mjs` at the repository root');
  });
  files = {
    index: await readFile(new URL('index.js', PKG)),
    wasm: await readFile(new URL('spa_login_bg.wasm', PKG)),
    text: await readFile(new URL('README.md', PKG)),
  };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

// A fresh server (its own origin), context and page per test.
let server;
let context;
let page;

beforeEach(async () => {
  server = await startServer();
  context = await browser.newContext();
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
  await server?.close();
});

// `server.wasm` names the current answer for the .wasm (a key of WASM_ANSWERS); `server.log`
// has every request's path and every step the test marks (server.mark), in order.
function startServer() {
  const log = [];
  const waiters = [];
  const s = {
    wasm: 'normal',
    log,
    mark: (step) => log.push(step),
    wasmRequests: () => log.filter((e) => e === `GET ${WASM_PATH}`).length,
    // Resolves when the server has had `n` requests for the .wasm; fails after WAIT_MS.
    waitForWasmRequests: (n) => new Promise((resolve, reject) => {
      const waiter = () => {
        if (s.wasmRequests() < n) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`the server had ${s.wasmRequests()} requests for the .wasm within ${WAIT_MS} ms, not ${n}: ${JSON.stringify(log)}`));
      }, WAIT_MS);
      if (!waiter()) waiters.push(waiter);
    }),
  };
  const http = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    log.push(`${req.method} ${path}`);
    for (const waiter of [...waiters]) if (waiter()) waiters.splice(waiters.indexOf(waiter), 1);
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE);
    if (path === '/pkg/index.js') return send(res, 200, 'text/javascript', files.index);
    if (path === WASM_PATH) return WASM_ANSWERS[s.wasm](res, files);
    return send(res, 404, 'text/plain', 'Not Found');
  });
  return new Promise((resolve) => {
    http.listen(0, '127.0.0.1', () => {
      s.origin = `http://127.0.0.1:${http.address().port}`;
      s.close = () => new Promise((done) => {
        http.closeAllConnections();
        http.close(done);
      });
      resolve(s);
    });
  });
}

// Opens the page and waits until its module has imported the entry.
async function openPage() {
  await page.goto(`${server.origin}/`, { timeout: WAIT_MS });
  await page.waitForFunction(() => window.ready === true, null, { timeout: WAIT_MS });
}

// Calls createClient in the page (marked in the server's log first) and returns its outcome.
function createClient() {
  server.mark('createClient');
  return page.evaluate((options) => window.create(options), OPTIONS);
}

// Waits until the page has seen the outcome of `n` fetches of the .wasm, then a little longer:
// what the package does with the outcome (and any unhandledrejection it would cause) comes in
// the tasks right after.
async function settledWasmFetches(n) {
  await page.waitForFunction((count) => window.wasmFetches.length >= count, n, { timeout: WAIT_MS });
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
  return page.evaluate(() => window.wasmFetches);
}

const pageState = () => page.evaluate(() => ({ unhandled: window.unhandled, compiles: window.compiles, createCalls: window.createCalls }));

function assertNetworkError(outcome, reason) {
  assert.equal(outcome.ok, false, 'createClient rejected');
  assert.equal(outcome.error, 'network_error');
  assert.equal(outcome.name, 'GenericError');
  assert.ok(outcome.isGenericError, 'the error is a GenericError');
  assert.ok(outcome.isAuthError, 'the error is an AuthError');
  assert.ok(outcome.description.startsWith(DOWNLOAD_FAILED), `the description says the download failed: ${outcome.description}`);
  assert.match(outcome.description.slice(DOWNLOAD_FAILED.length), reason);
}

test('in a browser the import starts the download before any createClient, which then reuses it', async () => {
  await openPage();
  await server.waitForWasmRequests(1);
  // The download ended and its compiling began (streaming: the server said application/wasm)
  // while the page had not called createClient.
  assert.deepEqual(await settledWasmFetches(1), [200]);
  assert.deepEqual(await pageState(), { unhandled: [], compiles: ['compileStreaming'], createCalls: 0 });

  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.deepEqual(server.log, ['GET /', 'GET /pkg/index.js', `GET ${WASM_PATH}`, 'createClient', 'createClient'],
    'one download, requested before the first createClient, and none after');
  assert.deepEqual((await pageState()).compiles, ['compileStreaming'], 'compiled once');
});

test('an HTTP error at import: createClient rejects with network_error, and later calls download again', async () => {
  server.wasm = 503;
  await openPage();
  await server.waitForWasmRequests(1);
  assert.deepEqual(await settledWasmFetches(1), [503]);

  assertNetworkError(await createClient(), /^HTTP status 503$/);
  assert.equal(server.wasmRequests(), 2, 'the first createClient after the failed import downloaded again');

  assertNetworkError(await createClient(), /^HTTP status 503$/);
  assert.equal(server.wasmRequests(), 3, 'a createClient after a failed one downloads again');

  server.wasm = 'normal';
  assert.deepEqual(await createClient(), { ok: true, authenticated: false }, 'it works once the server serves the file');
  assert.equal(server.wasmRequests(), 4);
  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.equal(server.wasmRequests(), 4, 'after a success nothing is downloaded again');
  assert.deepEqual((await pageState()).unhandled, []);
});

test('a fetch that rejects (connection closed): network_error, then createClient works once the file is served', async () => {
  server.wasm = 'drop';
  await openPage();
  await server.waitForWasmRequests(1);
  const [eager] = await settledWasmFetches(1);
  assert.match(String(eager), /^rejected: /, "the page's fetch rejected");

  assertNetworkError(await createClient(), /^Failed to fetch$/); // (Chromium's words for it)
  assert.equal(server.wasmRequests(), 2, 'createClient tried the download again');

  server.wasm = 'normal';
  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.equal(server.wasmRequests(), 3, 'one more download, which worked');
  assert.deepEqual((await pageState()).unhandled, []);
});

test('a .wasm that never arrives: network_error once its time limit (30 s) has passed, then createClient works once the file is served', async () => {
  server.wasm = 'hang';
  await openPage();
  await server.waitForWasmRequests(1);
  const [eager] = await settledWasmFetches(1);
  assert.match(String(eager), /^rejected: /, 'the download at import was given up');
  assertNetworkError(await createClient(), /^it did not arrive within 30 s$/);
  assert.equal(server.wasmRequests(), 2, 'createClient tried the download again, which ran out of time too');
  assert.deepEqual((await page.evaluate(() => window.timeouts)).slice(0, 2), [30000, 30000], 'each download asked for 30 s');
  server.wasm = 'normal';
  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.equal(server.wasmRequests(), 3);
  assert.deepEqual((await pageState()).unhandled, []);
});

test('a body cut off part way: network_error (streamed or not), then createClient works once the file is served', async () => {
  for (const answer of ['cutWasm', 'cutOctetStream']) {
    server.wasm = answer;
    await openPage();
    await server.waitForWasmRequests(1);
    const before = server.wasmRequests();
    assertNetworkError(await createClient(), /./);
    assert.equal(server.wasmRequests(), before + 1, `createClient tried the download again (${answer})`);
    server.wasm = 'normal';
    assert.deepEqual(await createClient(), { ok: true, authenticated: false }, answer);
    assert.deepEqual((await pageState()).unhandled, [], answer);
    await page.goto('about:blank');
  }
});

test('a failed download at import causes no unhandled rejection on the page', async () => {
  for (const answer of [503, 'drop']) {
    server.wasm = answer;
    await openPage();
    assert.equal((await settledWasmFetches(1)).length, 1, `the download at import ended (${answer})`);
    assert.deepEqual(await pageState(), { unhandled: [], compiles: [], createCalls: 0 }, `no unhandled rejection after ${answer}`);
  }
});

test('served as application/octet-stream, the module still loads, compiled from its bytes', async () => {
  server.wasm = 'octetStream';
  await openPage();
  await server.waitForWasmRequests(1);
  assert.deepEqual(await settledWasmFetches(1), [200]);
  assert.deepEqual(await createClient(), { ok: true, authenticated: false });
  assert.equal(server.wasmRequests(), 1, 'the download at import was used');
  assert.deepEqual(await pageState(), { unhandled: [], compiles: ['compile'], createCalls: 1 },
    'compileStreaming, which insists on application/wasm, was not tried');
});

test('a file that is not a wasm module: createClient rejects with wasm_unavailable and the reason', async () => {
  server.wasm = 'garbage';
  await openPage();
  await server.waitForWasmRequests(1);
  const outcome = await createClient();
  assert.equal(outcome.ok, false, 'createClient rejected');
  assert.equal(outcome.error, 'wasm_unavailable');
  assert.ok(outcome.isGenericError && outcome.isAuthError, 'a GenericError, so an AuthError');
  assert.ok(outcome.description.startsWith(LOAD_FAILED), `the description: ${outcome.description}`);
  assert.match(outcome.description.slice(LOAD_FAILED.length), /magic word/, "the browser's reason follows");
  assert.doesNotMatch(outcome.description, /downloaded/);
  assert.deepEqual((await pageState()).unhandled, []);
});

test('on a server (no window) the import fetches nothing', async () => {
  assert.equal(typeof globalThis.window, 'undefined', 'this runs outside a browser');
  const fetched = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input) => {
    fetched.push(String(input));
    throw new TypeError('no network in this test');
  };
  try {
    // A module instance of its own (the query), imported with fetch watched.
    const { createClient, AuthError } = await import(`${new URL('index.js', PKG).href}?loading-test`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(fetched, [], 'the import fetched nothing');
    await assert.rejects(createClient(OPTIONS), (e) => e instanceof AuthError && e.error === 'wasm_unavailable');
    assert.deepEqual(fetched, [], 'nor did createClient');
  } finally {
    globalThis.fetch = realFetch;
  }
});
