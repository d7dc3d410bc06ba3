// The node half of the conformance suite: one headless Chromium for the run, a fresh provider,
// browser context and page per test, and the steps and checks every rule shares.
//
// A test opens a Session, which serves the page from its own fake provider, creates a client in
// the page, runs loginWithRedirect with an openUrl that captures the authorize URL (so the test
// knows state and nonce), mints the response in node, puts it in the address bar and runs
// handleRedirectCallback. expectRejected() then checks everything docs/CONFORMANCE.md asks of a
// rejected response.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startProvider } from './fake-provider.mjs';
import { ALGS, accessToken as newAccessToken, atHash, b64uJson, jwk, jws } from './tokens.mjs';

export const CLIENT_ID = 'conformance-client';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/** How many tests of a describe() run at once (each has its own provider, context and page). */
export const CONCURRENCY = Number(process.env.CONFORMANCE_CONCURRENCY ?? 4);
const WAIT_MS = 20_000;

/**
 * CONFORMANCE_FRESH_CONTEXT=1: a new browser context for every test. By default a test takes a
 * context (with its page) from a small pool, one per concurrently running test, because a new
 * page costs a renderer process; isolation comes from origins instead: every test has its own
 * provider on its own port, so its page has an origin (and Web Storage) no other test has, and
 * the storage of that origin is emptied when the test starts and when it ends.
 */
const FRESH_CONTEXT = process.env.CONFORMANCE_FRESH_CONTEXT === '1';
const idle = [];

let browser;

async function newBrowserPage() {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

/** Launches the one Chromium of the run; call once, at the top of the test entry. */
export function useBrowser() {
  before(async () => {
    await stat(fileURLToPath(new URL('../../pkg/index.js', import.meta.url))).catch(() => {
      throw new Error('pkg/ is not built: run `node scripts/build.mjs` at the repository root');
    });
    // Chromium's popup blocker stays on (Playwright turns it off by default): loginWithPopup
    // must open its window from a click, and report popup_blocked otherwise.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      ignoreDefaultArgs: ['--disable-popup-blocking'],
    });
  });
  after(async () => {
    for (const { context } of idle.splice(0)) await context.close().catch(() => {});
    await browser?.close();
  });
}

/** Parameters that belong to an authorization response: none may stay in the address bar. */
export const RESPONSE_PARAMS = ['state', 'access_token', 'id_token', 'token_type', 'expires_in', 'error',
  'error_description', 'error_uri', 'iss'];

/** A string inside `depth` arrays: JSON as deep as the tests need it (the parser's nesting limit). */
export const nestedArrays = (depth) => (depth === 0 ? 'end' : [nestedArrays(depth - 1)]);

export function assertCleanAddressBar(href, what = 'the address bar') {
  const url = new URL(href);
  assert.equal(url.hash, '', `${what} still has a fragment: ${href}`);
  for (const p of RESPONSE_PARAMS) assert.ok(!url.searchParams.has(p), `${what} still has ${p} in the query: ${href}`);
}

/**
 * The class name of the error the package throws for `code` (auth0-spa-js's classes, the most
 * specific that fits): `popup` for the end of a popup flow, `state` the error's own.
 */
export function errorClassOf(code, { popup = false, state } = {}) {
  if (code === 'timeout') return popup ? 'PopupTimeoutError' : 'TimeoutError';
  const fixed = {
    invalid_configuration: 'InvalidConfigurationError',
    popup_cancelled: 'PopupCancelledError',
    popup_blocked: 'PopupOpenError',
    mfa_required: 'MfaRequiredError',
    missing_refresh_token: 'MissingRefreshTokenError',
    use_dpop_nonce: 'UseDpopNonceError',
  }[code];
  return fixed ?? (state === undefined ? 'GenericError' : 'AuthenticationError');
}

const enc = encodeURIComponent;
const withoutUndefined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

let serial = 0;

/**
 * Waits out the package's JWKS refetch limit (5 s on the machine's clock, whatever nowProvider
 * says): a set-up step before a test that needs a refetch, not a timing assertion.
 */
export function pastJwksRefetchInterval() {
  return new Promise((resolve) => setTimeout(resolve, 5_100));
}

/** The one `state` a callback input names (fragment, else query), as sent; else undefined. */
function loneState(input) {
  const url = input.url;
  const fragment = url !== undefined ? (url.split('#')[1] ?? '') : (input.fragment ?? '');
  const query = url !== undefined ? (url.split('#')[0].split('?')[1] ?? '') : (input.query ?? '');
  const find = (text) => text.split('&').filter((p) => p.startsWith('state=')).map((p) => p.slice(6));
  let found = find(fragment);
  if (found.length === 0) found = find(query);
  if (found.length !== 1) return undefined;
  try {
    return decodeURIComponent(found[0].replace(/\+/g, ' ')) || undefined;
  } catch {
    return undefined;
  }
}

export class Session {
  /**
   * A provider, a context and the test page. `sameOrigin` opens the page on the issuer's
   * origin (default: http://localhost:PORT, another origin than the issuer's).
   */
  static async open({ sameOrigin = false } = {}) {
    const s = new Session();
    s.provider = await startProvider();
    s.provider.config.jwks = { keys: [jwk('rsa-a')] };
    s.pooled = FRESH_CONTEXT ? undefined : idle.pop();
    ({ context: s.context, page: s.page } = s.pooled ?? await newBrowserPage());
    s.pageErrors = [];
    s.listeners = {
      pageerror: (e) => s.pageErrors.push(e.message),
      console: (m) => {
        if (/panick|unreachable|RuntimeError/i.test(m.text())) s.pageErrors.push(`console: ${m.text()}`);
      },
    };
    for (const [event, f] of Object.entries(s.listeners)) s.page.on(event, f);
    s.pageOrigin = sameOrigin ? s.provider.origin : s.provider.pageOrigin;
    s.alg = 'RS256';
    s.signers = Object.fromEntries(Object.entries(ALGS).map(([alg, { key }]) => [alg, key]));
    s.clock = { skew: 0, fixed: undefined };
    s.clients = new Set();
    await s.goto('/');
    await s.eval(() => window.T.clearStorage());
    return s;
  }

  /** Loads the test page (a new document: the clients of the old one are gone). */
  async goto(path) {
    this.clients?.clear();
    await this.page.goto(this.pageOrigin + path);
    await this.page.waitForFunction(() => window.ready === true, null, { timeout: WAIT_MS });
  }

  async close() {
    for (const [event, f] of Object.entries(this.listeners ?? {})) this.page?.off(event, f);
    // Back to the pool when the page is still usable, its origin's storage emptied.
    const reusable = !FRESH_CONTEXT && this.page && !this.page.isClosed()
      && await this.page.evaluate(() => { window.T.clearStorage(); return true; }).catch(() => false);
    if (reusable) idle.push({ context: this.context, page: this.page });
    else await this.context?.close().catch(() => {});
    await this.provider?.close();
  }

  get issuer() {
    return this.provider.issuer;
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  /** The page clock (nowProvider of every client): real time plus `skew` ms, or `fixed` ms. */
  async setClock({ skew = 0, fixed } = {}) {
    this.clock = { skew, fixed };
    await this.eval((c) => window.T.setClock(c), { skew, fixed: fixed ?? null });
  }

  nowSecs() {
    return Math.floor((this.clock.fixed ?? Date.now() + this.clock.skew) / 1000);
  }

  clientOptions(options = {}) {
    return {
      issuer: this.issuer,
      clientId: CLIENT_ID,
      ...options,
      authorizationParams: { redirect_uri: `${this.pageOrigin}/`, ...options.authorizationParams },
    };
  }

  /** createClient in the page; returns the settled result (asserts success unless `raw`). */
  async create(options = {}, { name = 'main', raw = false } = {}) {
    const r = await this.eval(([n, o]) => window.T.create(n, o), [name, this.clientOptions(options)]);
    if (!raw) assert.equal(r.ok, true, `createClient failed: ${r.error}: ${r.error_description}`);
    this.responseType ??= {};
    this.responseType[name] = options.authorizationParams?.response_type ?? 'id_token token';
    if (r.ok) this.clients.add(name);
    return r;
  }

  /** loginWithRedirect with a captured openUrl; returns the transaction as the test sees it. */
  async login(options = {}) {
    const { authorizationParams, name = 'main', raw = false, noAppState = false } = options;
    if (!this.clients.has(name)) await this.create({}, { name });
    const state = noAppState ? undefined
      : 'appState' in options ? options.appState : { returnTo: '/after-login', n: ++serial, text: 'ünï€ode' };
    const opts = withoutUndefined({ authorizationParams });
    if (!noAppState) opts.appState = state;
    const r = await this.eval(([n, o]) => window.T.login(n, o), [name, opts]);
    if (raw) return r;
    assert.equal(r.ok, true, `loginWithRedirect failed: ${r.error}: ${r.error_description}`);
    assert.equal(r.openUrlCalls, 1);
    const url = new URL(r.url);
    const params = Object.fromEntries(url.searchParams);
    return {
      name,
      url: r.url,
      params,
      state: params.state,
      nonce: params.nonce,
      appState: state,
      responseType: params.response_type,
    };
  }

  /**
   * Mints a response for `tx`. Options:
   *  alg, signWith (key name or secret), signAs, kid (null: none), header / claims (merged over
   *  the defaults; an undefined value removes the member), rawHeader / rawPayload, idToken
   *  (the whole token), accessToken, tokenType, expiresIn (null: left out), scope, iss,
   *  state (null: left out), include { id_token, access_token }, omit [names], extra (raw
   *  text appended), prefix (raw text prepended).
   */
  mint(tx, options = {}) {
    // this.mintDefaults: what every response of the test has unless told (kid: null, say).
    const o = { ...this.mintDefaults, ...options };
    const alg = o.alg ?? this.alg;
    const wantsId = o.include?.id_token ?? tx.responseType.split(' ').includes('id_token');
    const wantsAt = o.include?.access_token ?? tx.responseType.split(' ').includes('token');
    const accessToken = o.accessToken ?? newAccessToken();
    const now = this.nowSecs();
    const signWith = o.signWith ?? this.signers[alg] ?? 'rsa-a';
    const kid = o.kid === null ? undefined
      : o.kid ?? (typeof signWith === 'string' && ALGS[o.signAs ?? alg] ? signWith : undefined);
    const header = withoutUndefined({ alg, typ: 'JWT', kid, ...o.header });
    const claims = withoutUndefined({
      iss: this.issuer,
      sub: 'user-' + tx.state.slice(0, 8),
      aud: CLIENT_ID,
      nonce: tx.nonce,
      iat: now,
      exp: now + 3600,
      name: 'Test User',
      email: 'user@example.test',
      at_hash: wantsAt && ALGS[alg] ? atHash(alg, accessToken) : undefined,
      ...o.claims,
    });
    // Text or segment overrides may be functions of the default (JSON text, encoded segment).
    const call = (v, dflt) => (typeof v === 'function' ? v(dflt()) : v);
    const headerText = call(o.headerText, () => JSON.stringify(header));
    const payloadText = call(o.payloadText, () => JSON.stringify(claims));
    const rawHeader = call(o.rawHeader, () => b64uJson(headerText ?? header));
    const rawPayload = call(o.rawPayload, () => b64uJson(payloadText ?? claims));
    let idToken = o.idToken ?? jws({
      header: headerText ?? header, payload: payloadText ?? claims, signWith, signAs: o.signAs ?? alg,
      rawHeader, rawPayload,
    });
    if (o.mutateToken) idToken = o.mutateToken(idToken);
    const parts = [];
    const add = (name, value) => {
      if (value !== undefined && value !== null && !(o.omit ?? []).includes(name)) parts.push(`${name}=${enc(value)}`);
    };
    if (wantsAt) {
      add('access_token', accessToken);
      add('token_type', o.tokenType ?? 'Bearer');
      if (o.expiresIn !== null) add('expires_in', o.expiresIn ?? '3600');
    }
    if (o.scope) add('scope', o.scope);
    if (wantsId) add('id_token', idToken);
    if (o.iss) add('iss', o.iss);
    if (o.state !== null) add('state', o.state ?? tx.state);
    let fragment = parts.join('&');
    if (o.extra) fragment += (fragment ? '&' : '') + o.extra;
    if (o.prefix) fragment = o.prefix + (fragment ? '&' : '') + fragment;
    return { fragment, idToken, accessToken, claims, header };
  }

  /**
   * handleRedirectCallback. `input` is a fragment (put in the address bar) or
   * { fragment, query, path } (address bar) or { url } (passed as the argument).
   */
  async callback(input, { name = 'main' } = {}) {
    const arg = typeof input === 'string' ? { fragment: input } : { ...input };
    const r = await this.eval(([n, a]) => window.T.callback(n, a), [name, arg]);
    r.input = arg;
    return r;
  }

  async snapshot(name = 'main') {
    return this.eval((n) => window.T.snapshot(n), name);
  }

  /** Waits, up to `waitMs`, for the provider to have had more than `n` requests at `path` (a
   * request the page makes on its own, which no call of the test awaits). */
  async requestsBeyond(path, n, waitMs = 5000) {
    const end = Date.now() + waitMs;
    while (this.provider.count(path) <= n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  /** A complete valid login, asserting success; returns { tx, minted, r, snapshot }. */
  async loginOk({ login = {}, mint = {}, name = 'main' } = {}) {
    const tx = await this.login({ ...login, name });
    const minted = this.mint(tx, mint);
    const r = await this.callback(minted.fragment, { name });
    assert.equal(r.ok, true, `the valid response was refused: ${r.error}: ${r.error_description}`);
    assert.deepEqual(r.value.appState, tx.appState);
    assertCleanAddressBar(r.href);
    return { tx, minted, r, snapshot: await this.snapshot(name) };
  }

  /**
   * The earlier valid session every rejection test starts from: a successful login whose ID
   * token and access token outlive any clock skew the tests use (two days).
   */
  async establish({ name = 'main', mint = {} } = {}) {
    const tx = await this.login({ name });
    const now = this.nowSecs();
    const minted = this.mint(tx, {
      accessToken: 'first-access-token',
      expiresIn: String(2 * 86400),
      ...mint,
      claims: { sub: 'first-user', name: 'First User', iat: now, exp: now + 2 * 86400, ...mint.claims },
    });
    const r = await this.callback(minted.fragment, { name });
    assert.equal(r.ok, true, `the first (valid) login was refused: ${r.error}: ${r.error_description}`);
    const snap = await this.snapshot(name);
    assert.equal(snap.isAuthenticated, true);
    if (tx.responseType.includes('id_token')) {
      assert.equal(snap.user?.sub, 'first-user');
      assert.equal(snap.claims?.__raw, minted.idToken);
    }
    if (tx.responseType.split(' ').includes('token')) assert.equal(snap.token, 'first-access-token');
    this.first = { tx, minted, snapshot: snap };
    return this.first;
  }

  /**
   * Everything a rejected response must satisfy:
   *  - an AuthError with the exact code, a description naming the failed check, and (once the
   *    transaction was found) the response's state and the transaction's appState;
   *  - the address bar no longer holds the response (when it was read from there), by
   *    replaceState (the history did not grow);
   *  - nothing was stored and the earlier session is exactly as it was (memory and storage);
   *  - the transaction was consumed: the same response again is invalid_state.
   * `stage`: 'checked' (failed after the transaction was taken: the default), 'state' (no
   * transaction matched), or 'decode' (refused while decoding, before any state was read).
   */
  async expectRejected(r, tx, { error, description, stage = 'checked', name = 'main', resend = true }) {
    // Refused while decoding, a response that names exactly one state (its transaction's) still
    // uses that transaction up: it is then checked like any other rejection.
    const usedUp = stage === 'decode' && tx && loneState(r.input) === tx.state;
    if (usedUp) stage = 'checked';
    const label = `${error} ${description}`;
    assert.equal(r.ok, false, `expected ${label}, but the response was accepted`);
    assert.equal(r.isAuthError, true, `not an AuthError: ${r.name}: ${r.message}`);
    assert.equal(r.error, error, `wrong code (${r.error_description})`);
    assert.equal(r.name, errorClassOf(error, { state: r.state }), 'the error class');
    assert.equal(typeof r.error_description, 'string');
    if (description) assert.match(r.error_description, description);
    if (stage === 'checked' && tx) {
      assert.equal(r.state, tx.state, 'the AuthError carries the response state');
      assert.deepEqual(r.appState, tx.appState, "the AuthError carries the transaction's appState");
    }
    const after = await this.snapshot(name);
    this.assertSessionUnchanged(r.before, after, tx && stage === 'checked' ? tx.state : undefined);
    if (this.first && this.first.tx.name === name) this.assertFirstSession(after);
    if (resend) {
      // The same malformed response fails to decode again whatever happened to its
      // transaction: a valid response for that state shows the transaction is gone.
      const again = await this.callback(usedUp ? this.mint(tx).fragment : r.input, { name });
      assert.equal(again.ok, false, 'the same response, sent again, was accepted');
      if (stage === 'decode') {
        assert.equal(again.error, error, 'the same malformed response again');
      } else {
        assert.equal(again.error, 'invalid_state', `the same response again (${again.error_description})`);
      }
      const afterAgain = await this.snapshot(name);
      this.assertSessionUnchanged(after, afterAgain);
      if (this.first && this.first.tx.name === name) this.assertFirstSession(afterAgain);
    }
    this.assertNoPageErrors(after);
    // Last, so that a failure here says the rest held.
    if (r.input.url === undefined) {
      assertCleanAddressBar(r.href);
      assert.equal(r.historyLength, r.before.historyLength, 'the address bar is cleaned with replaceState');
    } else {
      assert.equal(r.href, r.before.href, 'with a URL argument the address bar is left alone');
    }
    return after;
  }

  /** `after` holds exactly what `before` held, except the transaction of `consumedState`. */
  assertSessionUnchanged(before, after, consumedState) {
    assert.equal(after.isAuthenticated, before.isAuthenticated, 'isAuthenticated changed');
    assert.deepEqual(after.user, before.user, 'getUser() changed');
    assert.deepEqual(after.claims, before.claims, 'getIdTokenClaims() changed');
    assert.deepEqual(after.token, before.token, 'the cached access token changed');
    assert.deepEqual(after.storage.local, before.storage.local, 'localStorage changed');
    const expectedSession = { ...before.storage.session };
    if (consumedState) {
      for (const k of Object.keys(expectedSession)) if (k.includes(consumedState)) delete expectedSession[k];
    }
    assert.deepEqual(after.storage.session, expectedSession,
      consumedState ? 'sessionStorage: only the transaction was consumed' : 'sessionStorage changed');
  }

  assertFirstSession(snap) {
    const first = this.first;
    assert.equal(snap.isAuthenticated, true, 'the earlier session is gone');
    if (first.tx.responseType.includes('id_token')) {
      assert.equal(snap.user?.sub, 'first-user', 'the earlier user is gone');
      assert.equal(snap.claims?.__raw, first.minted.idToken, 'the earlier ID token was replaced');
    }
    if (first.tx.responseType.split(' ').includes('token')) {
      assert.equal(snap.token, 'first-access-token', 'the earlier access token was replaced');
    }
  }

  assertNoPageErrors(snap) {
    assert.deepEqual(this.pageErrors, [], 'uncaught errors in the page');
    if (snap) assert.deepEqual(snap.problems, [], 'uncaught errors or rejections in the page');
  }
}

/** Runs `fn` with a fresh Session, closing it afterwards. */
export async function withSession(options, fn) {
  if (typeof options === 'function') [options, fn] = [{}, options];
  const s = await Session.open(options);
  try {
    await fn(s);
    assert.deepEqual(s.pageErrors, [], 'uncaught errors in the page');
  } finally {
    await s.close();
  }
}

/**
 * Like rejects(), for several bad responses to one rule: each gets its own transaction in the
 * same session and every check of expectRejected. `cases` is [[label, bad, expect?], ...].
 */
export function rejectsEach({ setup, client, cases, expect, establish = true, sameOrigin }) {
  return () => withSession({ sameOrigin }, async (s) => {
    if (setup) await setup(s);
    await s.create(client);
    if (establish) await s.establish();
    for (const [label, bad, own] of cases) {
      const tx = await s.login();
      const input = await bad(tx, s);
      const r = await s.callback(input);
      try {
        await s.expectRejected(r, tx, { ...expect, ...own });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
  });
}

/**
 * The common shape of a rule about a bad response: log in, then a second login whose response
 * `bad(tx, s)` returns (a fragment, or a callback input object) must be rejected as `expect`
 * says. `setup(s)` runs before the client is created.
 */
export function rejects({ setup, client, bad, expect, establish = true, sameOrigin }) {
  return () => withSession({ sameOrigin }, async (s) => {
    if (setup) await setup(s);
    await s.create(client);
    if (establish) await s.establish();
    const tx = await s.login();
    const input = await bad(tx, s);
    const r = await s.callback(input);
    await s.expectRejected(r, tx, expect);
  });
}
