// DPoP (RFC 9449) on the servers alone, no browser: the local provider (oidc-provider with DPoP
// on) issues DPoP-bound tokens to a client played from here, and the sample API checks them.
// Every refusal is one thing wrong with a request that is otherwise the accepted one.
//
// The code is obtained as a browser would, by HTTP: the authorization request, the provider's
// login and consent forms (cookies kept), the redirect to the app; then the token request is
// made from here with a proof signed by a key of the test's.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CLIENT_ID, DEMO_USER, DPOP_ALGS, DPOP_IAT_WINDOW_S, DPOP_NONCE_ROTATION_MS, startApi, startProvider } from '../../www/servers.mjs';
import { dpopKey, dpopProof, proofWithHs256, proofWithPrivateJwk, unsignedProof } from './dpop-proofs.mjs';
import { onFreePorts, startAll } from './harness.mjs';

const APP = 'http://localhost:3999';
const REDIRECT_URI = `${APP}/`;
const AUDIENCE = 'https://api.example.com/';

// A provider (startProvider `options`) on a free port, its discovery document, and an API in
// front of it (startApi `apiOptions`) whose clock the test sets: `provider.api.at(ms)`.
function startServers(options = {}, apiOptions = {}) {
  return onFreePorts(2, async ([providerPort, apiPort], started) => {
    const provider = await startProvider({ port: providerPort, redirectUris: [REDIRECT_URI], ...options });
    started.push(provider.close);
    const base = provider.issuer.endsWith('/') ? provider.issuer : `${provider.issuer}/`;
    const metadata = await (await fetch(new URL('.well-known/openid-configuration', base))).json();
    let clock = Date.now();
    const api = await startApi({
      port: apiPort,
      issuer: provider.issuer,
      allowedOrigins: [APP],
      apiClient: provider.apiClient,
      audiences: options.auth0 ? [AUDIENCE] : undefined,
      now: () => clock,
      ...apiOptions,
    });
    api.at = (ms) => { clock = ms; };
    api.nowS = () => Math.floor(clock / 1000);
    api.resource = `${api.url}/api/private`;
    return {
      provider, metadata, api,
      close: () => Promise.all([api.close(), provider.close()]),
    };
  });
}

// Logs alice in through the provider's pages by HTTP and returns the code the provider sent to
// the redirect URI, with the PKCE verifier of its request. `audience` for the Auth0 shape.
async function authorizationCode(servers, { audience, scope = 'openid profile email offline_access' } = {}) {
  const jar = new Map();
  const send = async (url, init = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (pair.slice(eq + 1)) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      else jar.delete(pair.slice(0, eq));
    }
    return res;
  };
  const verifier = randomBytes(32).toString('base64url');
  const request = new URL(servers.provider.authorizationEndpoint);
  for (const [name, value] of Object.entries({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(audience ? { audience } : {}),
  })) request.searchParams.set(name, value);

  let res = await send(request);
  // Redirects within the provider, its login form, its consent form, then the app.
  for (let step = 0; step < 12; step++) {
    const location = res.headers.get('location');
    if (location) {
      const target = new URL(location, res.url);
      if (target.href.startsWith(REDIRECT_URI)) {
        const code = target.searchParams.get('code');
        assert.ok(code, `the provider sent a code, not ${target.search}`);
        return { code, verifier };
      }
      res = await send(target);
      continue;
    }
    const html = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    assert.ok(action, `a provider page with a form, not HTTP ${res.status}: ${html.slice(0, 300)}`);
    const form = action.endsWith('/login') ? new URLSearchParams(DEMO_USER) : new URLSearchParams();
    res = await send(new URL(action, res.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
  }
  throw new Error('the provider did not come back to the app');
}

// A POST to the token endpoint with `form` (and `proof` as the DPoP header): status, the
// headers that matter, the JSON body.
async function tokenRequest(servers, form, { proof, origin } = {}) {
  const res = await fetch(servers.metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(proof ? { dpop: proof } : {}),
      ...(origin ? { origin } : {}),
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

// A proof of `key` for the token endpoint.
const tokenProof = (servers, key, nonce) => dpopProof(key, { method: 'POST', url: servers.metadata.token_endpoint, nonce });

// Logs in and exchanges the code with a proof of `key` (none without): the token response.
async function logIn(servers, key, { audience, scope } = {}) {
  const { code, verifier } = await authorizationCode(servers, { audience, scope });
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: verifier };
  const answer = await tokenRequest(servers, form, { proof: key && await tokenProof(servers, key) });
  assert.equal(answer.status, 200, `the code exchange succeeded: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// One GET of the API with `authorization` and the DPoP header(s) `proofs` (a string or a list):
// status, WWW-Authenticate, DPoP-Nonce and body.
async function callApi(servers, authorization, proofs = [], headers = {}) {
  const list = [].concat(proofs);
  const res = await fetch(servers.api.resource, {
    headers: [['authorization', authorization], ...list.map((p) => ['dpop', p]), ...Object.entries(headers)],
  });
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    nonce: res.headers.get('dpop-nonce'),
    body: await res.json(),
  };
}

// A proof for the API's resource, by `key`, for `token`, at the API's clock unless told.
const apiProof = (servers, key, token, extra = {}) => dpopProof(key, {
  method: 'GET', url: servers.api.resource, accessToken: token, iat: servers.api.nowS(), ...extra,
});

// A 401 in the DPoP scheme with `error`, that names the algorithms the API takes.
function assertDpopRefusal(answer, error, what) {
  assert.equal(answer.status, 401, `${what}: refused`);
  assert.match(answer.challenge ?? '', new RegExp(`^DPoP error="${error}", error_description="[^"]+", algs="${DPOP_ALGS.join(' ')}"$`),
    `${what}: the challenge`);
  assert.equal(answer.body.error, error, `${what}: the error in the body`);
}

// A CORS preflight from the app's origin for `method` with `headers` is answered yes.
async function assertPreflightAllows(url, method, headers) {
  const preflight = await fetch(url, {
    method: 'OPTIONS',
    headers: { origin: APP, 'access-control-request-method': method, 'access-control-request-headers': headers.join(',') },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), APP);
  const allowed = preflight.headers.get('access-control-allow-headers').toLowerCase().split(/,\s*/);
  for (const header of headers) assert.ok(allowed.includes(header), `${header} is allowed at ${url}: ${allowed}`);
}

describe('the sample API checks DPoP-bound tokens (opaque tokens, by introspection)', () => {
  let servers;
  let key;
  let token;

  before(async () => {
    servers = await startServers({ dpop: {} });
    key = await dpopKey();
    const answer = await logIn(servers, key);
    assert.equal(answer.token_type, 'DPoP');
    token = answer.access_token;
  });
  after(() => servers?.close());
  beforeEach(() => servers.api.at(Date.now()));

  const dpop = () => `DPoP ${token}`;

  test('the token with a fresh proof of its key: 200, bound to that key', async () => {
    const answer = await callApi(servers, dpop(), await apiProof(servers, key, token));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { message: 'Hello from the protected API', sub: 'alice', bound: true, jkt: key.jkt });
    assert.deepEqual(servers.api.log.at(-1), { scheme: 'DPoP', status: 200, jkt: key.jkt });
  });

  test('the token replayed with a valid proof of another key (a stolen token): 401', async () => {
    const thief = await dpopKey();
    const answer = await callApi(servers, dpop(), await apiProof(servers, thief, token));
    assertDpopRefusal(answer, 'invalid_token', 'another key');
    assert.match(answer.body.error_description, /another key/);
  });

  test('the same proof twice (jti replay): the second is refused', async () => {
    const proof = await apiProof(servers, key, token);
    assert.equal((await callApi(servers, dpop(), proof)).status, 200);
    const again = await callApi(servers, dpop(), proof);
    assertDpopRefusal(again, 'invalid_dpop_proof', 'a replayed proof');
    assert.match(again.body.error_description, /jti/);
  });

  test('a jti seen before is refused in a new proof too', async () => {
    const first = await apiProof(servers, key, token);
    assert.equal((await callApi(servers, dpop(), first)).status, 200);
    const { jti } = decodeJwt(first);
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { claims: { jti } })),
      'invalid_dpop_proof', 'a new proof with an old jti');
  });

  test('htm other than the request method: 401', async () => {
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { method: 'POST' })),
      'invalid_dpop_proof', 'htm POST for a GET');
  });

  test('htu other than the API URL: 401; its query and fragment do not count', async () => {
    const other = new URL(servers.api.resource);
    for (const htu of [
      `${servers.api.url}/api/other`,
      servers.api.resource.replace('http:', 'https:'),
      `http://127.0.0.1:${other.port}/api/private`,
      `${servers.api.url}/api/private/`,
      servers.metadata.token_endpoint,
    ]) {
      assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { url: htu })),
        'invalid_dpop_proof', `htu ${htu}`);
    }
    const answer = await callApi(servers, dpop(), await apiProof(servers, key, token, { url: `${servers.api.resource}?page=2#top` }));
    assert.equal(answer.status, 200, 'a query and a fragment in htu are ignored');
  });

  test(`iat more than ${DPOP_IAT_WINDOW_S} s from the API clock, either way: 401; at the edge: 200`, async () => {
    const now = servers.api.nowS();
    for (const iat of [now - DPOP_IAT_WINDOW_S - 1, now + DPOP_IAT_WINDOW_S + 1]) {
      assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { iat })),
        'invalid_dpop_proof', `iat ${iat - now} s`);
    }
    for (const iat of [now - DPOP_IAT_WINDOW_S, now + DPOP_IAT_WINDOW_S]) {
      const answer = await callApi(servers, dpop(), await apiProof(servers, key, token, { iat }));
      assert.equal(answer.status, 200, `iat ${iat - now} s is within the window`);
    }
    // The same check with the API's clock moved instead of the proof's iat.
    const proof = await apiProof(servers, key, token);
    servers.api.at((now + DPOP_IAT_WINDOW_S + 1) * 1000);
    assertDpopRefusal(await callApi(servers, dpop(), proof), 'invalid_dpop_proof', 'a proof the API clock has left behind');
  });

  test('ath of another token, or none: 401', async () => {
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { accessToken: `${token}x` })),
      'invalid_dpop_proof', 'ath of another token');
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { claims: { ath: undefined } })),
      'invalid_dpop_proof', 'no ath');
  });

  test('a proof whose jwk has its private part: 401', async () => {
    const request = { method: 'GET', url: servers.api.resource, accessToken: token, iat: servers.api.nowS() };
    const answer = await callApi(servers, dpop(), await proofWithPrivateJwk(key, request));
    assertDpopRefusal(answer, 'invalid_dpop_proof', 'a private jwk');
  });

  test('alg none, HS256, or an asymmetric alg the API does not take: 401', async () => {
    const request = { method: 'GET', url: servers.api.resource, accessToken: token };
    assertDpopRefusal(await callApi(servers, dpop(), unsignedProof(key, request)), 'invalid_dpop_proof', 'alg none');
    assertDpopRefusal(await callApi(servers, dpop(), await proofWithHs256(request)), 'invalid_dpop_proof', 'HS256');
    const rsa = await dpopKey('RS256');
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, rsa, token)), 'invalid_dpop_proof', 'RS256');
  });

  test('typ other than dpop+jwt, no jti, or a signature that does not verify: 401', async () => {
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { header: { typ: 'JWT' } })),
      'invalid_dpop_proof', 'typ JWT');
    assertDpopRefusal(await callApi(servers, dpop(), await apiProof(servers, key, token, { claims: { jti: undefined } })),
      'invalid_dpop_proof', 'no jti');
    // Signed by the thief's key, but naming the holder's public key in its header.
    const thief = await dpopKey();
    const forged = await apiProof(servers, { ...thief, jwk: key.jwk }, token);
    assert.deepEqual(decodeProtectedHeader(forged).jwk, key.jwk);
    assertDpopRefusal(await callApi(servers, dpop(), forged), 'invalid_dpop_proof', 'a signature by another key');
  });

  test('the DPoP scheme without a proof, or with two: 401', async () => {
    assertDpopRefusal(await callApi(servers, dpop()), 'invalid_dpop_proof', 'no DPoP header');
    const two = [await apiProof(servers, key, token), await apiProof(servers, key, token)];
    assertDpopRefusal(await callApi(servers, dpop(), two), 'invalid_dpop_proof', 'two DPoP headers');
  });

  test('the DPoP-bound token as a Bearer token: 401', async () => {
    // A proof alongside does not help: the Bearer scheme says the token is a bearer token.
    const answer = await callApi(servers, `Bearer ${token}`, await apiProof(servers, key, token));
    assert.equal(answer.status, 401);
    assert.match(answer.challenge, new RegExp(`^Bearer error="invalid_token", error_description="[^"]*DPoP-bound[^"]*", DPoP algs="${DPOP_ALGS.join(' ')}"$`));
    assert.equal(answer.body.error, 'invalid_token');
    assert.deepEqual(servers.api.log.at(-1), { scheme: 'Bearer', status: 401, error: 'invalid_token' });
  });

  test('a Bearer token (issued without a proof) with the DPoP scheme: 401; as Bearer: 200, not bound', async () => {
    const bearer = await logIn(servers, undefined);
    assert.equal(bearer.token_type, 'Bearer');
    const answer = await callApi(servers, `DPoP ${bearer.access_token}`, await apiProof(servers, key, bearer.access_token));
    assertDpopRefusal(answer, 'invalid_token', 'a Bearer token as DPoP');
    assert.match(answer.body.error_description, /not DPoP-bound/);
    const plain = await callApi(servers, `Bearer ${bearer.access_token}`);
    assert.equal(plain.status, 200);
    assert.deepEqual(plain.body, { message: 'Hello from the protected API', sub: 'alice', bound: false });
  });

  test('a token the provider did not issue, with a valid proof for it: 401', async () => {
    const made = randomBytes(32).toString('base64url');
    assertDpopRefusal(await callApi(servers, `DPoP ${made}`, await apiProof(servers, key, made)), 'invalid_token', 'an unknown token');
  });

  test("CORS: the app's origin may send Authorization and DPoP, and read DPoP-Nonce and WWW-Authenticate", async () => {
    await assertPreflightAllows(servers.api.resource, 'GET', ['authorization', 'dpop']);
    const answer = await fetch(servers.api.resource, { headers: { origin: APP, authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('access-control-allow-origin'), APP);
    const exposed = answer.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/);
    assert.ok(exposed.includes('dpop-nonce') && exposed.includes('www-authenticate'), `exposed: ${exposed}`);
    const stranger = await fetch(servers.api.resource, { headers: { origin: 'http://localhost:1', authorization: `Bearer ${token}` } });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null, 'another origin is not allowed');
  });
});

describe('the sample API with a nonce required (dpop.requireNonce)', () => {
  let servers;
  let key;
  let token;

  before(async () => {
    servers = await startServers({ dpop: {} }, { dpop: { requireNonce: true } });
    key = await dpopKey();
    token = (await logIn(servers, key)).access_token;
  });
  after(() => servers?.close());
  beforeEach(() => servers.api.at(Date.now()));

  test('a proof without the nonce: 401 use_dpop_nonce with a DPoP-Nonce; with it: 200', async () => {
    const first = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token));
    assertDpopRefusal(first, 'use_dpop_nonce', 'no nonce');
    assert.match(first.nonce ?? '', /^[\w-]{16,}$/, 'a DPoP-Nonce header');
    assert.deepEqual(servers.api.log.at(-1), { scheme: 'DPoP', status: 401, error: 'use_dpop_nonce' });
    const retry = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token, { nonce: first.nonce }));
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.jkt, key.jkt);
    assert.equal(retry.nonce, first.nonce, 'the nonce is still the current one');
  });

  test('a nonce the API did not give: 401 use_dpop_nonce', async () => {
    const answer = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token, { nonce: 'made-up-nonce-value' }));
    assertDpopRefusal(answer, 'use_dpop_nonce', 'a made-up nonce');
    assert.notEqual(answer.nonce, 'made-up-nonce-value');
  });

  test('after a rotation the previous nonce still passes, the one before it no longer', async () => {
    const { nonce: first } = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token));
    servers.api.at(Date.now() + DPOP_NONCE_ROTATION_MS + 1000);
    const { nonce: second } = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token));
    assert.notEqual(second, first, 'a new nonce after the rotation period');
    assert.equal((await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token, { nonce: first }))).status, 200);
    servers.api.at(Date.now() + 2 * (DPOP_NONCE_ROTATION_MS + 1000));
    assertDpopRefusal(await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token, { nonce: first })),
      'use_dpop_nonce', 'a nonce two rotations old');
  });
});

describe('the provider with DPoP', () => {
  let servers;
  let nonceServers;
  let plainServers;

  before(async () => {
    [servers, nonceServers, plainServers] = await startAll([
      startServers({ dpop: {} }),
      startServers({ dpop: { requireNonce: true } }),
      startServers({}),
    ]);
  });
  after(() => Promise.all([servers, nonceServers, plainServers].map((s) => s?.close())));

  test('a code exchange with a proof gets a DPoP token bound to the key, and a refresh token bound to it too', async () => {
    const key = await dpopKey();
    const answer = await logIn(servers, key);
    assert.equal(answer.token_type, 'DPoP');
    assert.ok(answer.refresh_token, 'a refresh token for the public client');
    // The refresh token only works with a proof of the same key.
    const refresh = { grant_type: 'refresh_token', refresh_token: answer.refresh_token, client_id: CLIENT_ID };
    const stolen = await tokenRequest(servers, refresh, { proof: await tokenProof(servers, await dpopKey()) });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, 'invalid_grant');
    const bare = await tokenRequest(servers, refresh);
    assert.equal(bare.status, 400, 'no proof: refused');
    const renewed = await tokenRequest(servers, refresh, { proof: await tokenProof(servers, key) });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.token_type, 'DPoP');
    const call = await callApi(servers, `DPoP ${renewed.body.access_token}`, await dpopProof(key, {
      method: 'GET', url: servers.api.resource, accessToken: renewed.body.access_token,
    }));
    assert.equal(call.status, 200);
    assert.equal(call.body.jkt, key.jkt, 'the renewed token is bound to the same key');
  });

  test('the discovery document lists the proof algorithms', () => {
    assert.deepEqual(servers.metadata.dpop_signing_alg_values_supported?.includes('ES256'), true);
    assert.equal(plainServers.metadata.dpop_signing_alg_values_supported, undefined, 'not without dpop');
  });

  test('with requireNonce: the first answer is use_dpop_nonce with a DPoP-Nonce, the retry with it succeeds', async () => {
    const key = await dpopKey();
    const { code, verifier } = await authorizationCode(nonceServers);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: verifier };
    const first = await tokenRequest(nonceServers, form, { proof: await tokenProof(nonceServers, key), origin: APP });
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'a DPoP-Nonce header');
    // A browser app may read it: the token endpoint's CORS exposes it to the app's origin.
    assert.equal(first.headers.get('access-control-allow-origin'), APP);
    assert.ok(first.headers.get('access-control-expose-headers').split(',').includes('DPoP-Nonce'));
    const retry = await tokenRequest(nonceServers, form, { proof: await tokenProof(nonceServers, key, nonce), origin: APP });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.token_type, 'DPoP');
  });

  test("CORS at the token endpoint: the app's origin may send a DPoP header", async () => {
    await assertPreflightAllows(nonceServers.metadata.token_endpoint, 'POST', ['content-type', 'dpop']);
  });

  test('without the dpop option, a proof is ignored and the token is a Bearer token', async () => {
    const answer = await logIn(plainServers, await dpopKey());
    assert.equal(answer.token_type, 'Bearer');
    const call = await callApi(plainServers, `Bearer ${answer.access_token}`);
    assert.equal(call.status, 200);
    assert.equal(call.body.bound, false);
  });
});

describe('the Auth0-shaped stack: DPoP-bound JWT access tokens carry cnf.jkt', () => {
  let servers;
  let key;
  let token;

  before(async () => {
    servers = await startServers({ auth0: true, audiences: [AUDIENCE], dpop: {} });
    key = await dpopKey();
    const answer = await logIn(servers, key, { audience: AUDIENCE, scope: 'openid profile read:messages' });
    assert.equal(answer.token_type, 'DPoP');
    token = answer.access_token;
  });
  after(() => servers?.close());
  beforeEach(() => servers.api.at(Date.now()));

  test('the access token is a JWT for the audience, bound to the key', () => {
    assert.equal(decodeProtectedHeader(token).typ, 'at+jwt');
    const claims = decodeJwt(token);
    assert.equal(claims.aud, AUDIENCE);
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
  });

  test('the API takes it with a proof of that key, and refuses another key, a replay and the Bearer scheme', async () => {
    const proof = await apiProof(servers, key, token);
    const answer = await callApi(servers, `DPoP ${token}`, proof);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { message: 'Hello from the protected API', sub: 'alice', aud: AUDIENCE, bound: true, jkt: key.jkt });
    assertDpopRefusal(await callApi(servers, `DPoP ${token}`, proof), 'invalid_dpop_proof', 'a replayed proof');
    assertDpopRefusal(await callApi(servers, `DPoP ${token}`, await apiProof(servers, await dpopKey(), token)), 'invalid_token', 'another key');
    const bearer = await callApi(servers, `Bearer ${token}`);
    assert.equal(bearer.status, 401);
    assert.match(bearer.challenge, /^Bearer error="invalid_token"/);
  });

  test("the API checks the JWT with its own clock: an expired token is refused", async () => {
    servers.api.at((decodeJwt(token).exp + 1) * 1000);
    const answer = await callApi(servers, `DPoP ${token}`, await apiProof(servers, key, token));
    assertDpopRefusal(answer, 'invalid_token', 'an expired JWT');
  });
});
