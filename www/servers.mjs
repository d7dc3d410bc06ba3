// Local servers for the demo and the end-to-end tests: an OpenID Provider (oidc-provider), a
// protected API that checks access tokens with the provider, and a static server for the
// sample apps. Development only: plain http on loopback, one demo account.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, verify as verifySignature } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
};

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
} = {}) {
  const issuer = auth0 ? `http://localhost:${port}/` : `http://localhost:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  // Plain http: the cookies cannot be Secure; 'lax' still sends them on the top-level
  // navigations of the flow (and localhost:3000 and localhost:4000 are the same site anyway).
  // An app on another site (127.0.0.1, say) gets no provider cookies in its hidden iframe: that
  // is how browsers that block third-party cookies behave.
  const cookie = { httpOnly: true, sameSite: 'lax', secure: false };

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
    // exactly the origins of the client's redirect URIs.
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
  return { issuer, authorizationEndpoint, oidc: provider, close: () => closeServer(server) };
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

export async function startApi({ port = 4001, issuer, allowedOrigins = [], audiences } = {}) {
  const discoveryUrl = new URL('.well-known/openid-configuration', issuer.endsWith('/') ? issuer : `${issuer}/`);
  const discovery = await fetch(discoveryUrl);
  if (!discovery.ok) throw new Error(`discovery at ${issuer} failed: HTTP ${discovery.status}`);
  const { userinfo_endpoint: userinfoEndpoint, jwks_uri: jwksUri } = await discovery.json();

  // The provider's userinfo endpoint accepts only access tokens it issued and that are still
  // valid, so asking it is a real check of the token (and tells us whose it is).
  async function checkWithUserinfo(token) {
    const res = await fetch(userinfoEndpoint, { headers: { authorization: `Bearer ${token}` } });
    return res.ok ? { sub: (await res.json()).sub } : undefined;
  }

  // With `audiences` (the Auth0 shape), access tokens are JWTs for an API: check them here as
  // an API would (RS256 signature with the issuer's keys, iss, aud, exp).
  const keys = audiences ? (await (await fetch(jwksUri)).json()).keys : [];
  async function checkJwt(token) {
    const [header, payload, signature, extra] = token.split('.');
    if (!signature || extra !== undefined) return undefined;
    const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const { alg, kid } = decode(header);
    const jwk = keys.find((k) => k.kid === kid);
    if (alg !== 'RS256' || !jwk) return undefined;
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    if (!verifySignature('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return undefined;
    const claims = decode(payload);
    const aud = [].concat(claims.aud ?? []);
    if (claims.iss !== issuer || !aud.some((a) => audiences.includes(a)) || !(claims.exp > Date.now() / 1000)) return undefined;
    return { sub: claims.sub, aud: claims.aud };
  }

  const check = (token) => (audiences ? checkJwt(token).catch(() => undefined) : checkWithUserinfo(token));

  const server = createServer(async (req, res) => {
    res.setHeader('Vary', 'Origin');
    if (allowedOrigins.includes(req.headers.origin)) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET',
        'Access-Control-Allow-Headers': 'Authorization',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (req.method !== 'GET' || req.url.split('?')[0] !== '/api/private') {
      return sendJson(res, 404, { error: 'not_found' });
    }
    const token = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
    try {
      const who = token && await check(token);
      if (!who?.sub) {
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return sendJson(res, 401, { error: 'invalid_token' });
      }
      sendJson(res, 200, { message: 'Hello from the protected API', ...who });
    } catch (err) {
      sendJson(res, 502, { error: 'provider_unreachable', error_description: err.message });
    }
  });
  await listen(server, port, 'localhost');
  return { url: `http://localhost:${port}`, close: () => closeServer(server) };
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
