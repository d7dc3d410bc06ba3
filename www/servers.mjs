// Local servers for the demo and the end-to-end tests: an OpenID Provider (oidc-provider), a
// protected API that checks access tokens with the provider, and a static server for the
// sample apps. Development only: plain http on loopback, one demo account.
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, createLocalJWKSet, EmbeddedJWK, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { contentType } from './static.mjs';

const WWW = fileURLToPath(new URL('.', import.meta.url));
const PKG = fileURLToPath(new URL('../pkg/', import.meta.url));

export const CLIENT_ID = 'spa-demo';
export const DEMO_USER = { login: 'alice', password: 'wonderland' };

// The flows a sample can use, by name (DEMO_FLOW for the demo): what the sample's /config.json
// adds for each. The implicit flow is the package's default, so it adds nothing.
export const FLOWS = {
  implicit: {},
  code: { responseType: 'code' },
  'code-refresh': { responseType: 'code', useRefreshTokens: true },
  hybrid: { responseType: 'code id_token' },
  // DPoP-bound tokens (RFC 9449): the provider must have DPoP on (startProvider's `dpop`).
  'code-dpop': { responseType: 'code', useRefreshTokens: true, useDpop: true },
};

// The sample API's own client at the provider: a confidential client that signs nothing in and
// only asks the provider's introspection endpoint about the access tokens it is shown.
export const API_CLIENT_ID = 'demo-api';

const ALICE = {
  sub: 'alice',
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  email: 'alice@example.com',
  email_verified: true,
};

// ---------------------------------------------------------------------------------------------
// The OpenID Provider

export async function startProvider({
  port = 4000,
  host = 'localhost',
  redirectUris,
  postLogoutRedirectUris = [],
  accessTokenTTL = 3600,
  idTokenTTL = 3600,
  // The Auth0 shape, for clients made with `domain`: issuer with a trailing slash, Auth0's
  // paths, no end_session_endpoint but /v2/logout, web_message, and `audience` on /authorize
  // (mapped to a resource indicator: the access token is then a JWT for that API).
  auth0 = false,
  // The APIs (audience values) the Auth0-shaped provider issues access tokens for, and the
  // scopes such a token can carry. As at Auth0 these include the OIDC scopes; a provider that
  // puts only the API's own scopes in the token (Azure AD does) grants less than was asked for.
  audiences = [],
  apiScope = 'openid profile email read:messages',
  // DPoP (RFC 9449) at the token endpoint: a request with a `DPoP` proof gets an access token
  // bound to the proof's key (token_type DPoP) and, for the public client, a refresh token bound
  // to it too. `requireNonce`: every proof must carry the provider's nonce, so the first request
  // is answered use_dpop_nonce with a DPoP-Nonce header. Without `dpop` the provider has DPoP
  // off, as one that does not support it: it ignores proofs and issues Bearer tokens.
  dpop,
} = {}) {
  const issuer = auth0 ? `http://localhost:${port}/` : `http://localhost:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  // Plain http: the cookies cannot be Secure; 'lax' still sends them on the top-level
  // navigations of the flow (and localhost:3000 and localhost:4000 are the same site anyway).
  // An app on another site (127.0.0.1, say) gets no provider cookies in its hidden iframe: that
  // is how browsers that block third-party cookies behave.
  const cookie = { httpOnly: true, sameSite: 'lax', secure: false };
  const apiClient = { clientId: API_CLIENT_ID, clientSecret: randomBytes(32).toString('base64url') };

  const provider = new Provider(issuer, {
    // A single-page app is a public client: no secret (token_endpoint_auth_method 'none'), so
    // its codes are bound to it with PKCE instead. It may use the implicit flow, the code flow
    // ('code') and the hybrid flow ('code id_token'), and refresh tokens.
    clients: [{
      client_id: CLIENT_ID,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit', 'authorization_code', 'refresh_token'],
      response_types: ['id_token token', 'id_token', 'code', 'code id_token'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
    }, {
      // The sample API: authenticates with its secret (client_secret_basic) at the
      // introspection endpoint, and nowhere else.
      client_id: apiClient.clientId,
      client_secret: apiClient.clientSecret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    }],
    responseTypes: ['id_token token', 'id_token', 'code', 'code id_token'],
    // Every code request must carry a PKCE challenge (S256, the only method oidc-provider
    // accepts): a code taken from the address bar or the history is useless without the
    // verifier the app kept. (oidc-provider already requires it of public clients; this says
    // so for every client.)
    pkce: { required: () => true },
    // A refresh token is used once: each refresh answers with a new one, and oidc-provider
    // revokes the whole grant when a used one comes back (a stolen copy, or two tabs racing).
    rotateRefreshToken: true,
    // Refresh tokens for single-page apps. oidc-provider drops offline_access from every
    // request without prompt=consent (OpenID Connect Core 11), and SPA libraries do not send
    // that prompt on each login, so its default rule (offline_access granted) would never give
    // one. This is oidc-provider's documented recipe instead: also a public web client's code
    // exchange gets a refresh token. Without offline_access it expires with the provider session.
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (code.scopes.has('offline_access') || (client.applicationType === 'web' && client.clientAuthMethod === 'none')),
    // The app calls the token and revocation endpoints (and userinfo) from the browser: allow
    // exactly the origins of the client's redirect URIs. (Request headers such as DPoP are
    // allowed by oidc-provider on these routes; it exposes DPoP-Nonce once DPoP has a
    // nonceSecret, which is why `dpop` always sets one.)
    clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')], long: cookie, short: cookie },
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    // Put the granted profile claims in the ID token for 'id_token token' as well (as Auth0
    // does), so that getUser() has a profile without a userinfo call.
    conformIdTokenClaims: false,
    findAccount: (ctx, id) => (id === ALICE.sub ? { accountId: id, claims: () => ALICE } : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ...(auth0 ? {
      // Auth0's paths. The end-session step keeps a path of its own but is not in discovery
      // (Auth0 lists none): /v2/logout below sends the browser through it.
      routes: {
        authorization: '/authorize',
        jwks: '/.well-known/jwks.json',
        userinfo: '/userinfo',
        token: '/oauth/token',
        revocation: '/oauth/revoke',
        end_session: '/oidc/logout',
      },
      // Auth0 asks no consent of first-party applications: grant what the request asks for.
      loadExistingGrant: (ctx) => grantEverything(ctx),
    } : {}),
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // RFC 7009: the package revokes its refresh tokens at logout, before it leaves for the
      // end-session page (which the user may never complete). A client revokes its own only.
      revocation: { enabled: true, allowedPolicy: (ctx, client, token) => token.clientId === client.clientId },
      // RFC 7662, for the sample API: whether an opaque access token is active, whose it is, and
      // the thumbprint of the key it is bound to (cnf.jkt). Only the API may ask, only about
      // access tokens.
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) => client.clientId === apiClient.clientId && token.kind === 'AccessToken',
      },
      // The nonce secret makes the provider able to hand out nonces (DPoP-Nonce) at all: when
      // requireNonce says so, and to a proof whose iat is too far from its clock.
      dPoP: dpop
        ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => Boolean(dpop.requireNonce) }
        : { enabled: false },
      // Auth0 answers silent and popup requests with response_mode=web_message: a page that
      // posts the response to the parent or opener window. An experimental feature of
      // oidc-provider (draft 01), acknowledged here.
      ...(auth0 ? { webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' } } : {}),
      ...(auth0 ? { resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        // As at Auth0, the code flow's token is for the audience the authorization request
        // named: the code exchange (and a refresh) does not repeat it.
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (!audiences.includes(indicator)) throw new errors.InvalidTarget(`unknown audience ${indicator}`);
          return { scope: apiScope, audience: indicator, accessTokenFormat: 'jwt', accessTokenTTL };
        },
      } } : {}),
    },
    renderError,
    // One machine, one clock: an access token stops working at the API the second it expires
    // (the default allows 15 s more), which keeps expiry tests short and exact.
    clockTolerance: 0,
    ttl: {
      AccessToken: accessTokenTTL,
      IdToken: idTokenTTL,
      // A day at most for a refresh token's whole family: a rotated token keeps what was left of
      // the one it replaces (oidc-provider does so for public web clients, over 14 days).
      RefreshToken: (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? 86400,
      Interaction: 600,
      Session: 86400,
      Grant: 86400,
    },
  });

  // oidc-provider refuses http and localhost redirect URIs for implicit web clients. Allow
  // exactly those two for local development; every other client check stays.
  const { invalidate } = provider.Client.Schema.prototype;
  provider.Client.Schema.prototype.invalidate = function (message, code) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
    invalidate.call(this, message, code);
  };

  if (auth0) {
    // Auth0 lists no end_session_endpoint; clients made with `domain` use /v2/logout.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
        delete ctx.body.end_session_endpoint;
      }
    });
  }

  const oidc = provider.callback();
  const server = createServer(async (req, res) => {
    if (auth0) {
      const url = new URL(req.url, issuer);
      // `audience` picks the API, as at Auth0: it becomes the resource indicator (RFC 8707).
      if (url.pathname === '/authorize' && url.searchParams.has('audience') && !url.searchParams.has('resource')) {
        url.searchParams.set('resource', url.searchParams.get('audience'));
        req.url = url.pathname + url.search;
      }
      // Auth0's logout: ends the provider session, then returns to `returnTo`, which must be a
      // post-logout URI registered for `client_id`. The provider's own end-session step does
      // both (and refuses an unregistered returnTo); this route only translates the names.
      if (url.pathname === '/v2/logout' && req.method === 'GET') {
        const target = new URL('oidc/logout', issuer);
        const clientId = url.searchParams.get('client_id');
        const returnTo = url.searchParams.get('returnTo');
        if (clientId) target.searchParams.set('client_id', clientId);
        if (returnTo) target.searchParams.set('post_logout_redirect_uri', returnTo);
        res.writeHead(302, { Location: target.href, 'Cache-Control': 'no-store' });
        return res.end();
      }
    }
    const match = /^\/interaction\/[\w-]+(?:\/(login|confirm|abort))?$/.exec(req.url.split('?')[0]);
    if (!match) return oidc(req, res);
    try {
      await interaction(provider, req, res, match[1]);
    } catch (err) {
      // Typically an expired or missing interaction cookie (SessionNotFound).
      sendHtml(res, err.statusCode ?? 500, page('Error', `<p class="error">${esc(err.error ?? 'error')}: ${esc(err.error_description ?? err.message)}</p>`));
    }
  });
  await listen(server, port, host);
  const authorizationEndpoint = new URL(auth0 ? 'authorize' : 'auth', issuer.endsWith('/') ? issuer : `${issuer}/`).href;
  // `oidc` is the oidc-provider instance, for tests that listen to its events (grant.success,
  // grant.error: what the token endpoint was asked and answered).
  // `apiClient` is the sample API's credentials for the introspection endpoint.
  return { issuer, authorizationEndpoint, oidc: provider, apiClient, close: () => closeServer(server) };
}

// The Auth0-shaped provider's grant: whatever OIDC scopes and API scopes the request asks for
// (Auth0 skips consent for first-party applications). Before login there is nothing to grant.
async function grantEverything(ctx) {
  const { client, session } = ctx.oidc;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
  if (!session.accountId) return existing;
  const grant = existing ?? new ctx.oidc.provider.Grant({ accountId: session.accountId, clientId: client.clientId });
  grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
  for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers)) {
    const offered = new Set(server.scope.split(' '));
    grant.addResourceScope(indicator, [...ctx.oidc.requestParamScopes].filter((s) => offered.has(s)).join(' '));
  }
  await grant.save();
  return grant;
}

async function interaction(provider, req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;

  if (req.method === 'GET' && !action) {
    const body = prompt.name === 'login' ? loginForm(uid, params.login_hint) : consentForm(uid, params, prompt.details);
    return sendHtml(res, 200, body);
  }
  if (req.method === 'GET' && action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  if (req.method !== 'POST') return sendHtml(res, 405, page('Error', '<p class="error">Method not allowed</p>'));

  const form = new URLSearchParams(await readBody(req));
  if (action === 'login' && prompt.name === 'login') {
    if (form.get('login') !== DEMO_USER.login || form.get('password') !== DEMO_USER.password) {
      return sendHtml(res, 200, loginForm(uid, form.get('login'), 'Invalid username or password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: ALICE.sub } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm' && prompt.name === 'consent') {
    // Grant what the request asked for and the user has not granted yet.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return sendHtml(res, 400, page('Error', `<p class="error">Unexpected ${esc(action)} during ${esc(prompt.name)}</p>`));
}

function loginForm(uid, login = '', error = '') {
  return page('Sign in', `
    <h1>Sign in</h1>
    ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
    <form method="post" action="/interaction/${uid}/login">
      <label>Username <input name="login" value="${esc(login ?? '')}" autocomplete="username" required autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">Demo account: ${DEMO_USER.login} / ${DEMO_USER.password}</p>
    <p><a href="/interaction/${uid}/abort">Cancel</a></p>`);
}

function consentForm(uid, params, details) {
  const scopes = details.missingOIDCScope ?? [];
  return page('Allow access', `
    <h1>Allow access</h1>
    <p><b>${esc(params.client_id)}</b> asks for:</p>
    <ul>${scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
    <form method="post" action="/interaction/${uid}/confirm">
      <button type="submit">Allow</button>
    </form>
    <p><a href="/interaction/${uid}/abort">Deny</a></p>`);
}

// The RP-initiated logout confirmation submits itself, so that logout needs no extra click.
async function logoutSource(ctx, form) {
  ctx.body = page('Signing out', `
    <h1>Signing out…</h1>
    ${form}
    <button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
    <script>document.querySelector('button[name=logout]').click()</script>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Signed out', '<h1>Signed out</h1>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Error', `<h1>Error</h1><p class="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 22rem; margin: 3rem auto; }
  label, button { display: block; margin: .5rem 0; } input { width: 100%; }
  .error { color: #b00020; } .hint { color: #666; font-size: .9em; }
</style></head>
<body>${body}</body></html>`;
}

// ---------------------------------------------------------------------------------------------
// The protected API

// The signature algorithms the API takes for DPoP proofs: asymmetric ones only (RFC 9449 4.2),
// the ones oidc-provider takes at its token endpoint. Listed in the API's `algs` challenges.
export const DPOP_ALGS = ['ES256', 'Ed25519'];
// How far a proof's iat may be from the API's clock, either way, in seconds. A proof's jti is
// remembered as long as a proof with that iat could pass, so a replay is always caught.
export const DPOP_IAT_WINDOW_S = 60;
// How long the API's DPoP nonce stays the current one; the one before it is still accepted.
export const DPOP_NONCE_ROTATION_MS = 300_000;

// The sample API: GET /api/private answers who the access token belongs to, and whether it is
// DPoP-bound (with the thumbprint of its key). It checks tokens as a resource server would:
// opaque ones (the default provider) by introspection at the provider with `apiClient` (from
// startProvider), JWTs (with `audiences`, the Auth0 shape) by their signature, issuer, audience
// and expiry. A DPoP-bound token must come as `Authorization: DPoP <token>` with a valid proof
// of possession of its key, a Bearer token as `Authorization: Bearer <token>`; anything else is
// a 401 with the challenge of RFC 9449 7.1 or RFC 6750.
//
// `dpop.requireNonce`: proofs must carry the API's nonce (RFC 9449 9); one without it is answered
// use_dpop_nonce with a DPoP-Nonce header. `now`: the API's clock in ms (a test moves it to check
// the iat window). `log` lists every answer to a GET /api/private: { scheme, status, error, jkt }.
export async function startApi({
  port = 4001, issuer, allowedOrigins = [], audiences, apiClient, dpop = {}, now = Date.now,
} = {}) {
  const discoveryUrl = new URL('.well-known/openid-configuration', issuer.endsWith('/') ? issuer : `${issuer}/`);
  const discovery = await fetch(discoveryUrl);
  if (!discovery.ok) throw new Error(`discovery at ${issuer} failed: HTTP ${discovery.status}`);
  const { introspection_endpoint: introspectionEndpoint, jwks_uri: jwksUri } = await discovery.json();
  const url = `http://localhost:${port}`;
  const log = [];

  // Asks the provider about an opaque token (RFC 7662): whose it is, and the key it is bound to.
  // The client's credentials are form-encoded before they are joined (RFC 6749 2.3.1).
  if (!audiences && !apiClient) throw new Error('startApi needs apiClient (from startProvider) to introspect tokens');
  const basic = apiClient && Buffer.from(`${encodeURIComponent(apiClient.clientId)}:${encodeURIComponent(apiClient.clientSecret)}`).toString('base64');
  async function introspect(token) {
    const res = await fetch(introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!res.ok) throw new Error(`introspection answered HTTP ${res.status}`);
    const info = await res.json();
    return info.active ? { sub: info.sub, jkt: info.cnf?.jkt } : undefined;
  }

  // With `audiences` (the Auth0 shape), access tokens are JWTs for an API (RFC 9068): an RS256
  // signature by one of the issuer's keys, its iss, one of our audiences, not expired. A
  // DPoP-bound one names its key in cnf.jkt.
  const keys = audiences && createLocalJWKSet(await (await fetch(jwksUri)).json());
  async function checkJwt(token) {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ['RS256'], typ: 'at+jwt', issuer, audience: audiences, requiredClaims: ['exp'], currentDate: new Date(now()),
    }).catch(() => ({}));
    return payload && { sub: payload.sub, aud: payload.aud, jkt: payload.cnf?.jkt };
  }

  const checkToken = audiences ? checkJwt : introspect;
  const seenJtis = new Map();
  const nonces = rotatingNonce(now);

  // The DPoP proof (RFC 9449 4.3) sent with `token`: the key that signed it, as its RFC 7638
  // thumbprint. jose checks the JWS: typ dpop+jwt, an algorithm of DPOP_ALGS, the signature with
  // the public key in its jwk header (a jwk with a private part is refused).
  async function checkProof(req, token) {
    const proofs = req.headersDistinct.dpop ?? [];
    if (proofs.length !== 1) throw new Refusal('DPoP', 'invalid_dpop_proof', 'one DPoP header is needed with the DPoP scheme');
    let verified;
    try {
      verified = await jwtVerify(proofs[0], EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS, currentDate: new Date(now()) });
    } catch (e) {
      throw new Refusal('DPoP', 'invalid_dpop_proof', `the proof does not verify (${e.message})`);
    }
    const { htm, htu, iat, jti, ath, nonce } = verified.payload;
    const fail = (why) => new Refusal('DPoP', 'invalid_dpop_proof', why);
    if (htm !== req.method) throw fail('htm is not the request method');
    // htu is compared without its query and fragment, after URL normalisation (RFC 9449 4.3).
    const target = new URL(req.url, url);
    const claimed = typeof htu === 'string' && URL.parse(htu);
    if (!claimed) throw fail('htu is not a URL');
    for (const u of [target, claimed]) u.search = u.hash = '';
    if (claimed.href !== target.href) throw fail('htu is not the request URL');
    const nowS = Math.floor(now() / 1000);
    if (!Number.isFinite(iat) || Math.abs(nowS - iat) > DPOP_IAT_WINDOW_S) throw fail(`iat is more than ${DPOP_IAT_WINDOW_S} s away from the API clock`);
    if (typeof jti !== 'string' || !jti) throw fail('jti is missing');
    if (ath !== createHash('sha256').update(token).digest('base64url')) throw fail('ath is not the hash of the access token');
    // Only a proof that passed every check above (its signature first) takes room in the cache.
    for (const [seen, until] of seenJtis) if (until < nowS) seenJtis.delete(seen);
    if (seenJtis.has(jti)) throw fail('the proof was used before (jti)');
    seenJtis.set(jti, iat + DPOP_IAT_WINDOW_S);
    if (dpop.requireNonce && !nonces.accepts(nonce)) {
      throw new Refusal('DPoP', 'use_dpop_nonce', nonce === undefined ? 'the API requires a nonce in the proof' : 'the nonce is not current');
    }
    return calculateJwkThumbprint(verified.protectedHeader.jwk, 'sha256');
  }

  // Who the request's token belongs to, or a Refusal. The proof is checked before the provider
  // is asked about the token: a request that fails it costs no introspection.
  async function authenticate(req) {
    const match = /^(Bearer|DPoP) ([\w\-.~+/]+=*)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new Refusal('Bearer', 'invalid_token', 'no access token');
    const scheme = match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2];
    const proofKey = scheme === 'DPoP' ? await checkProof(req, token) : undefined;
    const who = await checkToken(token);
    if (!who?.sub) throw new Refusal(scheme, 'invalid_token', 'the access token is not valid');
    if (scheme === 'Bearer' && who.jkt) throw new Refusal('Bearer', 'invalid_token', 'the access token is DPoP-bound: send it with the DPoP scheme and a proof');
    if (scheme === 'DPoP' && !who.jkt) throw new Refusal('DPoP', 'invalid_token', 'the access token is not DPoP-bound');
    if (scheme === 'DPoP' && who.jkt !== proofKey) throw new Refusal('DPoP', 'invalid_token', 'the proof is signed by another key than the one the token is bound to');
    return { scheme, who };
  }

  const server = createServer(async (req, res) => {
    res.setHeader('Vary', 'Origin');
    if (allowedOrigins.includes(req.headers.origin)) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Access-Control-Expose-Headers', 'DPoP-Nonce, WWW-Authenticate');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET',
        'Access-Control-Allow-Headers': 'Authorization, DPoP',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (req.method !== 'GET' || req.url.split('?')[0] !== '/api/private') {
      return sendJson(res, 404, { error: 'not_found' });
    }
    // A client that uses DPoP learns the current nonce from every answer (RFC 9449 8.2).
    if (dpop.requireNonce) res.setHeader('DPoP-Nonce', nonces.current());
    try {
      const { scheme, who: { jkt, ...who } } = await authenticate(req);
      log.push({ scheme, status: 200, jkt });
      sendJson(res, 200, { message: 'Hello from the protected API', ...who, bound: Boolean(jkt), ...(jkt ? { jkt } : {}) });
    } catch (err) {
      if (!(err instanceof Refusal)) {
        log.push({ status: 502, error: 'provider_unreachable' });
        return sendJson(res, 502, { error: 'provider_unreachable', error_description: err.message });
      }
      log.push({ scheme: err.scheme, status: 401, error: err.error });
      res.setHeader('WWW-Authenticate', err.challenge());
      sendJson(res, 401, { error: err.error, error_description: err.description });
    }
  });
  await listen(server, port, 'localhost');
  return { url, log, close: () => closeServer(server) };
}

// A 401 of the API: the scheme the request used, the error code and why. Its challenge
// (RFC 9449 7.1, RFC 6750 3) names the error in the request's scheme; a Bearer refusal adds a
// DPoP challenge, which tells a client that this API takes DPoP and with which algorithms.
class Refusal {
  constructor(scheme, error, description) {
    Object.assign(this, { scheme, error, description });
  }

  challenge() {
    const params = `error="${this.error}", error_description="${this.description.replace(/["\\]/g, "'")}"`;
    const algs = `algs="${DPOP_ALGS.join(' ')}"`;
    return this.scheme === 'DPoP' ? `DPoP ${params}, ${algs}` : `Bearer ${params}, DPoP ${algs}`;
  }
}

// The API's DPoP nonce: random, replaced every DPOP_NONCE_ROTATION_MS of the clock `now`; the
// one before the current is still accepted, so a client that just got it is not refused.
function rotatingNonce(now) {
  const fresh = () => randomBytes(16).toString('base64url');
  let current = fresh();
  let previous;
  let since = now();
  const rotate = () => {
    if (now() - since < DPOP_NONCE_ROTATION_MS) return;
    [previous, current, since] = [current, fresh(), now()];
  };
  return {
    current: () => (rotate(), current),
    accepts: (nonce) => (rotate(), typeof nonce === 'string' && (nonce === current || nonce === previous)),
  };
}

// ---------------------------------------------------------------------------------------------
// The sample apps

// The apps that have a build, by name: where each is, what builds it, the files (besides its
// package.json, its lockfile and the package) the build reads, and where it writes.
const TESTS = fileURLToPath(new URL('../tests/', import.meta.url));
const vite = (dir, sources) => ({ dir, build: ['vite', 'build'], inputs: [...sources, 'index.html', 'vite.config.js'], out: 'dist' });
const BUILT_APPS = {
  react: vite(join(WWW, 'react'), ['src']),
  vue: vite(join(WWW, 'vue'), ['src']),
  // The pages of the bindings' browser tests (tests/e2e/bindings.test.mjs).
  'bindings-react': vite(join(TESTS, 'e2e', 'bindings', 'react'), ['main.js']),
  'bindings-vue': vite(join(TESTS, 'e2e', 'bindings', 'vue'), ['main.js']),
  // A Next.js app router build, as a static export (tests/bundlers/next.test.mjs).
  next: { dir: join(TESTS, 'bundlers', 'next'), build: ['next', 'build'], inputs: ['app', 'next.config.mjs'], out: 'out' },
};

const APP_ROOTS = {
  plain: join(WWW, 'plain'),
  ...Object.fromEntries(Object.entries(BUILT_APPS).map(([app, { dir, out }]) => [app, join(dir, out)])),
};

// `config` is what /config.json answers: an object, or a function called on every request (so
// a test can change the settings the next page load sees). `host` 127.0.0.1 puts the app on
// another site than the provider on localhost.
// `headers` (an object, or a function giving one per request) are sent with every response: a
// Content-Security-Policy, say. `render`, if given, changes the text of every HTML page served,
// as a server that renders its pages would (a fresh CSP nonce on a script tag, say).
export async function startApp({ port = 3000, host = 'localhost', app = 'react', config, headers, render } = {}) {
  const root = APP_ROOTS[app];
  if (!root) throw new Error(`unknown app ${app}; use one of ${Object.keys(APP_ROOTS).join(', ')}`);
  // The plain sample loads the package straight from the repository's pkg/ (no build step).
  const mounts = app === 'plain' ? [['/pkg/', PKG], ['/', root]] : [['/', root]];

  const server = createServer(async (req, res) => {
    // A parsed URL's path has no '..' segments left (nor encoded ones), so it stays inside dir.
    const { pathname: path } = new URL(req.url, 'http://localhost');
    for (const [name, value] of Object.entries((typeof headers === 'function' ? headers() : headers) ?? {})) res.setHeader(name, value);
    if (path === '/config.json') return sendJson(res, 200, typeof config === 'function' ? config() : config);
    const send = (data, ext) => sendFile(res, render && ext === '.html' ? render(String(data)) : data, ext);
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
    const file = join(dir, path.slice(prefix.length));
    try {
      return send(await readFile(file), extname(file));
    } catch {
      // A missing asset is a 404; any other path is a route of the SPA.
      if (extname(path)) return sendJson(res, 404, { error: 'not_found' });
      try {
        send(await readFile(join(root, 'index.html')), '.html');
      } catch {
        sendJson(res, 500, { error: `no ${app} build in ${root}; run buildSample('${app}')` });
      }
    }
  });
  await listen(server, port, host);
  return { url: `http://${host}:${port}`, close: () => closeServer(server) };
}

// Installs the app's dependencies (spa-login is a file: link to the repository's pkg/, so the
// current pkg/ build is what gets bundled) and builds it (Vite; Next.js for `next`). The plain
// sample needs no build.
//
// Several test files use the same sample, and node's test runner may run them at once: one
// build at a time (a lock directory), and none when the last build was made from the same
// inputs (the package and the sample's own files, hashed into dist/.inputs), so a suite never
// has its dist/ emptied under it by another suite's build.
export async function buildSample(app) {
  if (app === 'plain') return;
  const built = BUILT_APPS[app];
  if (!built) throw new Error(`unknown app ${app}`);
  const cwd = built.dir;
  const stamp = join(cwd, built.out, '.inputs');
  await withLock(join(tmpdir(), `spa-login-build-${createHash('sha256').update(cwd).digest('hex').slice(0, 16)}`), async () => {
    const inputs = await hashFiles([PKG, ...[...built.inputs, 'package.json', 'package-lock.json'].map((f) => join(cwd, f))]);
    if (await readFile(stamp, 'utf8').catch(() => '') === inputs) return;
    await run('npm', ['install', '--no-audit', '--no-fund'], cwd);
    await run('npx', built.build, cwd);
    await writeFile(stamp, inputs);
  });
}

// The SHA-256 of the names and contents of the files at `paths` (directories walked in order).
async function hashFiles(paths) {
  const hash = createHash('sha256');
  const add = async (path) => {
    const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
    if (!entries) {
      hash.update(`${path}\0`).update(await readFile(path).catch(() => Buffer.from('(missing)')));
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) await add(join(path, entry.name));
  };
  for (const path of paths) await add(path);
  return hash.digest('hex');
}

// Runs `f` while holding the lock directory `dir` (mkdir is atomic; the holder's pid inside).
// A lock whose holder is gone (a run that was killed) is taken over at once, one whose holder
// cannot be told after ten minutes.
async function withLock(dir, f) {
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
      let gone = false;
      if (pid > 0) {
        try {
          process.kill(pid, 0);
        } catch (err) {
          gone = err.code === 'ESRCH';
        }
      }
      const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (gone || age > 10 * 60_000) await rm(dir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await f();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function run(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    // Next.js would otherwise try to send telemetry (tests reach no host but the registries).
    const child = spawn(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} exited with ${code}`))));
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function sendFile(res, data, ext) {
  res.writeHead(200, {
    'Content-Type': contentType(ext),
    'Cache-Control': 'no-cache',
  });
  res.end(data);
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
