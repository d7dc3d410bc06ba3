// `npm run bench`: spa-login side by side with its peers, in one run, in headless Chromium.
// Installs bench/'s own dependencies and builds pkg/ when they are missing, measures size, cold
// start, callback cost, cache-hit token reads, memory, the code flow (first callback, also with
// the provider's answers 40 ms late, and refresh-token renewal) and DPoP (proofs, API calls,
// DPoP renewal) with the libraries interleaved, writes BENCHMARKS.md at the repository root and
// prints a one-line summary.
//   BENCH_QUICK=1      a few samples of each, to try the harness (the numbers mean little)
//   BENCH_ONLY=dpop    only section 7, printed as markdown; BENCHMARKS.md and results.json are
//                      left as they are (the results go to bench/dist/results-dpop.json)
import { execFileSync, execSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { BENCH, ESBUILD_BROWSER, PKG as ROOT_PKG, ROOT, installedVersion, kb, measureSizes } from './size.mjs';

const started = Date.now();
const QUICK = !!process.env.BENCH_QUICK;
const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && ONLY !== 'dpop') throw new Error(`BENCH_ONLY=${ONLY}: only 'dpop' can run alone`);
const DIST = join(BENCH, 'dist');
// The run measures a copy of pkg/ taken at its start, so that a rebuild of pkg/ while it runs
// (other work on the same tree) cannot mix two builds in one run.
const PKG = join(DIST, 'pkg');
const log = (...a) => console.log('[bench]', ...a);

// ---------------------------------------------------------------------------------------------
// Set-up: bench/'s dependencies, the package, the page bundles

function ensureInstalled() {
  const want = JSON.parse(readFileSync(join(BENCH, 'package.json'), 'utf8')).devDependencies;
  const stale = Object.entries(want).filter(([name, version]) => {
    try {
      return installedVersion(name) !== version;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    log(`npm install in bench/ (${stale.map(([n, v]) => `${n}@${v}`).join(', ')})`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: BENCH, stdio: 'inherit' });
  }
  const require = createRequire(join(ROOT, 'package.json'));
  try {
    require.resolve('playwright-core');
  } catch {
    log('npm install at the repository root (playwright-core)');
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  }
}

const PKG_FILES = ['package.json', 'index.js', 'spa_login_bg.wasm'];

async function ensurePackage() {
  if (!PKG_FILES.every((f) => existsSync(join(ROOT_PKG, f)))) {
    log('pkg/ is missing: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  // Copy pkg/ when no build is writing it: its files unchanged for a second.
  const hash = (f) => {
    try {
      return createHash('sha256').update(readFileSync(join(ROOT_PKG, f))).digest('hex');
    } catch {
      return 'missing';
    }
  };
  const stamp = () => PKG_FILES.map(hash).join();
  for (let i = 0; ; i++) {
    const a = stamp();
    await sleep(1000);
    if (a === stamp() && !a.includes('missing')) break;
    if (i === 120) throw new Error('pkg/ kept changing for two minutes');
  }
  rmSync(PKG, { recursive: true, force: true });
  cpSync(ROOT_PKG, PKG, { recursive: true });
}

const LIBS = ['ours', 'auth0-js', 'auth0-spa-js', 'oidc-client', 'oidc-client-ts'];
const PEER_PACKAGE = { 'auth0-js': 'auth0-js', 'auth0-spa-js': '@auth0/auth0-spa-js', 'oidc-client': 'oidc-client', 'oidc-client-ts': 'oidc-client-ts' };
const LABEL = { ours: 'spa-login (ours)', 'ours-esm': 'spa-login, unbundled', 'ours-auth0': 'spa-login, `createAuth0Client`', none: 'empty page (floor)', ...PEER_PACKAGE };
// Cold start also measures ours as shipped (unbundled), ours through auth0-spa-js's call
// (the drop-in, with the options of the auth0-spa-js page) and the empty page.
const COLD_LIBS = ['ours', 'ours-esm', 'ours-auth0', ...LIBS.slice(1), 'none'];
// The authorization code flow (with refresh tokens): ours and the peers that run it. A page
// named '<lib>-code' is the bundle of pages/<lib>.js, which reads its name to switch to the
// code flow with refresh tokens (kept apart so the other measures keep their options).
const CODE_LIBS = ['ours', 'auth0-spa-js', 'oidc-client-ts'];
const CODE_PAGE = { ours: 'ours-code', 'auth0-spa-js': 'auth0-spa-js-code', 'oidc-client-ts': 'oidc-client-ts' };
// DPoP (RFC 9449): ours and the peer that has it, each on the code-flow page with useDpop.
const DPOP_LIBS = ['ours', 'auth0-spa-js'];
// Section 6's provider across a network: how late each of its answers comes.
const FAR_MS = 40;
const DPOP_PAGE = { ours: 'ours-dpop', 'auth0-spa-js': 'auth0-spa-js-dpop' };
// The ways the DPoP section calls the API, by lib.api name (pages/ours.js, pages/auth0-spa-js.js).
const API_CALLS = {
  ours: ['fetch', 'bearer', 'dpop'],
  'auth0-spa-js': ['dpop'],
};
const API_LABEL = {
  'ours fetch': '`fetch(url, { headers: { Authorization: \'Bearer …\' } })` (no library)',
  'ours bearer': 'spa-login `fetchWithAuth(url)`, bearer client',
  'ours dpop': 'spa-login `fetchWithAuth(url)`, `useDpop: true`',
  'auth0-spa-js dpop': 'auth0-spa-js `createFetcher({ dpopNonceId }).fetchWithAuth(url)`, `useDpop: true`',
};

// Each page's bundle: the library (or ours) with the page's adapter, built the way an app's
// production build would (esbuild, minified). Ours is bundled the same way, with the .wasm
// copied beside the bundle, as bundlers emit it for `new URL('./spa_login_bg.wasm',
// import.meta.url)`; 'ours-esm' is ours as shipped instead: pkg/ loaded unbundled through the
// page's import map, as a plain <script type="module"> app does.
async function buildPages() {
  const esbuild = await import('esbuild');
  mkdirSync(DIST, { recursive: true });
  copyFileSync(join(PKG, 'spa_login_bg.wasm'), join(DIST, 'spa_login_bg.wasm'));
  const ourPackage = {
    name: 'spa-login from pkg/',
    setup(build) {
      build.onResolve({ filter: /^spa-login(\/.*)?$/ }, (a) => ({ path: join(PKG, a.path === 'spa-login' ? 'index.js' : a.path.slice('spa-login/'.length)) }));
    },
  };
  const codeOnly = [...Object.values(CODE_PAGE), ...Object.values(DPOP_PAGE)].filter((l) => !COLD_LIBS.includes(l));
  for (const lib of [...COLD_LIBS, ...codeOnly]) {
    await esbuild.build({
      ...ESBUILD_BROWSER,
      write: true,
      entryPoints: [join(BENCH, 'pages', `${lib === 'ours-esm' ? 'ours' : lib.replace(/-(code|dpop|auth0)$/, '')}.js`)],
      outfile: join(DIST, `page-${lib}.js`),
      ...(lib === 'ours-esm' ? { external: ['spa-login', 'spa-login/*'] } : { plugins: [ourPackage] }),
      logOverride: { 'duplicate-object-key': 'silent' }, // wasm-bindgen's import object, harmless
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

const sorted = (xs) => [...xs].sort((a, b) => a - b);
function quantile(xs, q) {
  const s = sorted(xs);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}
const median = (xs) => quantile(xs, 0.5);
const rotate = (xs, i) => xs.map((_, j) => xs[(i + j) % xs.length]);
// The most frequent value (request counts should not vary; if they do, the table says so).
function mode(xs) {
  const n = new Map();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

// ---------------------------------------------------------------------------------------------
// The browser

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

let browser;
let servers;

// A fresh browser context (empty HTTP cache, storage and cookies) with a page that has already
// loaded a blank page of the app origin, so the renderer process is up before the timed load.
// The page reports "done" through a binding (no polling that would cost the page CPU time), and a
// CDP session reads the main thread's CPU time (Performance.getMetrics ThreadTime: since the
// document started; ProcessTime, the whole renderer's, comes in 10 ms ticks and is not used).
async function freshPage() {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  let waiter;
  await page.exposeBinding('__benchDone', (_source, v) => {
    const w = waiter;
    waiter = undefined;
    w?.(v);
  });
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${servers.appOrigin}/blank.html`);
  requests.length = 0;
  return {
    ctx,
    page,
    cdp,
    requests,
    // Resolves with what the page reports next (call before what makes it report).
    nextDone(what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: no answer in 30 s`)), 30000);
        waiter = (v) => {
          clearTimeout(timer);
          if (v && v.error) reject(new Error(`${what}: ${v.error}`));
          else resolve(v);
        };
      });
    },
    async cpu() {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (n) => metrics.find((m) => m.name === n)?.value ?? NaN;
      return { thread: get('ThreadTime') * 1000 };
    },
  };
}
// Closes a context and gives the browser a moment to end its renderer process, which would
// otherwise compete with the next sample.
async function closeContext(ctx) {
  await ctx.close();
  await sleep(50);
}

const cpuSince = (a, b) => ({ thread: b.thread - a.thread });
// Across a navigation: CDP's ThreadTime starts again with each document, so the new document's
// value is its own.
const documentCpu = (now) => ({ thread: now.thread });

// What a library asked the provider for, among `urls`: { total, byPath: { '/authorize': 1, ... } }.
function providerRequests(urls) {
  const byPath = {};
  let total = 0;
  for (const u of urls) {
    const url = new URL(u);
    if (url.origin !== servers.provider.origin) continue;
    byPath[url.pathname] = (byPath[url.pathname] ?? 0) + 1;
    total++;
  }
  return { total, byPath };
}
// `per`: the number of operations the requests were made for (the table gives them per operation).
const describeRequests = ({ byPath }, per = 1) =>
  Object.entries(byPath).map(([p, n]) => `${+(n / per).toFixed(2)}× ${p}`).join(', ') || 'none';

async function heap({ cdp, page }) {
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => bench.wasmMemoryBytes());
  return { js: usedSize, wasm };
}

// ---------------------------------------------------------------------------------------------
// 2 and 5: cold start (navigation to a ready client, no session) and memory after init

async function coldSample(lib, withMemory = true) {
  const p = await freshPage();
  try {
    const done = p.nextDone(`cold start of ${lib}`);
    await p.page.goto(`${servers.appOrigin}/app/${lib}.html?mode=cold`);
    const { ms, bootMs } = await done;
    const cpu = documentCpu(await p.cpu());
    let mem;
    if (withMemory) {
      mem = await heap(p);
      await sleep(50); // anything the library started in the background and did not wait for
    }
    const provider = providerRequests(p.requests);
    return { ms, bootMs, cpu, mem, provider, appRequests: p.requests.length - provider.total };
  } finally {
    await closeContext(p.ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// 3: callback cost; 5: memory after a login

const CALLBACK_LIBS = ['ours', 'auth0-js', 'oidc-client'];

// Starts a login in the page in capture mode and returns the callback URL with a fresh response.
// `start`: the page's function that starts it (bench.login, the page's client).
async function captureLogin({ page }, start = 'login') {
  const { provider } = servers;
  provider.mode = 'capture';
  const next = provider.nextAuthorize();
  await page.evaluate((f) => bench[f](), start);
  const authorizeUrl = await next;
  await sleep(20); // the 204 reaches the browser, which then stays on the page
  const err = await page.evaluate(() => window.__loginError);
  if (err) throw new Error(`login: ${err}`);
  return provider.respond(authorizeUrl);
}

async function callbackSample(lib, warmRepeats, batchSize) {
  const { provider } = servers;
  const p = await freshPage();
  const { page, requests } = p;
  try {
    const started = p.nextDone(`start of ${lib}`);
    await page.goto(`${servers.appOrigin}/app/${lib}.html?mode=idle`);
    await started;

    // (a) the first callback, in the page the provider redirects to.
    provider.mode = 'redirect';
    const loginMark = requests.length;
    const done = p.nextDone(`first callback of ${lib}`);
    await page.evaluate(() => bench.login());
    const first = await done;
    const firstCpu = documentCpu(await p.cpu());
    if (first.sub !== 'bench|alice') throw new Error(`${lib}: the callback gave sub ${first.sub}`);
    await sleep(30);
    const loginUrls = requests.slice(loginMark);
    const authIdx = loginUrls.findIndex((u) => u.startsWith(`${provider.origin}/authorize`));
    const beforeRedirect = providerRequests(loginUrls.slice(0, authIdx));
    const firstReq = providerRequests(loginUrls.slice(authIdx + 1));
    const memAfter = await heap(p);

    // (b) a new client in the warm page, (c) the page's client again. Each batch: `batchSize`
    // logins started with the page's client (their transactions wait side by side), then their
    // responses processed one after the other; a sample is the mean time per callback.
    const fresh = [];
    const same = [];
    for (let i = 0; i < warmRepeats; i++) {
      for (const kind of i % 2 ? ['same', 'new'] : ['new', 'same']) {
        const urls = [];
        for (let j = 0; j < batchSize; j++) urls.push(await captureLogin(p));
        const mark = requests.length;
        const c0 = await p.cpu();
        const r = await page.evaluate(([k, u]) => bench.callbackBatch(k, u), [kind, urls]);
        const cpu = cpuSince(c0, await p.cpu());
        await sleep(10);
        (kind === 'new' ? fresh : same).push({ ms: r.ms, cpuMs: cpu.thread / batchSize, provider: providerRequests(requests.slice(mark)), batch: batchSize });
      }
    }
    return { first: { ms: first.ms, bootMs: first.bootMs, cpu: firstCpu, provider: firstReq }, login: beforeRedirect, memAfter, fresh, same };
  } finally {
    await closeContext(p.ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// 6: the authorization code flow: first callback in a fresh page, then refresh-token renewals

// What the provider itself saw (so that requests from a library's Web Worker count, and CORS
// preflights show): { total, byPath } like providerRequests, a preflight as 'OPTIONS <path>'.
// Paths in a fixed order: requests made side by side (ours fetches the JWKS alongside the code
// exchange) arrive in either order, which is not a difference between samples.
function providerSaw(list) {
  const keys = list.map((r) => (r.method === 'OPTIONS' ? `OPTIONS ${r.path}` : r.path)).sort();
  const byPath = {};
  for (const k of keys) byPath[k] = (byPath[k] ?? 0) + 1;
  return { total: list.length, byPath };
}

// `dpop`: the library's DPoP page instead, where every grant must be DPoP-bound, to one key;
// `more(p)`, what else to measure in that page once the renewals are done (its answer is `more`).
async function codeSample(lib, renewals, { dpop = false, more } = {}) {
  const { provider } = servers;
  const p = await freshPage();
  const { page } = p;
  try {
    const started = p.nextDone(`start of ${lib} (code flow)`);
    await page.goto(`${servers.appOrigin}/app/${(dpop ? DPOP_PAGE : CODE_PAGE)[lib]}.html?mode=idle`);
    await started;

    // (a) The provider redirects back with a code; the callback page creates a client and
    // handles its address: the POST to the token endpoint and the ID token's checks included.
    provider.mode = 'redirect';
    const mark = provider.requests.length;
    const exchangeMark = provider.grants.length;
    const done = p.nextDone(`first code-flow callback of ${lib}`);
    await page.evaluate(() => bench.login());
    const first = await done;
    const firstCpu = documentCpu(await p.cpu());
    if (first.sub !== 'bench|alice') throw new Error(`${lib}: the code-flow callback gave sub ${first.sub}`);
    await sleep(30);
    const seen = provider.requests.slice(mark);
    const authIdx = seen.findIndex((r) => r.path === '/authorize');
    const login = providerSaw(seen.slice(0, authIdx));
    const firstReq = providerSaw(seen.slice(authIdx + 1));
    // The keys (JWK thumbprints) the grants were bound to: null for a bearer grant.
    const keys = new Set(provider.grants.slice(exchangeMark).map((g) => g.jkt));

    // (b) Renewals past the cache with the refresh token the callback got, one after the other.
    const renew = [];
    let last;
    for (let i = 0; i < renewals; i++) {
      const rMark = provider.requests.length;
      const gMark = provider.grants.length;
      const c0 = await p.cpu();
      const r = await page.evaluate(() => bench.renew());
      const cpu = cpuSince(c0, await p.cpu());
      await sleep(10);
      const grants = provider.grants.slice(gMark);
      const ok = grants.length === 1 && grants[0].grant_type === 'refresh_token' && grants[0].ok && grants[0].access_token === r.token;
      if (!ok || r.token === last) throw new Error(`${lib}: a renewal gave ${r.token} after grants ${JSON.stringify(grants.map((g) => [g.grant_type, g.ok, g.error]))}`);
      for (const g of grants) keys.add(g.jkt);
      last = r.token;
      renew.push({ ms: r.ms, cpuMs: cpu.thread, provider: providerSaw(provider.requests.slice(rMark)) });
    }
    // The code exchange and every renewal bound to one key (DPoP), or none bound.
    if (keys.size !== 1 || keys.has(null) === dpop) {
      throw new Error(`${lib}: the grants were bound to ${JSON.stringify([...keys])}`);
    }
    return { first: { ms: first.ms, bootMs: first.bootMs, cpu: firstCpu, provider: firstReq }, login, renew, more: await more?.(p) };
  } finally {
    await closeContext(p.ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// 7: DPoP. In each fresh context, the library's DPoP page logs in and renews as in section 6
// (the renewals are the DPoP renewal rows), then makes proofs and calls the API.

const dpopSample = (lib, N) => codeSample(lib, N.renewals, { dpop: true, more: (p) => dpopCalls(lib, p, N) });

// Throws unless `proof` is a DPoP proof for a GET of `url` with `accessToken` (the API does not
// check, so the harness does, once per context).
function checkProof(lib, proof, url, accessToken) {
  const [h, b] = proof.split('.').slice(0, 2).map((x) => JSON.parse(Buffer.from(x, 'base64url').toString('utf8')));
  const ath = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
  const ok = h.typ === 'dpop+jwt' && h.alg === 'ES256' && h.jwk?.kty === 'EC' && h.jwk.d === undefined &&
    b.htm === 'GET' && b.htu === url && b.ath === ath && typeof b.jti === 'string' && typeof b.iat === 'number';
  if (!ok) throw new Error(`${lib}: not a DPoP proof for GET ${url}: ${JSON.stringify([h, b])}`);
}

async function dpopCalls(lib, p, N) {
  const { page } = p;
  const url = `${servers.api.origin}/api/ping`;
  // Proofs, warm: the page's first generateDpopProof call is not recorded.
  await page.evaluate((u) => bench.proofLoop(1, u), url);
  const c0 = await p.cpu();
  const proofs = await page.evaluate(([n, u]) => bench.proofLoop(n, u), [N.proofs, url]);
  const proofCpu = cpuSince(c0, await p.cpu()).thread / N.proofs;
  checkProof(lib, proofs.proof, url, proofs.accessToken);

  // API calls. Ours also logs in a bearer client in this page, to compare fetchWithAuth with
  // and without DPoP. Each way calls once unrecorded (the preflight, then cached), then batches
  // of the ways interleaved.
  if (lib === 'ours') {
    const sub = await page.evaluate((u) => bench.bearerCallback(u), await captureLogin(p, 'bearerLogin'));
    if (sub !== 'bench|alice') throw new Error(`ours: the bearer client's login gave sub ${sub}`);
  }
  const seen = servers.api.requests;
  const kinds = API_CALLS[lib];
  for (const kind of kinds) await page.evaluate(([k, u]) => bench.apiLoop(k, 1, u), [kind, url]);
  const calls = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < N.apiRounds; i++) {
    for (const kind of rotate(kinds, i)) {
      const mark = seen.length;
      const a = await p.cpu();
      const r = await page.evaluate(([k, n, u]) => bench.apiLoop(k, n, u), [kind, N.apiCalls, url]);
      const cpu = cpuSince(a, await p.cpu()).thread / N.apiCalls;
      await sleep(10);
      // Each call one GET with the scheme of its kind, and a DPoP proof exactly when DPoP.
      const gets = seen.slice(mark).filter((x) => x.method === 'GET');
      const want = kind === 'dpop' ? 'DPoP' : 'Bearer';
      if (gets.length !== N.apiCalls || gets.some((x) => x.scheme !== want || x.dpop !== (kind === 'dpop'))) {
        throw new Error(`${lib} ${kind}: the API saw ${JSON.stringify(seen.slice(mark))}`);
      }
      const preflights = seen.slice(mark).filter((x) => x.method === 'OPTIONS').length;
      calls[kind].push({ times: r.times, cpuMs: cpu, preflights: preflights / N.apiCalls });
    }
  }
  return { proof: { times: proofs.times, cpuMs: proofCpu, isolated: proofs.isolated }, calls };
}

// ---------------------------------------------------------------------------------------------
// 4: cache-hit token reads

const TOKEN_LIBS = ['ours', 'auth0-spa-js', 'oidc-client', 'oidc-client-ts'];

async function tokenPage(lib) {
  const p = await freshPage();
  const { page } = p;
  const started = p.nextDone(`start of ${lib}`);
  await page.goto(`${servers.appOrigin}/app/${lib}.html?mode=idle`);
  await started;
  if (lib === 'ours' || lib === 'oidc-client') {
    // A real login: these keep what a validated callback gave them.
    const url = await captureLogin(p);
    await page.evaluate((u) => bench.sameClientCallback(u), url);
    p.expected = new URLSearchParams(new URL(url).hash.slice(1)).get('access_token');
    const got = await page.evaluate(() => lib.readToken(window.client));
    if (got !== p.expected) throw new Error(`${lib}: the cached token read gave ${got}`);
  } else {
    const tokens = servers.provider.mintTokens({ nonce: 'seeded' });
    p.expected = tokens.access_token;
    const got = await page.evaluate((t) => bench.seed(t), tokens);
    if (got !== p.expected) throw new Error(`${lib}: the seeded token read gave ${got}`);
  }
  return p;
}

async function readBatch(t, n) {
  const mark = t.requests.length;
  const c0 = await t.cpu();
  const r = await t.page.evaluate((n) => bench.readLoop(n), n);
  const cpu = cpuSince(c0, await t.cpu());
  if (r.last !== t.expected) throw new Error(`a token read gave ${r.last}`);
  return { opsPerSec: (n / r.ms) * 1000, opsPerCpuSec: (n / cpu.thread) * 1000, ms: r.ms, requests: t.requests.length - mark };
}

// ---------------------------------------------------------------------------------------------
// The run

function machine() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim();
    if (execSync('git status --porcelain -- src pkg-template Cargo.toml Cargo.lock', { cwd: ROOT, encoding: 'utf8' }).trim()) commit += ' (with uncommitted changes)';
  } catch {}
  return {
    cpu: model,
    cores: cpus().length,
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    chromium: browser.version(),
    playwright: createRequire(join(ROOT, 'package.json'))('playwright-core/package.json').version,
    esbuild: installedVersion('esbuild'),
    auth0SpaJs: installedVersion('@auth0/auth0-spa-js'),
    ours: JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version,
    wasmSha256: createHash('sha256').update(readFileSync(join(PKG, 'spa_login_bg.wasm'))).digest('hex').slice(0, 12),
    commit,
    loadBefore: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

async function main() {
  ensureInstalled();
  await ensurePackage();
  await buildPages();
  let sizes;
  if (!ONLY) {
    log('sizes');
    sizes = await measureSizes(PKG);
  }

  const { startServers } = await import('./servers.mjs');
  const pw = await import(pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('playwright-core')).href);
  const chromium = pw.chromium ?? pw.default.chromium;
  servers = await startServers({ distDir: DIST, pkgDir: PKG });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const env = machine();
  const N = QUICK
    ? { cold: 3, callback: 2, warm: 2, batch: 3, tokenRounds: 3, memEvery: 1, code: 2, codeFar: 2, renewals: 2, dpop: 2, proofs: 10, apiRounds: 2, apiCalls: 5 }
    : { cold: 101, callback: 41, warm: 2, batch: 5, tokenRounds: 25, memEvery: 5, code: 31, codeFar: 15, renewals: 3, dpop: 21, proofs: 40, apiRounds: 2, apiCalls: 20 };

  try {
    const phase = {};
    let t = Date.now();
    const lap = (name) => { phase[name] = Math.round((Date.now() - t) / 1000); t = Date.now(); };
    // Alone, the phase also runs section 6's code flow for the same libraries (their renewals
    // without DPoP), interleaved with it.
    const dpopPhase = async () => {
      log(`DPoP: ${N.dpop} fresh contexts per library, ${N.renewals} renewals, ${N.proofs} proofs and ${N.apiRounds}×${N.apiCalls} API calls of each kind in each, interleaved${ONLY ? ', and as many without DPoP' : ''}`);
      const dpop = Object.fromEntries(DPOP_LIBS.map((l) => [l, []]));
      const code = Object.fromEntries(DPOP_LIBS.map((l) => [l, []]));
      for (let i = 0; i < N.dpop; i++) {
        for (const lib of rotate(DPOP_LIBS, i)) {
          dpop[lib].push(await dpopSample(lib, N));
          if (ONLY) code[lib].push(await codeSample(lib, N.renewals));
        }
      }
      lap('DPoP');
      return { dpop, code };
    };
    if (ONLY) {
      // Warm-up, not recorded, as below.
      for (const lib of DPOP_LIBS) await dpopSample(lib, N);
      lap('warm-up');
      const { dpop, code } = await dpopPhase();
      env.phaseSeconds = phase;
      env.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
      const results = { env, N, dpop: summarizeDpop(dpop), code: Object.fromEntries(DPOP_LIBS.map((l) => [l, summarizeCode(code[l])])), raw: { dpop, code } };
      writeFileSync(join(DIST, 'results-dpop.json'), JSON.stringify(results, null, 2));
      const L = [];
      dpopSection(results, (line = '') => L.push(line));
      console.log(L.join('\n'));
      log(`machine: ${env.cpu}, ${env.cores} cores, load ${env.loadBefore} before, ${env.loadAfter} after; ${JSON.stringify(phase)} s`);
      return;
    }
    // Warm-up, not recorded: the first contexts and pages of a new browser are slower.
    for (const lib of COLD_LIBS) await coldSample(lib);

    lap('warm-up');
    log(`cold start: ${N.cold} fresh contexts per library, interleaved`);
    const cold = Object.fromEntries(COLD_LIBS.map((l) => [l, []]));
    for (let i = 0; i < N.cold; i++) for (const lib of rotate(COLD_LIBS, i)) cold[lib].push(await coldSample(lib, i % N.memEvery === 0));

    lap('cold start');
    log(`callbacks: ${N.callback} fresh contexts per library, ${N.warm} warm repeats each, interleaved`);
    const cb = Object.fromEntries(CALLBACK_LIBS.map((l) => [l, []]));
    for (let i = 0; i < N.callback; i++) for (const lib of rotate(CALLBACK_LIBS, i)) cb[lib].push(await callbackSample(lib, N.warm, N.batch));

    lap('callbacks');
    log(`code flow: ${N.code} fresh contexts per library, ${N.renewals} renewals each, interleaved`);
    const code = Object.fromEntries(CODE_LIBS.map((l) => [l, []]));
    for (let i = 0; i < N.code; i++) for (const lib of rotate(CODE_LIBS, i)) code[lib].push(await codeSample(lib, N.renewals));

    lap('code flow');
    log(`code flow, provider ${FAR_MS} ms away: ${N.codeFar} fresh contexts per library, interleaved`);
    const codeFar = Object.fromEntries(CODE_LIBS.map((l) => [l, []]));
    servers.provider.delayMs = FAR_MS;
    try {
      for (let i = 0; i < N.codeFar; i++) for (const lib of rotate(CODE_LIBS, i)) codeFar[lib].push(await codeSample(lib, 0));
    } finally {
      servers.provider.delayMs = 0;
    }

    lap('code flow, far provider');
    const { dpop } = await dpopPhase();

    log(`cache-hit token reads: ${N.tokenRounds} rounds, interleaved`);
    const pages = {};
    for (const lib of TOKEN_LIBS) pages[lib] = await tokenPage(lib);
    // Batches of about 200 ms each (on an idle machine): the count comes from a first, unrecorded batch.
    const batch = {};
    for (const lib of TOKEN_LIBS) {
      await readBatch(pages[lib], 1000);
      let best = Infinity;
      for (let i = 0; i < 3; i++) best = Math.min(best, (await readBatch(pages[lib], 2000)).ms);
      batch[lib] = Math.max(500, Math.min(500000, Math.round((2000 * 200) / best)));
    }
    const tokens = Object.fromEntries(TOKEN_LIBS.map((l) => [l, []]));
    for (let i = 0; i < N.tokenRounds; i++) for (const lib of rotate(TOKEN_LIBS, i)) tokens[lib].push(await readBatch(pages[lib], batch[lib]));
    for (const lib of TOKEN_LIBS) await pages[lib].ctx.close();

    lap('token reads');
    env.phaseSeconds = phase;
    env.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
    const results = summarize({ sizes, cold, cb, code, codeFar, dpop, tokens, batch, N, env });
    const elapsed = Math.round((Date.now() - started) / 1000);
    results.elapsedSeconds = elapsed;
    // The previous run's results become results-previous.json, for the agreement section.
    let prev;
    try {
      prev = JSON.parse(readFileSync(join(DIST, 'results.json'), 'utf8'));
      renameSync(join(DIST, 'results.json'), join(DIST, 'results-previous.json'));
    } catch {}
    const a = agreement(results, prev);
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), report(results, a));
    writeFileSync(join(DIST, 'results.json'), JSON.stringify(results, null, 2));
    printAgreement(a);
    console.log(summaryLine(results));
  } finally {
    await browser.close();
    await servers.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Results

function summarize({ sizes, cold, cb, code, codeFar, dpop, tokens, batch, N, env }) {
  const out = { env, sizes, N, cold: {}, memory: {}, callback: {}, code: {}, tokens: {} };
  const withMem = (samples) => samples.filter((s) => s.mem);
  const floor = median(withMem(cold.none).map((s) => s.mem.js));
  for (const [lib, samples] of Object.entries(cold)) {
    out.cold[lib] = {
      ...stat(samples.map((s) => s.ms)),
      bootMs: median(samples.map((s) => s.bootMs)),
      cpuThread: median(samples.map((s) => s.cpu.thread)),
      // From the samples that also waited 50 ms after ready, for requests made in the background.
      provider: withMem(samples)[0].provider,
      providerVaries: new Set(withMem(samples).map((s) => describeRequests(s.provider))).size > 1,
      appRequests: mode(samples.map((s) => s.appRequests)),
    };
    const js = withMem(samples).map((s) => s.mem.js);
    out.memory[lib] = {
      js: stat(js),
      jsOverFloor: median(js) - floor,
      wasm: median(withMem(samples).map((s) => s.mem.wasm ?? 0)) || null,
    };
  }
  for (const [lib, samples] of Object.entries(cb)) {
    const part = (list) => {
      const per = list.map((s) => describeRequests(s.provider, s.batch ?? 1));
      return {
        ...stat(list.map((s) => s.ms)),
        ...(list[0].cpuMs !== undefined ? { cpuThread: median(list.map((s) => s.cpuMs)) } : {}),
        requests: mode(per),
        requestsVary: new Set(per).size > 1,
      };
    };
    out.callback[lib] = {
      login: mode(samples.map((s) => describeRequests(s.login))),
      first: {
        ...part(samples.map((s) => s.first)),
        bootMs: median(samples.map((s) => s.first.bootMs)),
        cpuThread: median(samples.map((s) => s.first.cpu.thread)),
      },
      fresh: part(samples.flatMap((s) => s.fresh)),
      same: part(samples.flatMap((s) => s.same)),
      memAfter: {
        js: median(samples.map((s) => s.memAfter.js)),
        wasm: median(samples.map((s) => s.memAfter.wasm ?? 0)),
        n: samples.length,
      },
    };
  }
  for (const [lib, samples] of Object.entries(code)) out.code[lib] = summarizeCode(samples);
  out.codeFar = Object.fromEntries(Object.entries(codeFar).map(([lib, samples]) => [lib, summarizeCode(samples).first]));
  for (const [lib, samples] of Object.entries(tokens)) {
    out.tokens[lib] = {
      ...stat(samples.map((s) => s.opsPerSec)),
      best: Math.max(...samples.map((s) => s.opsPerSec)),
      perCpuSec: median(samples.map((s) => s.opsPerCpuSec)),
      batch: batch[lib], requests: samples.reduce((n, s) => n + s.requests, 0) };
  }
  out.dpop = summarizeDpop(dpop);
  out.memory.floor = floor;
  out.raw = { cold, callback: cb, code, codeFar, dpop, tokens };
  return out;
}

const stat = (xs) => ({ median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75), n: xs.length });

// The code-flow samples of one library (codeSample): its first callbacks and its renewals.
function summarizeCode(samples) {
  const reqs = (list) => {
    const per = list.map((s) => describeRequests(s.provider));
    return { requests: mode(per), requestsVary: new Set(per).size > 1 };
  };
  const renew = samples.flatMap((s) => s.renew);
  return {
    login: mode(samples.map((s) => describeRequests(s.login))),
    first: {
      ...stat(samples.map((s) => s.first.ms)),
      bootMs: median(samples.map((s) => s.first.bootMs)),
      cpuThread: median(samples.map((s) => s.first.cpu.thread)),
      ...reqs(samples.map((s) => s.first)),
    },
    renew: { ...stat(renew.map((s) => s.ms)), cpuThread: median(renew.map((s) => s.cpuMs)), ...reqs(renew) },
  };
}
// Calls timed one by one: the median and the 95th percentile of all of them.
const perCall = (times) => ({ ...stat(times), p95: quantile(times, 0.95) });

function summarizeDpop(dpop) {
  const out = { proof: {}, api: {}, renew: {}, first: {} };
  for (const [lib, samples] of Object.entries(dpop)) {
    const proofs = samples.map((s) => s.more.proof);
    out.proof[lib] = { ...perCall(proofs.flatMap((x) => x.times)), cpuThread: median(proofs.map((x) => x.cpuMs)), isolated: proofs.every((x) => x.isolated) };
    for (const kind of API_CALLS[lib]) {
      const batches = samples.flatMap((s) => s.more.calls[kind]);
      out.api[`${lib} ${kind}`] = {
        ...perCall(batches.flatMap((b) => b.times)),
        cpuThread: median(batches.map((b) => b.cpuMs)),
        preflights: batches.reduce((n, b) => n + b.preflights, 0) / batches.length,
      };
    }
    // The first callback too, in the raw results only: it is not section 6 (a) with DPoP. The
    // isolated callback page gets a new renderer process after the provider's redirect (ours
    // compiles its wasm again there), and auth0-spa-js makes its key before the redirect (for
    // dpop_jkt), ours at the code exchange.
    ({ renew: out.renew[lib], first: out.first[lib] } = summarizeCode(samples));
  }
  return out;
}

const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
// Sub-millisecond calls timed one by one (DPoP): one more digit.
const ms3 = (x) => (x < 1 ? x.toFixed(3) : ms(x));
const ratio = (peer, ours) => `${(peer / ours).toFixed(2)}×`;
const mib = (b) => (b / 2 ** 20).toFixed(2);
const intfmt = (x) => Math.round(x).toLocaleString('en-US');

function report(r, agreed) {
  const { env, sizes, N } = r;
  const L = [];
  const p = (s = '') => L.push(s);
  const o = sizes.ours;
  p('# Benchmarks');
  p();
  p('spa-login side by side with the libraries an app would otherwise use, measured in one run of');
  p('`npm run bench` with the libraries interleaved. Written by `bench/run.mjs`; do not edit by hand.');
  p();
  p('Every number is a median; the sample count is given with each table, and p25–p75 shows the');
  p('spread. "× ours" is the peer\'s number divided by ours: above 1 means the peer is bigger or');
  p('slower (for sizes, times and memory) or faster (for reads per second).');
  p();
  p('## Machine and versions');
  p();
  p('| | |');
  p('|---|---|');
  p(`| CPU | ${env.cpu}, ${env.cores} cores (shared with other work: load average ${env.loadBefore} before, ${env.loadAfter} after) |`);
  p(`| memory | ${env.memGiB} GiB |`);
  p(`| Node | ${env.node} |`);
  p(`| Chromium | ${env.chromium} (Debian, headless, via playwright-core ${env.playwright}) |`);
  p(`| spa-login | ${env.ours}, commit ${env.commit}, pkg/ as built then (spa_login_bg.wasm sha256 ${env.wasmSha256}…) |`);
  for (const [lib, pkg] of Object.entries(PEER_PACKAGE)) p(`| ${pkg} | ${sizes.peers[pkg].version} |`);
  p(`| esbuild | ${env.esbuild} |`);
  p(`| run time | ${r.elapsedSeconds} s (${Object.entries(env.phaseSeconds).map(([k, v]) => `${k} ${v} s`).join(', ')}) |`);
  p();

  p('## 1. Shipped size');
  p();
  p('What an app downloads, in bytes. Ours: the entry (with its effects module), the wasm-bindgen');
  p(`glue and the .wasm (${o.files}), the JS minified by the build. "Minified" bundles our JS into one file with esbuild`);
  p('(as an app\'s build would; the .wasm stays a file of its own); "as shipped" is the files of');
  p('pkg/ as they are. Each file is compressed on its own (they are separate downloads) and the');
  p('sizes are added. Peers: an esbuild bundle (minified, browser platform, ESM,');
  p('`process.env.NODE_ENV=production`) of what a typical app imports.');
  p();
  p('| package | import | raw | gzip -9 | brotli 11 | gzip × ours |');
  p('|---|---|--:|--:|--:|--:|');
  p(`| **spa-login, minified** | \`import { createClient } from 'spa-login'\` | ${o.minified.raw} | ${o.minified.gzip} | ${o.minified.brotli} | 1.00× |`);
  p(`| spa-login, as shipped | same | ${o.shipped.raw} | ${o.shipped.gzip} | ${o.shipped.brotli} | ${ratio(o.shipped.gzip, o.minified.gzip)} |`);
  p(`| of which .wasm | | ${o.wasm.raw} | ${o.wasm.gzip} | ${o.wasm.brotli} | ${ratio(o.wasm.gzip, o.minified.gzip)} |`);
  for (const [name, s] of Object.entries(sizes.peers)) {
    p(`| ${name} ${s.version} | \`${s.import}\` | ${s.raw} | ${s.gzip} | ${s.brotli} | ${ratio(s.gzip, o.minified.gzip)} |`);
  }
  p();
  p('Our files as shipped: ' + o.shippedFiles.map((f) => `${f.file} ${f.raw} B (${f.gzip} gzip)`).join('; ') + '.');
  p();
  p('### The framework bindings');
  p();
  p('What an app adds with a binding, in bytes, the framework itself not counted (it is the app\'s).');
  p('Ours are files of the package that import the entry: "alone" is what a binding adds to an');
  p('app that uses the client, "with the client" adds the entry, glue and .wasm as shipped. The');
  p('peers\' builds carry @auth0/auth0-spa-js inline: an esbuild bundle as above, the framework');
  p('(and vue-router) external.');
  p();
  p('| package | import | raw | gzip -9 | brotli 11 |');
  p('|---|---|--:|--:|--:|');
  for (const [framework, b] of Object.entries(sizes.bindings)) {
    p(`| spa-login/${framework} alone | \`${b.ours.file}\` | ${b.ours.alone.raw} | ${b.ours.alone.gzip} | ${b.ours.alone.brotli} |`);
    p(`| spa-login/${framework} with the client | same + entry, glue, .wasm | ${b.ours.withClient.raw} | ${b.ours.withClient.gzip} | ${b.ours.withClient.brotli} |`);
    p(`| ${b.peer.name} ${b.peer.version} | \`${b.peer.import}\` | ${b.peer.raw} | ${b.peer.gzip} | ${b.peer.brotli} |`);
  }
  p();

  p('## 2. Cold start');
  p();
  p(`From navigation start to a ready client with no session, in a fresh browser context (empty`);
  p('HTTP cache and storage) each sample; the context first loads a blank page of the same origin,');
  p('so the renderer process is already running. Time is `performance.now()` at ready minus the');
  p('navigation entry\'s `fetchStart` (which equals `performance.timeOrigin` but for a fraction of a');
  p('millisecond), measured inside the page. Every library loads from the app origin (the HTML, the');
  p('page\'s bundle, for ours also the .wasm) and talks to a fake OpenID');
  p('Provider on another loopback origin. Ready means:');
  p();
  p('- **spa-login**: `await createClient({ issuer, clientId, ... })` then `await isAuthenticated()`.');
  p('  Issuer only, so metadata comes from discovery, when first needed. Bundled with the page by');
  p('  esbuild like the peers, the .wasm beside the bundle (what Vite or webpack emit). "Unbundled" is');
  p('  pkg/ as shipped, loaded through an import map (a plain `<script type="module">` app): the');
  p('  entry imports the glue: two module requests.');
  p('  "`createAuth0Client`" is ours through auth0-spa-js\'s call, with the auth0-spa-js page\'s options');
  p('  (`domain`, `clientId`, `cacheLocation: \'memory\'`) then `await isAuthenticated()`: its');
  p('  `checkSession()` finds no session hint (`sessionCheckExpiryDays`, default 1 for it) and');
  p('  returns without a silent request, as auth0-spa-js\'s does without its cookie.');
  p('- **auth0-js**: `new WebAuth({ domain, clientID, ... })` (synchronous; it has no session state).');
  p('- **auth0-spa-js**: `await createAuth0Client({ domain, clientId, cacheLocation: \'memory\' })` then');
  p('  `await isAuthenticated()`. `createAuth0Client` runs `checkSession()`, which finds no');
  p('  `auth0.<clientId>.is.authenticated` cookie and returns without a silent request.');
  p('- **oidc-client** and **oidc-client-ts**: `new UserManager({ authority, ... })` then `await getUser()`.');
  p('- **empty page**: the same page with no library: the floor of page load.');
  p();
  p('"Code runs at" is when the page\'s module started (the rest of the time is the library\'s start);');
  p('"over floor" is the median minus the empty page\'s median; "app requests" counts the HTML,');
  p('scripts and the .wasm. "Main-thread CPU" is the CPU time of the page\'s main thread since the');
  p('document started (CDP `Performance.getMetrics` `ThreadTime`, read at ready): it depends far');
  p('less on what else the machine is doing than the wall-clock time, but leaves out the work of');
  p('other threads (wasm compilation, WebCrypto, the network).');
  p();
  p(`| library | median ms | p25–p75 | × ours | main-thread CPU ms | code runs at, ms | over floor, ms | samples | provider requests | app requests |`);
  p('|---|--:|--:|--:|--:|--:|--:|--:|---|--:|');
  const floor = r.cold.none.median;
  for (const lib of COLD_LIBS) {
    const c = r.cold[lib];
    p(`| ${LABEL[lib]} | ${ms(c.median)} | ${ms(c.p25)}–${ms(c.p75)} | ${lib === 'ours' ? '1.00×' : ratio(c.median, r.cold.ours.median)} | ${ms(c.cpuThread)} | ${ms(c.bootMs)} | ${lib === 'none' ? '' : ms(c.median - floor)} | ${c.n} | ${describeRequests(c.provider)}${c.providerVaries ? ' (varies)' : ''} | ${c.appRequests} |`);
  }
  p();

  p('## 3. Callback cost');
  p();
  p('Processing one valid `id_token token` response (RS256 ID token with `nonce` and `at_hash`,');
  p('minted in node by the fake provider for the state and nonce of a login the library itself');
  p('started). Discovery and JWKS are served with `Cache-Control: no-store`, so every fetch the');
  p('table lists is one the library chose to make.');
  p();
  p('- **(a) first callback**: in a fresh context, the library starts a login (`loginWithRedirect()`,');
  p('  `authorize()`, `signinRedirect()`), the provider redirects back with the response, and the');
  p('  callback page creates a client and processes `location`. Time from the callback page\'s');
  p('  `fetchStart` (after the redirect) to done: page load from the HTTP cache, library start (for');
  p('  ours, wasm compile and instantiate), discovery and JWKS fetches, validation, and the');
  p('  response out of the address bar. Ours takes it out itself; for a library that leaves it');
  p('  there, the page does what its apps do (react-oidc-context\'s `onSigninCallback`,');
  p('  auth0-react\'s `onRedirectCallback`, oidc-client\'s samples): `history.replaceState` to the path.');
  p('- **(b) new client, warm page**: in that page, a login started with the page\'s client (the');
  p('  provider answers 204, so the page stays) and a **new** client processes the response URL.');
  p('- **(c) same client**: the same, processed by the page\'s client, which has handled a response');
  p('  before.');
  p();
  p(`Samples: (a) ${N.callback} fresh contexts per library; (b) and (c) ${N.callback * N.warm} batches each (${N.warm} in each context), a batch being ${N.batch} callbacks in a row whose mean is the sample (performance.now() is coarse, 0.1 ms, in a page that is not cross-origin isolated). Main-thread CPU as in section 2: for (a) the callback document\'s; for (b) and (c) during the batch, per callback.`);
  p();
  p('| library | (a) first callback, ms | p25–p75 | × ours | main-thread CPU ms | code runs at, ms | samples |');
  p('|---|--:|--:|--:|--:|--:|--:|');
  const cbo = r.callback.ours;
  for (const lib of CALLBACK_LIBS) {
    const c = r.callback[lib].first;
    p(`| ${LABEL[lib]} | ${ms(c.median)} | ${ms(c.p25)}–${ms(c.p75)} | ${lib === 'ours' ? '1.00×' : ratio(c.median, cbo.first.median)} | ${ms(c.cpuThread)} | ${ms(c.bootMs)} | ${c.n} |`);
  }
  p('| @auth0/auth0-spa-js | n/a | | | | | |');
  p('| oidc-client-ts | n/a | | | | | |');
  p();
  p('| library | (b) new client, ms | p25–p75 | × ours | main-thread CPU ms | (c) same client, ms | p25–p75 | × ours | main-thread CPU ms |');
  p('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const lib of CALLBACK_LIBS) {
    const c = r.callback[lib];
    const cell = (k) => `${ms(c[k].median)} | ${ms(c[k].p25)}–${ms(c[k].p75)} | ${lib === 'ours' ? '1.00×' : ratio(c[k].median, cbo[k].median)} | ${ms(c[k].cpuThread)}`;
    p(`| ${LABEL[lib]} | ${cell('fresh')} | ${cell('same')} |`);
  }
  p('| @auth0/auth0-spa-js | n/a | | | | n/a | | | |');
  p('| oidc-client-ts | n/a | | | | n/a | | | |');
  p();
  p('Requests to the provider, as observed (page.on(\'request\')):');
  p();
  p('| library | starting the login | (a) first callback | (b) new client | (c) same client |');
  p('|---|---|---|---|---|');
  for (const lib of CALLBACK_LIBS) {
    const c = r.callback[lib];
    const cell = (k) => c[k].requests + (c[k].requestsVary ? ' (varies)' : '');
    p(`| ${LABEL[lib]} | ${c.login} (then /authorize) | ${cell('first')} | ${cell('fresh')} | ${cell('same')} |`);
  }
  p();
  p('What each does at the callback (from their sources in bench/node_modules and the requests above):');
  p();
  p('- **spa-login**: `handleRedirectCallback()` parses the fragment strictly, takes the transaction');
  p('  by state, which carries the discovery document the login used, and the JWKS when it is not');
  p('  cached yet (on a fresh callback page, the package asked for it as it loaded, the transaction');
  p('  naming its URL; the cache outlives the client: a new client in the same page fetched nothing),');
  p('  verifies the RS256 signature with WebCrypto, checks the claims, nonce and at_hash (SHA-256 in');
  p('  the wasm), stores the tokens and cleans the address bar. ' + cacheNote(r.callback.ours));
  p('- **auth0-js**: `parseHash()` reads the transaction (state, nonce) from its cookie');
  p('  `com.auth0.auth.<state>`; idtoken-verifier checks the ID token (RS256 in JavaScript, jsbn) with');
  p('  a JWKS fetched from `<issuer>.well-known/jwks.json` with no cache by default (a new verifier per');
  p('  call), then at_hash. ' + cacheNote(r.callback['auth0-js']) + ' It stores nothing: the app keeps the tokens.');
  p('- **oidc-client**: `signinRedirectCallback()` reads the state from localStorage, loads the metadata');
  p('  (discovery) and signing keys (JWKS), verifies with jsrsasign, checks nonce and at_hash, and');
  p('  stores the user in sessionStorage. Metadata and keys are kept on the UserManager\'s settings. Its');
  p('  default `loadUserInfo: true` would add a `/userinfo` request after every callback with an access');
  p('  token; the bench sets it off, so that all do the same work. ' + cacheNote(r.callback['oidc-client']));
  p('- **auth0-spa-js**: n/a. It has only the authorization code flow with PKCE: its callback');
  p('  exchanges a code at `/oauth/token`; it does not process front-channel tokens (see section 6).');
  p('- **oidc-client-ts**: n/a. No implicit flow since v2 (`response_type` `code` only; see section 6).');
  p();

  p('## 4. Cache-hit token reads');
  p();
  p('Calls in a loop in the page, each awaited, with a valid cached token; ops/s from the time of a');
  p('batch (and, less dependent on the machine\'s load, per second of the main thread\'s CPU time).');
  p('Every read is checked to return the expected token, and no read may make a request.');
  p();
  p('- **spa-login**: `getAccessToken()` after a real login (the memory cache).');
  p('- **auth0-spa-js**: `getTokenSilently()` with a fresh token put in its memory cache the way its');
  p('  own code exchange does (`Auth0Client._saveEntryInCache`: the access-token entry for the default');
  p('  audience and its scope, and the ID token entry).');
  p('- **oidc-client**: `getUser()` (then `.access_token`) after a real login (sessionStorage).');
  p('- **oidc-client-ts**: `getUser()` (then `.access_token`) after `storeUser(new User(...))` (sessionStorage).');
  p('- **auth0-js**: n/a: it has no token cache (`parseHash` hands the tokens to the app).');
  p();
  p(`Samples: ${N.tokenRounds} batches per library, interleaved.`);
  p();
  p('| library | median ops/s | p25–p75 | × ours | best batch, ops/s | ops per CPU second | calls per batch | requests |');
  p('|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const lib of TOKEN_LIBS) {
    const t = r.tokens[lib];
    p(`| ${LABEL[lib]} | ${intfmt(t.median)} | ${intfmt(t.p25)}–${intfmt(t.p75)} | ${lib === 'ours' ? '1.00×' : ratio(t.median, r.tokens.ours.median)} | ${intfmt(t.best)} | ${intfmt(t.perCpuSec)} | ${t.batch} | ${t.requests} |`);
  }
  p('| auth0-js | n/a | | | | | | |');
  p();

  p('## 5. Memory');
  p();
  p('The page\'s JS heap (`Runtime.getHeapUsage` usedSize over CDP, after two');
  p('`HeapProfiler.collectGarbage`), after the cold start of section 2 (the same samples) and after');
  p('the first callback of section 3. "Over floor" subtracts the median heap of the empty page. Our');
  p('WebAssembly linear memory is not in the JS heap: it is read as `memory.buffer.byteLength` of the');
  p('instance\'s exports, caught by the bench page as the package instantiates its module;');
  p('peers have no wasm.');
  p();
  p(`| library | JS heap after init, MiB | over floor, KiB | × ours | wasm memory, MiB | JS heap after a login, MiB | wasm after a login, MiB |`);
  p('|---|--:|--:|--:|--:|--:|--:|');
  const oursTotal = r.memory.ours.jsOverFloor + (r.memory.ours.wasm ?? 0);
  for (const lib of COLD_LIBS) {
    const m = r.memory[lib];
    const after = r.callback[lib];
    const x = lib === 'none' ? '' : lib === 'ours' ? '1.00×' : ratio(m.jsOverFloor + (m.wasm ?? 0), oursTotal);
    p(`| ${LABEL[lib]} | ${mib(m.js.median)} | ${lib === 'none' ? '0' : intfmt(m.jsOverFloor / 1024)} | ${x} | ${m.wasm == null ? '–' : mib(m.wasm)} | ${after ? mib(after.memAfter.js) : ''} | ${after && lib === 'ours' ? mib(after.memAfter.wasm) : after ? '–' : ''} |`);
  }
  p();
  p(`"× ours" here compares each peer's heap over the floor with ours over the floor plus our wasm memory (${intfmt(oursTotal / 1024)} KiB). Samples: ${r.memory.ours.js.n} per library after init (every ${N.memEvery}th cold-start sample), ${N.callback} after a login.`);
  p();

  if (r.code) codeSection(r, p);
  if (r.dpop) dpopSection(r, p);
  targetsSection(r, p);
  agreementSection(agreed, p);
  p('## How to reproduce');
  p();
  p('```sh');
  p('npm run bench          # everything: installs bench/ deps and builds pkg/ if missing, writes BENCHMARKS.md');
  p('node bench/size.mjs    # sizes only, in a few seconds');
  p('BENCH_QUICK=1 npm run bench   # a few samples of each, to try the harness');
  p('BENCH_ONLY=dpop npm run bench # section 7 alone, printed (BENCHMARKS.md is left as it is)');
  p('```');
  p();
  p('bench/package.json pins the peers and esbuild exactly. The pages are in bench/pages/, the');
  p('loopback servers and the fake provider (discovery, JWKS with an RS256 key made with node:crypto,');
  p('tokens minted in node, DPoP proofs checked at its token endpoint) and the API of section 7');
  p('in bench/servers.mjs. Chromium runs headless with');
  p(`\`${CHROMIUM_ARGS.join(' ')}\`. The raw results of the last run are in bench/dist/results.json,`);
  p('those of the run before in bench/dist/results-previous.json.');
  p('Other processes may share the machine: medians of interleaved samples absorb most of that, but');
  p('compare runs from the same machine only.');
  p();
  return L.join('\n');
}

// Section 6: the authorization code flow, for the libraries that run it.
function codeSection(r, p) {
  const { N } = r;
  const co = r.code.ours;
  p('## 6. Authorization code flow');
  p();
  p('The authorization code flow with PKCE and refresh tokens, in the three libraries that run it.');
  p('The fake provider answers `/authorize` with a code in the query; its token endpoint');
  p('(`/oauth/token`, the `token_endpoint` of discovery and the path auth0-spa-js always uses; CORS)');
  p('checks the client, the redirect_uri and the PKCE verifier (S256), and answers with an access');
  p('token, an RS256 ID token minted in node for the nonce of the authorization request (with');
  p('at_hash), and a refresh token. A refresh_token grant answers new tokens (an ID token with no');
  p('nonce) and a new refresh token; each refresh token is accepted once (rotation).');
  p();
  p('- **(a) first callback**: in a fresh context, the library starts a login, the provider');
  p('  redirects back with `?code=…&state=…`, and the callback page creates a client and processes');
  p('  its address. Time from the callback page\'s `fetchStart` (after the redirect) to the');
  p('  library\'s promise resolving with the user logged in, as in section 3 (a): page load from the');
  p('  HTTP cache, library start, discovery and JWKS where the library fetches them, the code');
  p('  exchange (a POST with its CORS preflight where the library sends a header that needs one),');
  p('  the ID token checks, and the response out of the address bar (as in section 3 (a)).');
  p('- **(b) refresh-token renewal**: in that page, after the callback, a renewal that skips the');
  p('  cache, timed in the page from the call to its promise resolving with the new access token.');
  p(`  ${N.renewals} renewals one after the other per context, each a sample (the first of a page`);
  p('  included). The harness checks that each made exactly one refresh_token grant that');
  p('  succeeded and that the page got the access token that grant minted.');
  p();
  p('What each calls (the same options in (a) and (b), from their sources in bench/node_modules):');
  p();
  p('- **spa-login**: `createClient({ issuer, clientId, authorizationParams: { response_type: \'code\' },');
  p('  useRefreshTokens: true, cacheLocation: \'memory\' })`; (a) `loginWithRedirect()`, then');
  p('  `handleRedirectCallback()` and `getUser()`: the code is POSTed (form) to the `token_endpoint`');
  p('  of the discovery document the transaction carries (sent as the callback page loads, while the');
  p('  .wasm downloads and compiles, and taken over by the callback once it has checked the');
  p('  response), the ID token\'s signature verified with the JWKS (asked for as the page loaded) and');
  p('  its claims, nonce and at_hash checked.');
  p('  (b) `getAccessToken({ cacheMode: \'off\' })`:');
  p('  a refresh_token grant, and the returned ID token checked the same way.');
  p('- **auth0-spa-js**: `createAuth0Client({ domain: <provider origin>, clientId, useRefreshTokens: true,');
  p('  cacheLocation: \'memory\' })`; (a) `loginWithRedirect()`, then `handleRedirectCallback()` and');
  p('  `getUser()`: it reads no discovery and no JWKS (it checks the ID token\'s issuer, audience,');
  p('  times, nonce and `alg` header, not its signature), POSTs the code to `<domain>/oauth/token`');
  p('  with an `Auth0-Client` header (so a preflight), through its Web Worker, which keeps the');
  p('  refresh token when the cache is in memory.');
  p('  (b) `getTokenSilently({ cacheMode: \'off\' })`: a refresh_token grant through the worker.');
  p('- **oidc-client-ts**: `new UserManager({ authority, client_id, redirect_uri, scope })` (code flow');
  p('  with PKCE is its default; `loadUserInfo` is off by default); (a) `signinRedirect()`, then');
  p('  `signinRedirectCallback()`: discovery, the code POSTed (form) to the `token_endpoint`, the ID');
  p('  token decoded and its `sub` and nonce checked (no signature, issuer or audience check). (b)');
  p('  `signinSilent()`, which with a refresh token held makes a refresh_token grant (no iframe), the');
  p('  new ID token\'s `sub` checked against the old one\'s.');
  p();
  p(`Samples: ${N.code} fresh contexts per library, interleaved; (b) ${N.code * N.renewals} renewals per library. Main-thread CPU as in section 2: for (a) the callback document\'s; for (b) during the renewal.`);
  p();
  p('| library | (a) first callback, ms | p25–p75 | × ours | main-thread CPU ms | code runs at, ms | samples |');
  p('|---|--:|--:|--:|--:|--:|--:|');
  for (const lib of CODE_LIBS) {
    const c = r.code[lib].first;
    p(`| ${LABEL[lib]} | ${ms(c.median)} | ${ms(c.p25)}–${ms(c.p75)} | ${lib === 'ours' ? '1.00×' : ratio(c.median, co.first.median)} | ${ms(c.cpuThread)} | ${ms(c.bootMs)} | ${c.n} |`);
  }
  p();
  if (r.codeFar) {
    const far = r.codeFar.ours;
    p(`(a) again with every answer of the provider ${FAR_MS} ms late, as from a provider across a network (the`);
    p(`loopback above has none): ${N.codeFar} fresh contexts per library, interleaved, after the others. The requests`);
    p('a library makes one after the other each wait; those it makes side by side wait together.');
    p();
    p('| library | (a) first callback, provider far away, ms | p25–p75 | × ours | samples |');
    p('|---|--:|--:|--:|--:|');
    for (const lib of CODE_LIBS) {
      const c = r.codeFar[lib];
      p(`| ${LABEL[lib]} | ${ms(c.median)} | ${ms(c.p25)}–${ms(c.p75)} | ${lib === 'ours' ? '1.00×' : ratio(c.median, far.median)} | ${c.n} |`);
    }
    p();
  }
  p('| library | (b) renewal, ms | p25–p75 | × ours | main-thread CPU ms | samples |');
  p('|---|--:|--:|--:|--:|--:|');
  for (const lib of CODE_LIBS) {
    const c = r.code[lib].renew;
    p(`| ${LABEL[lib]} | ${ms(c.median)} | ${ms(c.p25)}–${ms(c.p75)} | ${lib === 'ours' ? '1.00×' : ratio(c.median, co.renew.median)} | ${ms(c.cpuThread)} | ${c.n} |`);
  }
  p();
  p('Requests the provider received (its own log, so requests from a Web Worker and CORS preflights,');
  p('shown as `OPTIONS`, count):');
  p();
  p('| library | starting the login | (a) first callback | (b) one renewal |');
  p('|---|---|---|---|');
  for (const lib of CODE_LIBS) {
    const c = r.code[lib];
    const cell = (k) => c[k].requests + (c[k].requestsVary ? ' (varies)' : '');
    p(`| ${LABEL[lib]} | ${c.login} (then /authorize) | ${cell('first')} | ${cell('renew')} |`);
  }
  p();
}

// Section 7: DPoP, ours and auth0-spa-js, each with useDpop on its code-flow page.
function dpopSection(r, p) {
  const { N, env } = r;
  const d = r.dpop;
  const isolated = Object.values(d.proof).every((x) => x.isolated);
  const peer = env.auth0SpaJs;
  p('## 7. DPoP');
  p();
  p(`DPoP (RFC 9449) with \`useDpop: true\`, in spa-login and in @auth0/auth0-spa-js${peer ? ` ${peer}` : ''}, the peer that has`);
  p('it. Both make one ES256 (P-256) key pair per client with WebCrypto, the private key not');
  p('extractable, and keep it in IndexedDB. The fake provider\'s token endpoint checks every proof');
  p('(the ES256 signature with the key of its `jwk` header, `typ`, `htm`, `htu`, `iat`, a `jti` used');
  p('once), answers DPoP-bound tokens (`token_type: \'DPoP\'`) and binds the refresh token to the');
  p('key: a refresh needs a proof from the same key. It sends no `DPoP-Nonce`: no request is');
  p('retried for a nonce. The API, on a third loopback origin, answers `GET /api/ping` with 200 at');
  p('once and checks nothing, so that the differences are the clients\'; it records the');
  p('`Authorization` scheme and whether a `DPoP` header came, and the harness checks each call');
  p('(and one proof per context: `typ`, `alg`, public `jwk`, `htm`, `htu`, `ath`). Its preflight');
  p('(the headers are not CORS-safelisted) is cached (`Access-Control-Max-Age: 600`), so after');
  p('each kind\'s first call, unrecorded, a call is one GET.');
  p();
  p(`In each of ${N.dpop} fresh contexts per library (the libraries interleaved), the library's page`);
  p('logs in with the code flow and refresh tokens as in section 6, with the same options plus');
  p('`useDpop: true`, then:');
  p();
  p(`- **(a) proof**: ${N.proofs} calls of \`generateDpopProof({ url, method: 'GET', accessToken })\` one`);
  p('  after the other, each timed, after one call that is not recorded (warm). spa-login: the');
  p('  core asks the page for the public key (an IndexedDB read and a JWK export), the SHA-256 of');
  p('  the token (`ath`, WebCrypto) and the signature (an IndexedDB read and an ES256 sign), and');
  p('  builds the JWS. auth0-spa-js (its public `generateDpopProof`, which its own `fetchWithAuth`');
  p('  calls): one IndexedDB read of the key pair, a JWK export, the `ath` digest and the sign.');
  p(`- **(b) API call**: ${N.apiRounds} batches of ${N.apiCalls} calls per kind and context, the kinds interleaved,`);
  p('  each call timed to its body read. spa-login\'s bearer client is a second client in the');
  p('  same page (the same options without `useDpop`), logged in with its own code flow;');
  p('  `fetchWithAuth` reads the cached token (no renewal) and, with DPoP, makes a proof as in (a).');
  p('  The plain `fetch` sends the token the page already holds.');
  p('- **(c) DPoP renewal**: the renewals of section 6 (b) with DPoP: `getAccessToken({ cacheMode:');
  p('  \'off\' })` and `getTokenSilently({ cacheMode: \'off\' })`, a refresh_token grant with a proof.');
  p(`  ${N.renewals} per context, each a sample. The harness checks that each made one grant that succeeded,`);
  p('  that the page got the access token it minted, and that the code exchange and every renewal');
  p('  of a context were bound to one key. "Without DPoP" is section 6 (b) of the same run (with');
  p('  `BENCH_ONLY=dpop`: code-flow contexts of the two libraries interleaved with these).');
  p();
  p(isolated
    ? 'The DPoP pages are cross-origin isolated (COOP `same-origin`, COEP `require-corp`), where `performance.now()` is precise to microseconds (not 0.1 ms as in the other sections); their first callback is not reported, as isolation puts the callback page in a new renderer process. Main-thread CPU as in section 2, during the loop, per call: the WebCrypto and IndexedDB work runs on other threads and is left out.'
    : '**The DPoP pages were not cross-origin isolated in this run**: `performance.now()` is coarsened to 0.1 ms, which the per-call times below are rounded to. Main-thread CPU as in section 2, during the loop, per call.');
  p();
  p('| (a) DPoP proof | median ms | p95 ms | p25–p75 | × ours | main-thread CPU ms | calls |');
  p('|---|--:|--:|--:|--:|--:|--:|');
  for (const lib of DPOP_LIBS) {
    const x = d.proof[lib];
    p(`| ${LABEL[lib]} \`generateDpopProof\` | ${ms3(x.median)} | ${ms3(x.p95)} | ${ms3(x.p25)}–${ms3(x.p75)} | ${lib === 'ours' ? '1.00×' : ratio(x.median, d.proof.ours.median)} | ${ms3(x.cpuThread)} | ${x.n} |`);
  }
  p();
  const plain = d.api['ours fetch'];
  p('| (b) API call | median ms | p95 ms | p25–p75 | over plain fetch, ms | main-thread CPU ms | preflights per call | calls |');
  p('|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const [k, x] of Object.entries(d.api)) {
    p(`| ${API_LABEL[k]} | ${ms3(x.median)} | ${ms3(x.p95)} | ${ms3(x.p25)}–${ms3(x.p75)} | ${k === 'ours fetch' ? '' : ms3(x.median - plain.median)} | ${ms3(x.cpuThread)} | ${+x.preflights.toFixed(2)} | ${x.n} |`);
  }
  p();
  const withoutDpop = (lib) => r.code?.[lib]?.renew;
  p('| (c) DPoP renewal | median ms | p25–p75 | × ours | main-thread CPU ms | without DPoP, ms | requests the provider saw | samples |');
  p('|---|--:|--:|--:|--:|--:|---|--:|');
  for (const lib of DPOP_LIBS) {
    const x = d.renew[lib];
    const b = withoutDpop(lib);
    p(`| ${LABEL[lib]} | ${ms(x.median)} | ${ms(x.p25)}–${ms(x.p75)} | ${lib === 'ours' ? '1.00×' : ratio(x.median, d.renew.ours.median)} | ${ms(x.cpuThread)} | ${b ? ms(b.median) : 'not run'} | ${x.requests}${x.requestsVary ? ' (varies)' : ''} | ${x.n} |`);
  }
  p();
}

// The targets of the issues that asked for this benchmark (start-up, size and first callback;
// the code flow's "smaller than auth0-spa-js"), each a ratio within this run, then the hand-kept
// notes on what holds the missed ones back (bench/notes.md).
function targetsSection(r, p) {
  const s = r.sizes;
  const cb = r.callback;
  const verdict = (met) => (met ? 'met' : '**missed**');
  const rows = [];
  const shipped = s.ours.shipped.gzip;
  const bundled = s.ours.minified.gzip;
  const spa = s.peers['@auth0/auth0-spa-js'].gzip;
  rows.push(['Size with every flow: at most 45 KB gzip -9 (46080 bytes) for what an app downloads', `${shipped} bytes as shipped, ${bundled} bundled`, verdict(shipped <= 46080 && bundled <= 46080)]);
  rows.push(['Size, the long-run goal: at most 30 KB (30720 bytes)', `${shipped} bytes as shipped`, verdict(shipped <= 30720)]);
  rows.push(['Size with every flow: smaller than @auth0/auth0-spa-js', `${shipped} as shipped, ${bundled} bundled, against ${spa} (${(spa / Math.max(shipped, bundled)).toFixed(2)}×)`, verdict(shipped < spa && bundled < spa)]);
  const cold = r.cold.ours.median / r.cold['auth0-spa-js'].median;
  rows.push(['Ready client: time at most auth0-spa-js createAuth0Client\'s, wasm loaded as users load it', `${ms(r.cold.ours.median)} ms against ${ms(r.cold['auth0-spa-js'].median)} ms (ours ${cold.toFixed(2)}× theirs)`, verdict(r.cold.ours.median <= r.cold['auth0-spa-js'].median)]);
  const coldCpu = r.cold.ours.cpuThread / r.cold['auth0-spa-js'].cpuThread;
  rows.push(['Ready client: main-thread CPU at most auth0-spa-js\'s', `${ms(r.cold.ours.cpuThread)} ms against ${ms(r.cold['auth0-spa-js'].cpuThread)} ms (ours ${coldCpu.toFixed(2)}× theirs)`, verdict(r.cold.ours.cpuThread <= r.cold['auth0-spa-js'].cpuThread)]);
  const firstRatio = cb['auth0-js'].first.median / cb.ours.first.median;
  // Half of auth0-js's time against when each callback page's own code started running (its
  // load, from the HTTP cache, came before): a library cannot be done before its code runs.
  const half = cb['auth0-js'].first.median / 2;
  const started = CALLBACK_LIBS.map((l) => `${LABEL[l]} ${ms(cb[l].first.bootMs)}`).join(', ');
  const belowLoad = Math.min(...CALLBACK_LIBS.map((l) => cb[l].first.bootMs)) >= half;
  rows.push(['Implicit flow, first callback in a fresh page: at most half of auth0-js\'s', `${ms(cb.ours.first.median)} ms against ${ms(cb['auth0-js'].first.median)} ms (auth0-js ${firstRatio.toFixed(2)}× ours); half of auth0-js's time is ${ms(half)} ms, and the callback pages' code started at ${started} ms`, firstRatio >= 2 ? 'met' : `**missed**${belowLoad ? ': half of auth0-js\'s time is over before any of these pages\' code has started' : ''}`]);
  if (r.code) {
    const c = r.code;
    for (const lib of ['auth0-spa-js', 'oidc-client-ts']) {
      const x = c[lib].first.median / c.ours.first.median;
      rows.push([`Code flow, first callback in a fresh page: below ${LABEL[lib]}'s`, `${ms(c.ours.first.median)} ms against ${ms(c[lib].first.median)} ms (${LABEL[lib]} ${x.toFixed(2)}× ours)`, verdict(x > 1)]);
    }
  }
  if (r.codeFar) {
    const f = r.codeFar;
    const vs = ['auth0-spa-js', 'oidc-client-ts'].map((lib) => `${LABEL[lib]} ${ms(f[lib].median)} ms (${(f[lib].median / f.ours.median).toFixed(2)}× ours)`).join(', ');
    rows.push([`Code flow, first callback, the provider ${FAR_MS} ms away (section 6; the targets above are on loopback)`, `${ms(f.ours.median)} ms; ${vs}`, 'no target set']);
  }
  const sameA = cb['auth0-js'].same.median / cb.ours.same.median;
  const sameO = cb['oidc-client'].same.median / cb.ours.same.median;
  rows.push(['Warm callback: at least 4× faster than oidc-client', `${ms(cb.ours.same.median)} ms against ${ms(cb['oidc-client'].same.median)} ms (${sameO.toFixed(2)}×)`, verdict(sameO >= 4)]);
  rows.push(['Warm callback: at least 10× faster than auth0-js parseHash', `${ms(cb.ours.same.median)} ms against ${ms(cb['auth0-js'].same.median)} ms (${sameA.toFixed(2)}×)`, verdict(sameA >= 10)]);
  const reads = r.tokens.ours.median / r.tokens['auth0-spa-js'].median;
  rows.push(['Cache-hit reads: at least 2× auth0-spa-js getTokenSilently', `${intfmt(r.tokens.ours.median)}/s against ${intfmt(r.tokens['auth0-spa-js'].median)}/s (${reads.toFixed(2)}×)`, verdict(reads >= 2)]);
  rows.push(['Zero network requests at callback with discovery and JWKS cached', `same client: ${cb.ours.same.requests}; new client: ${cb.ours.fresh.requests}`, verdict(cb.ours.same.requests === 'none' && cb.ours.fresh.requests === 'none')]);
  if (r.code) {
    // The code-flow issue asked to aim for this, not to meet a figure.
    const c = r.code;
    const renew = c['auth0-spa-js'].renew.median / c.ours.renew.median;
    rows.push(['Code flow, refresh-token renewal, faster than auth0-spa-js getTokenSilently (oidc-client-ts signinSilent beside it)', `${ms(c.ours.renew.median)} ms against ${ms(c['auth0-spa-js'].renew.median)} ms (${renew.toFixed(2)}×); oidc-client-ts ${ms(c['oidc-client-ts'].renew.median)} ms`, `${verdict(renew > 1)} (an aim)`]);
  }
  if (r.dpop) {
    // Side by side only: the DPoP issue set no figure to meet.
    const d = r.dpop;
    rows.push(['DPoP proof, warm, per call: spa-login generateDpopProof (and auth0-spa-js\'s)', `median ${ms3(d.proof.ours.median)} ms, p95 ${ms3(d.proof.ours.p95)} ms; auth0-spa-js median ${ms3(d.proof['auth0-spa-js'].median)} ms, p95 ${ms3(d.proof['auth0-spa-js'].p95)} ms`, 'no target set']);
    rows.push(['fetchWithAuth with DPoP next to a plain fetch with a Bearer header (and fetchWithAuth without DPoP)', `${ms3(d.api['ours dpop'].median)} ms against ${ms3(d.api['ours fetch'].median)} ms (bearer fetchWithAuth ${ms3(d.api['ours bearer'].median)} ms)`, 'no target set']);
    rows.push(['DPoP refresh-token renewal, against auth0-spa-js getTokenSilently with useDpop', `${ms(d.renew.ours.median)} ms against ${ms(d.renew['auth0-spa-js'].median)} ms (${(d.renew['auth0-spa-js'].median / d.renew.ours.median).toFixed(2)}×)`, 'no target set']);
  }
  p('## Targets');
  p();
  p('| target | this run | |');
  p('|---|---|---|');
  for (const [t, m, v] of rows) p(`| ${t} | ${m} | ${v} |`);
  p();
  const notes = join(BENCH, 'notes.md');
  if (existsSync(notes)) {
    p(readFileSync(notes, 'utf8').trimEnd());
    p();
  }
}

function cacheNote(c) {
  return `Observed: first callback ${c.first.requests}; new client ${c.fresh.requests}; same client ${c.same.requests}.`;
}

function summaryLine(r) {
  const s = r.sizes;
  const peerSizes = Object.entries(s.peers).map(([n, p]) => `${n} ${kb(p.gzip)}`).join(', ');
  const cold = LIBS.filter((l) => l !== 'ours').map((l) => `${l} ${ms(r.cold[l].median)}`).join(', ');
  const cbs = CALLBACK_LIBS.filter((l) => l !== 'ours').map((l) => `${l} ${ms(r.callback[l].first.median)}`).join(', ');
  const tok = TOKEN_LIBS.filter((l) => l !== 'ours').map((l) => `${l} ${intfmt(r.tokens[l].median)}`).join(', ');
  const codePart = (k) => CODE_LIBS.filter((l) => l !== 'ours').map((l) => `${l} ${ms(r.code[l][k].median)}`).join(', ');
  const code = r.code
    ? `code-flow callback ${ms(r.code.ours.first.median)} ms (${codePart('first')}); refresh ${ms(r.code.ours.renew.median)} ms (${codePart('renew')}); `
    : '';
  const dpop = r.dpop
    ? `DPoP proof ${ms3(r.dpop.proof.ours.median)} ms (auth0-spa-js ${ms3(r.dpop.proof['auth0-spa-js'].median)}); DPoP refresh ${ms(r.dpop.renew.ours.median)} ms (auth0-spa-js ${ms(r.dpop.renew['auth0-spa-js'].median)}); `
    : '';
  return `bench: size ${kb(s.ours.minified.gzip)} KB gzip (${peerSizes}); cold start ${ms(r.cold.ours.median)} ms (${cold}); ` +
    `first callback ${ms(r.callback.ours.first.median)} ms (${cbs}); ${code}${dpop}cached reads ${intfmt(r.tokens.ours.median)}/s (${tok}); ` +
    `wrote BENCHMARKS.md in ${r.elapsedSeconds} s`;
}

// This run's key medians next to the previous run's, and the ratios to ours of both: how well
// two runs agree. Only a previous run of the same build (the same .wasm) is compared.
function agreement(r, prev) {
  if (!prev || prev.env?.wasmSha256 !== r.env.wasmSha256) return null;
  const rows = [];
  const row = (group, name, now, before, ours, oursBefore) => {
    if (typeof now !== 'number' || typeof before !== 'number') return;
    const x = ours !== undefined && ours !== now ? [now / ours, before / oursBefore] : null;
    rows.push({ group, name, now, before, diff: (now - before) / before, ratio: x && { now: x[0], before: x[1], diff: (x[0] - x[1]) / x[1] } });
  };
  for (const lib of COLD_LIBS) row('cold start, ms', LABEL[lib], r.cold[lib].median, prev.cold[lib]?.median, r.cold.ours.median, prev.cold.ours.median);
  for (const lib of COLD_LIBS) row('cold start, main-thread CPU ms', LABEL[lib], r.cold[lib].cpuThread, prev.cold[lib]?.cpuThread, r.cold.ours.cpuThread, prev.cold.ours.cpuThread);
  const parts = { first: '(a) first callback', fresh: '(b) new client', same: '(c) same client' };
  for (const [k, title] of Object.entries(parts)) {
    for (const lib of CALLBACK_LIBS) row(`${title}, ms`, LABEL[lib], r.callback[lib][k].median, prev.callback[lib][k].median, r.callback.ours[k].median, prev.callback.ours[k].median);
    for (const lib of CALLBACK_LIBS) row(`${title}, main-thread CPU ms`, LABEL[lib], r.callback[lib][k].cpuThread, prev.callback[lib][k].cpuThread, r.callback.ours[k].cpuThread, prev.callback.ours[k].cpuThread);
  }
  if (r.code && prev.code) {
    for (const [k, title] of Object.entries({ first: 'code flow (a) first callback', renew: 'code flow (b) renewal' })) {
      for (const lib of CODE_LIBS) row(`${title}, ms`, LABEL[lib], r.code[lib][k].median, prev.code[lib]?.[k]?.median, r.code.ours[k].median, prev.code.ours?.[k]?.median);
      for (const lib of CODE_LIBS) row(`${title}, main-thread CPU ms`, LABEL[lib], r.code[lib][k].cpuThread, prev.code[lib]?.[k]?.cpuThread, r.code.ours[k].cpuThread, prev.code.ours?.[k]?.cpuThread);
    }
  }
  if (r.dpop && prev.dpop) {
    for (const lib of DPOP_LIBS) row('DPoP proof, ms', LABEL[lib], r.dpop.proof[lib].median, prev.dpop.proof[lib]?.median, r.dpop.proof.ours.median, prev.dpop.proof.ours?.median);
    // No ratio: there is no "ours" among the ways to call the API.
    for (const k of Object.keys(r.dpop.api)) row('API call, ms', API_LABEL[k], r.dpop.api[k].median, prev.dpop.api[k]?.median);
    for (const lib of DPOP_LIBS) row('DPoP renewal, ms', LABEL[lib], r.dpop.renew[lib].median, prev.dpop.renew[lib]?.median, r.dpop.renew.ours.median, prev.dpop.renew.ours?.median);
  }
  for (const lib of TOKEN_LIBS) row('token reads, ops/s', LABEL[lib], r.tokens[lib].median, prev.tokens[lib].median, r.tokens.ours.median, prev.tokens.ours.median);
  for (const lib of TOKEN_LIBS) row('token reads, ops per CPU s', LABEL[lib], r.tokens[lib].perCpuSec, prev.tokens[lib].perCpuSec, r.tokens.ours.perCpuSec, prev.tokens.ours.perCpuSec);
  for (const lib of COLD_LIBS) row('JS heap after init, KiB', LABEL[lib], r.memory[lib].js.median / 1024, prev.memory[lib]?.js.median / 1024);
  return { rows, prevEnv: prev.env, prevElapsed: prev.elapsedSeconds };
}

function agreementSection(a, p) {
  p('## Agreement with the previous run');
  p();
  if (!a) {
    p('No previous run of this build on this machine (bench/dist/results-previous.json): run `npm run bench`');
    p('twice to see how far two runs agree.');
    p();
    return;
  }
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const within = (list) => list.filter((x) => Math.abs(x) <= 0.1).length;
  const direct = a.rows.map((x) => x.diff);
  const ratios = a.rows.filter((x) => x.ratio).map((x) => x.ratio.diff);
  p(`The previous run of the same build on this machine took ${a.prevElapsed} s, at load average ${a.prevEnv.loadBefore} before and ${a.prevEnv.loadAfter} after.`);
  p(`Of the ${direct.length} medians below, ${within(direct)} agree within 10%; of the ${ratios.length} ratios to ours, ${within(ratios)} do.`);
  p('The wall-clock times of page loads move together with the load that other work puts on the');
  p('machine (every library, the empty page too, in the same direction); the CPU times, the ratios');
  p('to ours and the in-page loops depend far less on it.');
  p();
  p('| measure | library | this run | previous | change | × ours now | × ours before | change |');
  p('|---|---|--:|--:|--:|--:|--:|--:|');
  const f = (x) => (x >= 1000 ? intfmt(x) : ms(x));
  for (const x of a.rows) {
    const rr = x.ratio ? `${x.ratio.now.toFixed(2)}× | ${x.ratio.before.toFixed(2)}× | ${pct(x.ratio.diff)}` : ' | | ';
    p(`| ${x.group} | ${x.name} | ${f(x.now)} | ${f(x.before)} | ${pct(x.diff)} | ${rr} |`);
  }
  p();
}

function printAgreement(a) {
  if (!a) return;
  const bad = a.rows.filter((x) => Math.abs(x.diff) > 0.1);
  log(`against the previous run: ${a.rows.length - bad.length} of ${a.rows.length} medians within 10%` +
    (bad.length ? `; beyond: ${bad.map((x) => `${x.group} ${x.name} ${(x.diff * 100).toFixed(0)}%`).join('; ')}` : ''));
}

if (process.env.BENCH_REPORT_ONLY) {
  // Writes BENCHMARKS.md again from the saved results, without measuring.
  const read = (f) => (existsSync(join(DIST, f)) ? JSON.parse(readFileSync(join(DIST, f), 'utf8')) : undefined);
  const results = read('results.json');
  const a = agreement(results, read('results-previous.json'));
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), report(results, a));
  printAgreement(a);
  console.log(summaryLine(results));
} else {
  await main();
}
