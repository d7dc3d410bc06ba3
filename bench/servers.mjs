// The benchmark's two loopback servers, both plain node:http:
// - the app origin serves the bench pages, the bundles in bench/dist/ and the package in pkg/;
// - the provider origin is a fake OpenID Provider: discovery, a JWKS with one RS256 key made
//   with node:crypto, and an /authorize endpoint that mints an `id_token token` response in node
//   (RS256 ID token with nonce and at_hash) and either redirects the browser back with it
//   (mode 'redirect') or answers 204 No Content, which cancels the navigation and keeps the page,
//   and hands the request to the harness (mode 'capture'). For `response_type=code` it redirects
//   back with a code in the query, and its token endpoint (CORS, form or JSON body, as the peers
//   differ) exchanges the code after checking the PKCE verifier, minting the ID token for the
//   nonce of the authorization request, with a refresh token; a refresh_token grant mints new
//   tokens and rotates the refresh token. A token request with a `DPoP` header (RFC 9449) has
//   its proof checked (ES256 signature with the public key of its header, typ, htm, htu, iat,
//   jti used once) and gets DPoP-bound tokens: `token_type: 'DPoP'`, and a refresh token that
//   only a proof from the same key can use. No nonces: the timing rows measure the clients.
// - the API origin answers GET /api/ping with 200 at once, checking nothing but recording the
//   Authorization scheme and whether a `DPoP` header came (CORS with a cached preflight).
// Discovery and JWKS are sent with `Cache-Control: no-store`, so what is fetched again is what
// the library itself chose not to keep; the harness counts those requests.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { contentType, fileUnder } from '../www/static.mjs';

export const CLIENT_ID = 'bench-spa';
export const SCOPE = 'openid profile email';


const b64url = (buf) => Buffer.from(buf).toString('base64url');

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

// Serves files under `dir` for paths under `prefix`, refusing anything that leaves `dir`.
async function serveFile(res, dir, rel) {
  const file = fileUnder(dir, rel);
  if (!file) return false;
  let body;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': body.length,
    // Like hashed assets of a deployed app: a page that comes back from the provider loads
    // the code from the HTTP cache. Every fresh browser context starts with an empty cache.
    'cache-control': 'max-age=600',
  });
  res.end(body);
  return true;
}

// The JWK thumbprint (RFC 7638) of an EC public key: what a DPoP-bound token is bound to.
const ecThumbprint = ({ crv, kty, x, y }) =>
  b64url(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());

// Checks the DPoP proof `proof` for a request `htm` `htu` and answers the thumbprint of its key,
// or throws with what is wrong. `seen` holds the jti values already used.
function checkDpopProof(proof, { htm, htu, seen }) {
  const parts = String(proof).split('.');
  if (parts.length !== 3) throw new Error('a DPoP proof is a compact JWS');
  const [h, p, s] = parts;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const jwk = header.jwk;
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') throw new Error(`typ ${header.typ}, alg ${header.alg}`);
  if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.d !== undefined) throw new Error('the jwk header is not a P-256 public key');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  if (claims.htm !== htm || claims.htu !== htu) throw new Error(`htm ${claims.htm}, htu ${claims.htu}`);
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - Date.now() / 1000) > 60) throw new Error(`iat ${claims.iat}`);
  if (typeof claims.jti !== 'string' || !claims.jti || seen.has(claims.jti)) throw new Error('missing or repeated jti');
  seen.add(claims.jti);
  return ecThumbprint(jwk);
}

export class FakeProvider {
  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.kid = b64url(randomBytes(8));
    const { n, e } = publicKey.export({ format: 'jwk' });
    this.jwks = { keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid: this.kid, n, e }] };
    this.mode = 'redirect';
    // How long each request waits before it is answered: 0 on loopback; more stands for a
    // provider across a network (section 6, (a) with a provider far away).
    this.delayMs = 0;
    this.requests = []; // every request the provider saw: { method, path, at }
    this.waiters = [];
    this.codes = new Map(); // code -> the authorization request it answers; used once
    // valid refresh tokens (each is used once: rotation) -> the thumbprint of the DPoP key they
    // are bound to, or null
    this.refreshTokens = new Map();
    this.dpopJtis = new Set();
    this.grants = []; // every token endpoint answer: { grant_type, ok, access_token, jkt }
  }

  get metadata() {
    const o = this.origin;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${o}/authorize`,
      jwks_uri: `${o}/.well-known/jwks.json`,
      userinfo_endpoint: `${o}/userinfo`,
      end_session_endpoint: `${o}/v2/logout`,
      // auth0-spa-js does not read discovery and always posts to /oauth/token: the same
      // endpoint, so that the three libraries of the code flow use one.
      token_endpoint: `${o}/oauth/token`,
      response_types_supported: ['id_token token', 'id_token', 'code'],
      response_modes_supported: ['fragment', 'query'],
      grant_types_supported: ['implicit', 'authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'at_hash', 'name', 'email', 'email_verified'],
    };
  }

  jwt(payload) {
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), this.privateKey))}`;
  }

  // A fresh access token and an ID token bound to it (at_hash) and to the nonce.
  mintTokens({ nonce, clientId = CLIENT_ID, ttl = 3600, refresh = false, jkt = null } = {}) {
    const access_token = b64url(randomBytes(32));
    const at_hash = b64url(createHash('sha256').update(access_token, 'ascii').digest().subarray(0, 16));
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.issuer,
      sub: 'bench|alice',
      aud: clientId,
      exp: now + ttl,
      iat: now,
      ...(nonce ? { nonce } : {}),
      at_hash,
      name: 'Alice Liddell',
      email: 'alice@example.com',
      email_verified: true,
    };
    const out = { access_token, token_type: jkt ? 'DPoP' : 'Bearer', expires_in: ttl, id_token: this.jwt(claims), claims };
    if (refresh) {
      out.refresh_token = b64url(randomBytes(32));
      this.refreshTokens.set(out.refresh_token, jkt);
    }
    return out;
  }

  // The redirect_uri with the response of an authorization request in its fragment.
  respond(authorizeUrl) {
    const q = new URL(authorizeUrl).searchParams;
    const get = (k) => q.get(k) ?? undefined;
    if (get('client_id') !== CLIENT_ID) throw new Error(`unknown client_id in ${authorizeUrl}`);
    const responseType = get('response_type');
    if (responseType === 'code') return this.respondCode(get);
    if (responseType !== 'id_token token' && responseType !== 'token id_token') {
      throw new Error(`the bench provider answers only 'id_token token', not ${responseType}`);
    }
    if (!get('nonce') || !get('state') || !get('redirect_uri')) throw new Error(`nonce, state and redirect_uri are needed: ${authorizeUrl}`);
    const t = this.mintTokens({ nonce: get('nonce') });
    const fragment = new URLSearchParams({
      access_token: t.access_token,
      token_type: t.token_type,
      expires_in: String(t.expires_in),
      id_token: t.id_token,
      state: get('state'),
    });
    return `${get('redirect_uri')}#${fragment}`;
  }

  // The code flow's answer: the redirect_uri with a one-time code and the state in its query.
  respondCode(get) {
    if (!get('state') || !get('redirect_uri')) throw new Error('state and redirect_uri are needed');
    if (get('code_challenge_method') !== 'S256' || !get('code_challenge')) throw new Error('PKCE with S256 is needed');
    const code = b64url(randomBytes(24));
    this.codes.set(code, {
      nonce: get('nonce'),
      redirectUri: get('redirect_uri'),
      challenge: get('code_challenge'),
      scope: get('scope') ?? SCOPE,
      dpopJkt: get('dpop_jkt'), // auth0-spa-js names its key at /authorize
    });
    const back = new URL(get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', get('state'));
    return back.href;
  }

  // The token endpoint: { status, body, jkt } for the parameters of one POST and its DPoP
  // proof, if any.
  token(form, proof) {
    const bad = (error, description) => ({ status: 400, body: { error, error_description: description } });
    if (form.client_id !== CLIENT_ID) return bad('invalid_client', `unknown client_id ${form.client_id}`);
    let jkt = null;
    if (proof !== undefined) {
      try {
        jkt = checkDpopProof(proof, { htm: 'POST', htu: this.metadata.token_endpoint, seen: this.dpopJtis });
      } catch (e) {
        return bad('invalid_dpop_proof', e.message);
      }
    }
    if (form.grant_type === 'authorization_code') {
      const tx = this.codes.get(form.code);
      if (!tx) return bad('invalid_grant', 'unknown or used code');
      this.codes.delete(form.code);
      if (form.redirect_uri !== tx.redirectUri) return bad('invalid_grant', 'redirect_uri differs from the authorization request');
      const challenge = b64url(createHash('sha256').update(form.code_verifier ?? '', 'ascii').digest());
      if (challenge !== tx.challenge) return bad('invalid_grant', 'the PKCE verifier does not match');
      if (tx.dpopJkt !== undefined && tx.dpopJkt !== jkt) return bad('invalid_grant', 'dpop_jkt of the authorization request differs from the proof key');
      const t = this.mintTokens({ nonce: tx.nonce, refresh: true, jkt });
      return { status: 200, jkt, body: { access_token: t.access_token, token_type: t.token_type, expires_in: t.expires_in, id_token: t.id_token, refresh_token: t.refresh_token, scope: tx.scope } };
    }
    if (form.grant_type === 'refresh_token') {
      if (!this.refreshTokens.has(form.refresh_token)) return bad('invalid_grant', 'unknown or used refresh token');
      // A public client's DPoP-bound refresh token needs a proof from the same key (RFC 9449 5).
      const bound = this.refreshTokens.get(form.refresh_token);
      if (bound && bound !== jkt) return bad('invalid_dpop_proof', 'the refresh token is bound to another key');
      this.refreshTokens.delete(form.refresh_token);
      // An ID token from a refresh carries no nonce: there was no authorization request.
      const t = this.mintTokens({ refresh: true, jkt: bound ?? jkt });
      return { status: 200, jkt: bound ?? jkt, body: { access_token: t.access_token, token_type: t.token_type, expires_in: t.expires_in, id_token: t.id_token, refresh_token: t.refresh_token, scope: form.scope ?? SCOPE } };
    }
    return bad('unsupported_grant_type', `grant_type ${form.grant_type}`);
  }

  // Resolves with the URL of the next /authorize request that arrives in 'capture' mode.
  nextAuthorize(timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no /authorize request arrived')), timeoutMs);
      this.waiters.push((url) => {
        clearTimeout(timer);
        resolve(url);
      });
    });
  }

  handle(req, res) {
    const url = new URL(req.url, this.origin);
    this.requests.push({ method: req.method, path: url.pathname, at: Date.now() });
    const json = (status, body) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'access-control-allow-origin': '*',
        // Where a provider sends DPoP nonces, the page must be able to read them.
        'access-control-expose-headers': 'DPoP-Nonce',
      });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-allow-methods': 'GET, POST',
      });
      return res.end();
    }
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(200, this.metadata);
      case '/.well-known/jwks.json':
        return json(200, this.jwks);
      case '/oauth/token': {
        if (req.method !== 'POST') return json(405, { error: 'invalid_request' });
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // auth0-spa-js may send JSON (its useFormData: false); the others send a form.
          let form;
          try {
            form = /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(text || '{}') : Object.fromEntries(new URLSearchParams(text));
          } catch {
            return json(400, { error: 'invalid_request', error_description: 'unreadable body' });
          }
          const { status, body, jkt } = this.token(form, req.headers.dpop);
          // The harness checks that a renewal was a refresh_token grant that succeeded, and
          // that the token the page got is the one minted here (and bound to which key).
          this.grants.push({ grant_type: form.grant_type, ok: status === 200, access_token: body.access_token, jkt: jkt ?? null, error: body.error_description, at: Date.now() });
          json(status, body);
        });
        return;
      }
      case '/userinfo':
        return json(200, { sub: 'bench|alice', name: 'Alice Liddell', email: 'alice@example.com' });
      case '/authorize': {
        const full = url.href;
        if (this.mode === 'capture') {
          res.writeHead(204, { 'cache-control': 'no-store' });
          res.end();
          const w = this.waiters.shift();
          if (w) w(full);
          return;
        }
        let location;
        try {
          location = this.respond(full);
        } catch (e) {
          res.writeHead(400, { 'content-type': 'text/plain' });
          return res.end(String(e.message));
        }
        res.writeHead(302, { location, 'cache-control': 'no-store' });
        return res.end();
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
    }
  }
}

// The HTML of one bench page: the config, for 'ours-esm' an import map for our package (loaded
// exactly as shipped, from pkg/), and the page's bundle (library + adapter + boot).
function pageHtml(lib, config) {
  const importMap = lib === 'ours-esm'
    ? `<script type="importmap">${JSON.stringify({ imports: { 'spa-login': '/pkg/index.js', 'spa-login/': '/pkg/' } })}</script>\n`
    : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>bench ${lib}</title>
${importMap}<script>window.BENCH = ${JSON.stringify({ ...config, lib })};</script>
<script type="module" src="/dist/page-${lib}.js"></script>
</head><body></body></html>
`;
}

// The API that the DPoP section calls: 200 at once to GET /api/ping, with no check of the token or
// proof (so the time is the client's), but a record of what came: { method, scheme, dpop }. The
// preflight (Authorization and DPoP are not CORS-safelisted headers) is cached for ten minutes,
// as an API would let it be: after the first call of a page, a call is one GET.
function startApi() {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://api');
    const auth = req.headers.authorization ?? '';
    requests.push({ method: req.method, path: url.pathname, scheme: auth.split(' ')[0] || null, dpop: req.headers.dpop !== undefined });
    const cors = { 'access-control-allow-origin': '*' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-headers': 'authorization, dpop', 'access-control-allow-methods': 'GET', 'access-control-max-age': '600' });
      return res.end();
    }
    if (req.method !== 'GET' || url.pathname !== '/api/ping') {
      res.writeHead(404, cors);
      return res.end();
    }
    res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end('{"ok":true}');
  });
  return { server, requests };
}

export async function startServers({ distDir, pkgDir }) {
  const provider = new FakeProvider();
  const providerServer = createServer((req, res) =>
    provider.delayMs ? setTimeout(() => provider.handle(req, res), provider.delayMs) : provider.handle(req, res));
  const providerPort = await listen(providerServer);
  provider.origin = `http://127.0.0.1:${providerPort}`;
  // Auth0-style issuer, with the trailing slash: auth0-js expects one.
  provider.issuer = `${provider.origin}/`;

  let appOrigin;
  const appServer = createServer(async (req, res) => {
    const url = new URL(req.url, appOrigin);
    const p = decodeURIComponent(url.pathname);
    const page = /^\/app\/([a-z0-9-]+)\.html$/.exec(p);
    if (page) {
      const body = pageHtml(page[1], {
        issuer: provider.issuer,
        providerOrigin: provider.origin,
        clientId: CLIENT_ID,
        scope: SCOPE,
        redirectUri: `${appOrigin}/app/${page[1]}.html?mode=callback`,
      });
      res.writeHead(200, {
        'content-type': contentType('.html'),
        'cache-control': 'no-store',
        // The DPoP pages time calls well under a millisecond one by one: cross-origin isolated,
        // performance.now() is precise to microseconds instead of 0.1 ms. Everything these
        // pages load is from this origin or fetched with CORS, which isolation allows.
        ...(page[1].endsWith('-dpop') ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {}),
      });
      return res.end(body);
    }
    if (p === '/blank.html') {
      res.writeHead(200, { 'content-type': contentType('.html'), 'cache-control': 'no-store' });
      return res.end('<!doctype html><meta charset="utf-8"><title>blank</title>');
    }
    if (p.startsWith('/dist/') && (await serveFile(res, distDir, p.slice('/dist/'.length)))) return;
    if (p.startsWith('/pkg/') && (await serveFile(res, pkgDir, p.slice('/pkg/'.length)))) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  const appPort = await listen(appServer);
  appOrigin = `http://127.0.0.1:${appPort}`;

  const api = startApi();
  api.origin = `http://127.0.0.1:${await listen(api.server)}`;

  return {
    provider,
    appOrigin,
    api,
    async close() {
      for (const s of [appServer, providerServer, api.server]) {
        s.closeAllConnections?.();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
