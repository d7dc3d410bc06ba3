// End-to-end: DPoP (RFC 9449) in the browser. The plain sample with useDpop against
// oidc-provider with DPoP on and the sample API that checks the binding (www/servers.mjs): the
// tokens are DPoP-bound to a key the page holds and cannot export, so a token lifted out of the
// page is refused when it is replayed from elsewhere. The key outlives a reload and not a
// logout; nonces asked for by the provider and the API are answered with one retry each.
import assert from 'node:assert/strict';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { CLIENT_ID, FLOWS } from '../../www/servers.mjs';
import { dpopKey, dpopProof } from './dpop-proofs.mjs';
import { clickAndCallApi, defineE2E, loginThroughProvider, logOutThroughProvider, settledStatus, testIdText, WAIT_MS } from './harness.mjs';

const DPOP = FLOWS['code-dpop'];
const NONCE = { requireNonce: true };

const grantSummary = (grants) => grants.map((g) => [g.grantType, g.error ?? 'ok']);

// Logs in with the sample and checks that the code exchange gave a DPoP token.
async function logIn(page, stack) {
  const from = stack.grants.length;
  await loginThroughProvider(page, stack);
  assert.equal(await settledStatus(page), 'Logged in');
  assert.equal(await testIdText(page, 'error', /^/), '', 'no error is shown');
  const exchange = stack.grants.slice(from).filter((g) => !g.error);
  assert.deepEqual(grantSummary(exchange), [['authorization_code', 'ok']], 'one code exchange');
  assert.equal(exchange[0].issued.tokenType, 'DPoP', 'the provider bound the tokens to a key');
  return exchange[0].issued;
}

// "Call API" in the sample: the API's answer must say the token was DPoP-bound, the key of the
// proof the page sent must be that one (a public key only), and the page shows the binding.
async function callBoundApi(page, stack) {
  const call = await clickAndCallApi(page, stack, 'call-api');
  assert.equal(call.status, 200, JSON.stringify(call.body));
  assert.equal(call.body.sub, 'alice');
  assert.equal(call.body.bound, true, 'the API saw a DPoP-bound token');
  const header = decodeProtectedHeader(call.proof);
  assert.equal(header.typ, 'dpop+jwt');
  assert.equal(header.alg, 'ES256');
  assert.equal(header.jwk.d, undefined, 'the proof carries the public key only');
  assert.equal(await calculateJwkThumbprint(header.jwk, 'sha256'), call.body.jkt, "the proof's key is the token's");
  assert.equal(await testIdText(page, 'api-binding', /\S/), `DPoP-bound to key ${call.body.jkt}`);
  return call;
}

// The API called from here (Node) with `token`, as somebody who lifted it out of the page:
// with the DPoP scheme and `proof`, or as a Bearer token.
async function callFromElsewhere(stack, token, proof) {
  const res = await fetch(`${stack.apiUrl}/api/private`, {
    headers: { authorization: `${proof ? 'DPoP' : 'Bearer'} ${token}`, ...(proof ? { dpop: proof } : {}) },
  });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
}

// A second client in the app's page, made as the sample makes its own (same /config.json):
// what a script in the page could do. `call` is what it does: 'token' (getAccessToken),
// 'detailed' (the same with detailedResponse),
// 'refresh' (the same with cacheMode 'off'), 'proof' (generateDpopProof for a GET of `api`, as
// given), or 'own-request' (a GET of the API the app builds itself with generateDpopProof,
// retried once with the API's nonce if it asks for one).
function withClientInPage(page, call, api) {
  return page.evaluate(async ({ call, api }) => {
    const { createClient } = await import('spa-login');
    const config = await (await fetch('/config.json')).json();
    const client = await createClient({
      issuer: config.issuer,
      clientId: config.clientId,
      authorizationParams: { redirect_uri: `${location.origin}/`, scope: 'openid profile email', response_type: config.responseType },
      useRefreshTokens: config.useRefreshTokens,
      useDpop: config.useDpop,
      cacheLocation: config.cacheLocation,
    });
    if (call === 'token') return client.getAccessToken();
    if (call === 'detailed') return client.getAccessToken({ detailedResponse: true });
    if (call === 'refresh') return client.getAccessToken({ cacheMode: 'off' });
    if (call === 'proof') return client.generateDpopProof({ url: api, method: 'GET' });
    const token = await client.getAccessToken();
    const get = async (nonce) => fetch(api, {
      headers: { Authorization: `DPoP ${token}`, DPoP: await client.generateDpopProof({ url: api, method: 'GET', accessToken: token, nonce }) },
    });
    const first = await get();
    const nonce = first.headers.get('DPoP-Nonce');
    const last = first.status === 401 && nonce ? await get(nonce) : first;
    return { statuses: [first.status, ...(last === first ? [] : [last.status])], nonce, body: await last.json() };
  }, { call, api });
}

defineE2E('DPoP in the browser (plain sample)', {
  stacks: {
    dpop: ['plain', { config: DPOP }],
    // Both servers want a nonce in every proof: the first answer of each is use_dpop_nonce.
    nonce: ['plain', { config: DPOP, provider: { dpop: NONCE }, api: { dpop: NONCE } }],
    // A provider without DPoP: it ignores the proof and answers with a Bearer token.
    noDpop: ['plain', { config: DPOP, provider: { dpop: undefined } }],
  },
}, (env, it) => {
  // What the client relies on, shown in the browser itself with proofs made here: the token
  // endpoint's and the API's CORS let the app's page send a DPoP header and read DPoP-Nonce
  // (and the API's WWW-Authenticate), so a use_dpop_nonce answer can be retried.
  it("CORS: the app's page may send proofs to the token endpoint and the API, and read their nonces", async () => {
    const { page, stacks: { nonce: stack } } = env;
    await page.goto(`${stack.appUrl}/config.json`, { timeout: WAIT_MS });
    const key = await dpopKey();
    const api = `${stack.apiUrl}/api/private`;
    const token = 'a-token-the-api-does-not-get-to-check';
    const args = {
      tokenEndpoint: stack.metadata.token_endpoint,
      tokenProof: await dpopProof(key, { method: 'POST', url: stack.metadata.token_endpoint }),
      form: { grant_type: 'authorization_code', code: 'unknown', redirect_uri: `${stack.appUrl}/`, client_id: CLIENT_ID, code_verifier: 'v'.repeat(43) },
      api,
      apiProof: await dpopProof(key, { method: 'GET', url: api, accessToken: token }),
      token,
    };
    const seen = await page.evaluate(async ({ tokenEndpoint, tokenProof, form, api, apiProof, token }) => {
      const t = await fetch(tokenEndpoint, { method: 'POST', headers: { DPoP: tokenProof }, body: new URLSearchParams(form) });
      const a = await fetch(api, { headers: { Authorization: `DPoP ${token}`, DPoP: apiProof } });
      return {
        provider: { status: t.status, error: (await t.json()).error, nonce: t.headers.get('DPoP-Nonce') },
        api: { status: a.status, nonce: a.headers.get('DPoP-Nonce'), challenge: a.headers.get('WWW-Authenticate') },
      };
    }, args);
    assert.equal(seen.provider.status, 400);
    assert.equal(seen.provider.error, 'use_dpop_nonce');
    assert.ok(seen.provider.nonce, "the page read the provider's DPoP-Nonce");
    assert.equal(seen.api.status, 401);
    assert.match(seen.api.challenge ?? '', /^DPoP error="use_dpop_nonce"/, "the page read the API's challenge");
    assert.ok(seen.api.nonce, "the page read the API's DPoP-Nonce");
  });

  it('log in and call the API: the token is DPoP-bound and the API checked the proof', async () => {
    const { page, stacks: { dpop: stack } } = env;
    const issued = await logIn(page, stack);
    const call = await callBoundApi(page, stack);
    assert.equal(call.token, issued.accessToken, 'the API got the token of the login');
    assert.equal(decodeJwt(call.proof).htu, `${stack.apiUrl}/api/private`);
    assert.deepEqual(stack.apiCalls, [{ scheme: 'DPoP', status: 200, jkt: call.body.jkt }], 'one call, in the DPoP scheme');
  });

  it("the key pair is kept in IndexedDB, and its private key cannot be exported", async () => {
    const { page, stacks: { dpop: stack } } = env;
    await logIn(page, stack);
    const call = await callBoundApi(page, stack);
    const stored = await page.evaluate(async () => {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('spa-login');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const pairs = await new Promise((resolve, reject) => {
        const all = db.transaction('dpop-keys').objectStore('dpop-keys').getAll();
        all.onsuccess = () => resolve(all.result);
        all.onerror = () => reject(all.error);
      });
      db.close();
      return Promise.all(pairs.map(async ({ privateKey, publicKey }) => ({
        privateExtractable: privateKey.extractable,
        privateUsages: privateKey.usages,
        exportPrivate: await crypto.subtle.exportKey('jwk', privateKey).then(() => 'exported', (e) => e.name),
        publicJwk: await crypto.subtle.exportKey('jwk', publicKey),
      })));
    });
    assert.equal(stored.length, 1, 'one key pair for the one client');
    const [pair] = stored;
    assert.equal(pair.privateExtractable, false);
    assert.deepEqual(pair.privateUsages, ['sign']);
    assert.equal(pair.exportPrivate, 'InvalidAccessError', 'WebCrypto refuses to export the private key');
    const { kty, crv, x, y } = pair.publicJwk;
    assert.equal(await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256'), call.body.jkt, 'the stored key is the one the token is bound to');
  });

  it('a token read in the page and replayed from elsewhere is refused', async () => {
    const { page, stacks: { dpop: stack } } = env;
    // localStorage, so that a second client in the page reads the same token.
    stack.setConfig({ ...DPOP, cacheLocation: 'localstorage' });
    await logIn(page, stack);
    const call = await callBoundApi(page, stack);
    const stolen = await withClientInPage(page, 'token');
    assert.equal(stolen, call.token, "getAccessToken() in the page gives the app's token");
    const detailed = await withClientInPage(page, 'detailed');
    assert.equal(detailed.access_token, stolen);
    assert.equal(detailed.token_type, 'DPoP', 'detailedResponse names the token type the API wants');
    assert.ok(detailed.expires_in > 0 && detailed.expires_in <= 3600, String(detailed.expires_in));

    const url = `${stack.apiUrl}/api/private`;
    const thief = await dpopKey();
    const withOwnKey = await callFromElsewhere(stack, stolen, await dpopProof(thief, { method: 'GET', url, accessToken: stolen }));
    assert.equal(withOwnKey.status, 401, 'a fresh proof of another key');
    assert.match(withOwnKey.challenge, /^DPoP error="invalid_token"/);
    const asBearer = await callFromElsewhere(stack, stolen);
    assert.equal(asBearer.status, 401, 'as a Bearer token');
    assert.match(asBearer.challenge, /^Bearer error="invalid_token"/);
    const withPagesProof = await callFromElsewhere(stack, stolen, call.proof);
    assert.equal(withPagesProof.status, 401, "with the page's own proof, already used");
    assert.match(withPagesProof.challenge, /^DPoP error="invalid_dpop_proof"/);
    assert.deepEqual(stack.apiCalls.map((c) => [c.status, c.error ?? 'ok']),
      [[200, 'ok'], [401, 'invalid_token'], [401, 'invalid_token'], [401, 'invalid_dpop_proof']]);
  });

  it('a reload keeps the key: the session restored after it is bound to the same key', async () => {
    const { page, stacks: { dpop: stack } } = env;
    // No refresh tokens: after the reload the session comes back through the hidden iframe.
    stack.setConfig({ useRefreshTokens: false });
    await logIn(page, stack);
    const before = await callBoundApi(page, stack);
    // The memory cache is gone after the reload: checkSession gets a code silently and
    // exchanges it with a proof of the key kept in IndexedDB.
    const from = stack.grants.length;
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged in');
    const restored = stack.grants.slice(from);
    assert.deepEqual(grantSummary(restored), [['authorization_code', 'ok']], 'a silent login');
    const after = await callBoundApi(page, stack);
    assert.equal(after.token, restored[0].issued.accessToken, 'the API got the new token');
    assert.notEqual(after.token, before.token);
    assert.equal(after.body.jkt, before.body.jkt, 'bound to the same key');
  });

  it('a reload keeps the key: the refresh token bound to it still refreshes', async () => {
    const { page, stacks: { dpop: stack } } = env;
    stack.setConfig({ ...DPOP, cacheLocation: 'localstorage' });
    await logIn(page, stack);
    const before = await callBoundApi(page, stack);
    await page.reload({ timeout: WAIT_MS });
    assert.equal(await settledStatus(page), 'Logged in');
    // The provider takes a bound refresh token only with a proof of its key.
    const from = stack.grants.length;
    const renewed = await withClientInPage(page, 'refresh');
    const refresh = stack.grants.slice(from);
    assert.deepEqual(grantSummary(refresh), [['refresh_token', 'ok']], 'the refresh was accepted');
    assert.equal(refresh[0].issued.tokenType, 'DPoP');
    assert.equal(renewed, refresh[0].issued.accessToken);
    const call = await callFromElsewhere(stack, renewed, await dpopProof(await dpopKey(), {
      method: 'GET', url: `${stack.apiUrl}/api/private`, accessToken: renewed,
    }));
    assert.equal(call.status, 401, 'the renewed token is bound too');
    const after = await callBoundApi(page, stack);
    assert.equal(after.body.jkt, before.body.jkt, 'bound to the same key');
  });

  it('a logout forgets the key: the next login binds the tokens to a new one', async () => {
    const { page, stacks: { dpop: stack } } = env;
    await logIn(page, stack);
    const first = await callBoundApi(page, stack);
    await logOutThroughProvider(page, stack);
    await logIn(page, stack);
    const second = await callBoundApi(page, stack);
    assert.notEqual(second.body.jkt, first.body.jkt, 'a new key');
  });

  it('nonces: the provider and the API each ask for one, and the client retries once with it', async () => {
    const { page, stacks: { nonce: stack } } = env;
    const issued = await logIn(page, stack);
    assert.deepEqual(grantSummary(stack.grants), [['authorization_code', 'use_dpop_nonce'], ['authorization_code', 'ok']],
      'the provider asked for a nonce, and the retry was accepted');
    const call = await callBoundApi(page, stack);
    assert.equal(call.token, issued.accessToken);
    assert.ok(decodeJwt(call.proof).nonce, 'the accepted proof carried the API nonce');
    assert.deepEqual(stack.apiCalls.map(({ status, error }) => [status, error ?? 'ok']), [[401, 'use_dpop_nonce'], [200, 'ok']],
      'the API asked for a nonce, and the retry was accepted');
    // The API's nonce is kept: the next call needs no retry.
    stack.apiCalls.length = 0;
    await callBoundApi(page, stack);
    assert.deepEqual(stack.apiCalls.map(({ status }) => status), [200], 'the next call carried the nonce at once');
  });

  it('generateDpopProof: a request the app builds itself is accepted, also when the API wants a nonce', async () => {
    const { page, stacks: { dpop: plain, nonce } } = env;
    for (const stack of [plain, nonce]) {
      stack.setConfig({ ...DPOP, cacheLocation: 'localstorage' });
      await logIn(page, stack);
      const call = await callBoundApi(page, stack);
      stack.apiCalls.length = 0;
      const own = await withClientInPage(page, 'own-request', `${stack.apiUrl}/api/private`);
      assert.equal(own.body.jkt, call.body.jkt, 'a proof of the same key');
      // The second client has not learnt the API's nonce yet: asked for one, it gives it.
      const expected = stack === nonce ? [[401, 'use_dpop_nonce'], [200, 'ok']] : [[200, 'ok']];
      assert.deepEqual(own.statuses, expected.map(([status]) => status));
      assert.deepEqual(stack.apiCalls.map(({ status, error }) => [status, error ?? 'ok']), expected, 'as the API saw it');
    }
    // A URL as an app may write it: htu is the URL the browser sends (WHATWG serialization:
    // lower-case scheme and host, percent-encoded path, no default port), without query and
    // fragment, or a server comparing it with the request refuses the proof.
    const written = `${plain.apiUrl.replace('http://localhost', 'HTTP://LOCALHOST')}/api/café/{id}?q=ä#f`;
    const sent = new URL(written);
    assert.equal(decodeJwt(await withClientInPage(page, 'proof', written)).htu, `${sent.origin}${sent.pathname}`);
    assert.equal(sent.pathname, '/api/caf%C3%A9/%7Bid%7D');
  });

  it('an IndexedDB that never answers: the callback fails with storage_unavailable after its deadline, and the code is never sent', async () => {
    const { page, stacks: { dpop: stack } } = env;
    // On the callback page only: IndexedDB takes the request to open and never answers.
    await page.addInitScript(() => {
      if (new URLSearchParams(window.location.search).has('code')) IDBFactory.prototype.open = () => ({});
    });
    await loginThroughProvider(page, stack);
    assert.match(await testIdText(page, 'error', /\S/), /^storage_unavailable: .*IndexedDB did not answer within 10 s/);
    assert.equal(await settledStatus(page), 'Logged out');
    assert.deepEqual(stack.grants, [], 'no code exchange without a proof');
  });

  it('a provider without DPoP: its Bearer token is refused by the client (invalid_response)', async () => {
    const { page, stacks: { noDpop: stack } } = env;
    await loginThroughProvider(page, stack);
    assert.match(await testIdText(page, 'error', /\S/), /^invalid_response: /);
    assert.equal(await settledStatus(page), 'Logged out');
    assert.equal(stack.grants.length, 1);
    assert.equal(stack.grants[0].issued.tokenType, 'Bearer', 'the provider answered with a Bearer token');
  });
});

// The React and Vue samples pass useDpop from /config.json as the plain one does (`npm run demo`
// with DEMO_FLOW=code-dpop shows each of them with DPoP-bound tokens).
defineE2E('DPoP in the React and Vue samples', {
  stacks: { react: ['react', { config: DPOP }], vue: ['vue', { config: DPOP }] },
}, (env, it) => {
  for (const framework of ['react', 'vue']) {
    it(`${framework}: log in and call the API with a DPoP-bound token`, async () => {
      const { page, stacks: { [framework]: stack } } = env;
      const issued = await logIn(page, stack);
      const call = await callBoundApi(page, stack);
      assert.equal(call.token, issued.accessToken, 'the API got the token of the login');
      assert.deepEqual(stack.apiCalls, [{ scheme: 'DPoP', status: 200, jkt: call.body.jkt }], 'one call, in the DPoP scheme');
    });
  }
});
