// The code exchange a callback page sends as the package loads (pkg-template/effects.js,
// `warmUp`): sent for an address that can only be its login's plain success, never for one the
// core would refuse before it sends a code. The browser tests (tests/e2e/code.test.mjs) run it
// against oidc-provider; here every shape of address is tried against effects.js itself, with
// the browser's sessionStorage and fetch stood in for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUp } from '../../pkg-template/effects.js';

const ISSUER = 'https://op.example';
const STATE = 'c3RhdGUtb2YtdGhlLWxvZ2lu';
const REDIRECT = 'https://app.example/cb?mode=callback';
const BODY = 'grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fmode%3Dcallback&client_id=app&code_verifier=v&code=';
const KEY = `spa-login.tx.${STATE}`;

function transaction({ iss, until = Date.now() + 3_000_000 } = {}) {
  return {
    issuer: ISSUER,
    client_id: 'app',
    state: STATE,
    redirect_uri: REDIRECT,
    prefetch: { url: `${ISSUER}/jwks`, timeoutMs: 10000, exchange: { url: `${ISSUER}/token`, body: BODY, until, ...(iss ? { iss: true } : {}) } },
  };
}

// Loads `href` with `tx` stored: what the page sent, what storage and `held` keep after.
function load(href, tx = transaction()) {
  const store = new Map([[KEY, JSON.stringify(tx)]]);
  globalThis.sessionStorage = {
    getItem: (k) => (store.has(k) ? store.get(k) : null),
    removeItem: (k) => store.delete(k),
  };
  const sent = [];
  globalThis.fetch = async (url, init) => {
    sent.push({ url: String(url), method: init?.method ?? 'GET', body: init?.body });
    return { status: 200, text: async () => '{}', headers: { get: () => null } };
  };
  const held = new Map();
  warmUp(href, held);
  const posts = sent.filter((r) => r.method === 'POST');
  return { posts, gets: sent.filter((r) => r.method === 'GET').map((r) => r.url), stored: store.has(KEY), held };
}

const at = (query, hash = '') => `https://app.example/cb?${query}${hash}`;
const ok = `mode=callback&code=the.code_1-2*&state=${STATE}`;

test('a plain success: the exchange leaves at once, its transaction held by the page alone', () => {
  const r = load(at(ok));
  assert.deepEqual(r.posts, [{ url: `${ISSUER}/token`, method: 'POST', body: `${BODY}the.code_1-2*` }]);
  assert.deepEqual(r.gets, [`${ISSUER}/jwks`], 'and the keys');
  assert.equal(r.stored, false, 'out of sessionStorage: a reload finds no transaction');
  assert.equal(JSON.parse(r.held.get(KEY)).state, STATE, 'held for this page');
});

test('what a plain success may also carry: iss, session_state, the redirect URI in another order', () => {
  for (const query of [
    `${ok}&iss=${encodeURIComponent(ISSUER)}`,
    `${ok}&iss=${ISSUER}`,
    `${ok}&session_state=0f6a-77.b`,
    `state=${STATE}&code=the.code_1-2*&mode=callback`,
  ]) {
    assert.equal(load(at(query)).posts.length, 1, query);
  }
  assert.equal(load(at(`${ok}&iss=${encodeURIComponent(ISSUER)}`), transaction({ iss: true })).posts.length, 1, 'iss where promised');
});

test('an address the core could refuse sends nothing, and leaves the transaction in storage', () => {
  for (const [what, href, tx] of [
    ['iss promised but absent', at(ok), transaction({ iss: true })],
    ['another iss', at(`${ok}&iss=${encodeURIComponent('https://op.attacker.example')}`)],
    ['an iss without a value', at(`${ok}&iss`)],
    ['an empty iss', at(`${ok}&iss=`)],
    ['an iss with +', at(`${ok}&iss=https://op+example`)],
    ['an iss that does not decode', at(`${ok}&iss=%E0%A4`)],
    ['an injected access token', at(`${ok}&access_token=x`)],
    ['an injected ID token', at(`${ok}&id_token=x`)],
    ['an error', at(`${ok}&error=access_denied`)],
    ['the code twice', at(`${ok}&code=again`)],
    ['the state twice', at(`${ok}&state=${STATE}`)],
    ['no code', at(`mode=callback&state=${STATE}`)],
    ['an empty code', at(`mode=callback&code=&state=${STATE}`)],
    ['a code to decode', at(`mode=callback&code=a%2Bb&state=${STATE}`)],
    ['a code with ~', at(`mode=callback&code=a~b&state=${STATE}`)],
    ['a code with +', at(`mode=callback&code=a+b&state=${STATE}`)],
    ['a name spelled encoded', at(`mode=callback&%63ode=abc&state=${STATE}`)],
    ['a value with =', at(`mode=callback&code=abc=&state=${STATE}`)],
    ['a session_state that does not decode', at(`${ok}&session_state=%ZZ`)],
    ['a parameter of no one', at(`${ok}&other=1`)],
    ['the redirect URI parameter changed', at(`mode=other&code=abc&state=${STATE}`)],
    // The core refuses an address of over 100 parameters, however they repeat.
    ['the redirect URI parameter twice', at(`mode=callback&${ok}`)],
    ['the redirect URI parameter 101 times', at(`${'mode=callback&'.repeat(100)}${ok}`)],
    ['an empty part', at(`mode=callback&&code=abc&state=${STATE}`)],
    ['a fragment', at(ok, '#x')],
    ['tokens in the fragment', at(ok, `#access_token=x&state=${STATE}`)],
    ['a very long address', at(`${ok}&session_state=${'a'.repeat(5000)}`)],
    ['past until', at(ok), transaction({ until: Date.now() - 1 })],
    ['no until', at(ok), (({ prefetch: { exchange: { until, ...x }, ...p }, ...t }) => ({ ...t, prefetch: { ...p, exchange: x } }))(transaction())],
  ]) {
    const r = load(href, tx);
    assert.deepEqual(r.posts, [], what);
    assert.equal(r.stored, true, `${what}: the transaction stays for the core`);
    assert.equal(r.held.size, 0, what);
  }
});

test('a transaction with no exchange (implicit, hybrid, DPoP, fragment mode) sends no code', () => {
  // (Keys of their own: the module keeps an early request for a URL fresh for a while.)
  const { exchange, ...prefetch } = { ...transaction().prefetch, url: `${ISSUER}/other-jwks` };
  const r = load(at(ok), { ...transaction(), prefetch });
  assert.deepEqual(r.posts, []);
  assert.deepEqual(r.gets, [`${ISSUER}/other-jwks`], 'the keys still');
});
