// Local servers for the demo and the end-to-end tests: an OpenID Provider (oidc-provider), a
// protected API that checks access tokens with the provider, and a static server for the
// sample apps. Development only: plain http on loopback, one demo account.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

const WWW = fileURLToPath(new URL('.', import.meta.url));
const PKG = fileURLToPath(new URL('../pkg/', import.meta.url));

export const CLIENT_ID = 'spa-demo';
export const DEMO_USER = { login: 'alice', password: 'wonderland' };

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
} = {}) {
  const issuer = `http://localhost:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  // Plain http: the cookies cannot be Secure; 'lax' still sends them on the top-level
  // navigations of the flow (and localhost:3000 and localhost:4000 are the same site anyway).
  const cookie = { httpOnly: true, sameSite: 'lax', secure: false };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit'],
      response_types: ['id_token token', 'id_token'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
    }],
    responseTypes: ['id_token token', 'id_token'],
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
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    renderError,
    // One machine, one clock: an access token stops working at the API the second it expires
    // (the default allows 15 s more), which keeps expiry tests short and exact.
    clockTolerance: 0,
    ttl: {
      AccessToken: accessTokenTTL,
      IdToken: idTokenTTL,
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

  const oidc = provider.callback();
  const server = createServer(async (req, res) => {
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
  return { issuer, close: () => closeServer(server) };
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

export async function startApi({ port = 4001, issuer, allowedOrigins = [] } = {}) {
  const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!discovery.ok) throw new Error(`discovery at ${issuer} failed: HTTP ${discovery.status}`);
  const { userinfo_endpoint: userinfoEndpoint } = await discovery.json();

  // The provider's userinfo endpoint accepts only access tokens it issued and that are still
  // valid, so asking it is a real check of the token (and tells us whose it is).
  async function subjectOf(token) {
    const res = await fetch(userinfoEndpoint, { headers: { authorization: `Bearer ${token}` } });
    return res.ok ? (await res.json()).sub : undefined;
  }

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
      const sub = token && await subjectOf(token);
      if (!sub) {
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return sendJson(res, 401, { error: 'invalid_token' });
      }
      sendJson(res, 200, { message: 'Hello from the protected API', sub });
    } catch (err) {
      sendJson(res, 502, { error: 'provider_unreachable', error_description: err.message });
    }
  });
  await listen(server, port, 'localhost');
  return { url: `http://localhost:${port}`, close: () => closeServer(server) };
}

// ---------------------------------------------------------------------------------------------
// The sample apps

const APP_ROOTS = {
  plain: join(WWW, 'plain'),
  react: join(WWW, 'react', 'dist'),
  vue: join(WWW, 'vue', 'dist'),
};

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
};

export async function startApp({ port = 3000, app = 'react', config } = {}) {
  const root = APP_ROOTS[app];
  if (!root) throw new Error(`unknown app ${app}; use one of ${Object.keys(APP_ROOTS).join(', ')}`);
  // The plain sample loads the package straight from the repository's pkg/ (no build step).
  const mounts = app === 'plain' ? [['/pkg/', PKG], ['/', root]] : [['/', root]];

  const server = createServer(async (req, res) => {
    // A parsed URL's path has no '..' segments left (nor encoded ones), so it stays inside dir.
    const { pathname: path } = new URL(req.url, 'http://localhost');
    if (path === '/config.json') return sendJson(res, 200, config);
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
    const file = join(dir, path.slice(prefix.length));
    try {
      return sendFile(res, await readFile(file), extname(file));
    } catch {
      // A missing asset is a 404; any other path is a route of the SPA.
      if (extname(path)) return sendJson(res, 404, { error: 'not_found' });
      try {
        sendFile(res, await readFile(join(root, 'index.html')), '.html');
      } catch {
        sendJson(res, 500, { error: `no ${app} build in ${root}; run buildSample('${app}')` });
      }
    }
  });
  await listen(server, port, 'localhost');
  return { url: `http://localhost:${port}`, close: () => closeServer(server) };
}

// Installs the sample's dependencies (spa-login is a file: link to ../../pkg, so the current
// pkg/ build is what gets bundled) and builds it with Vite. The plain sample needs no build.
export async function buildSample(app) {
  if (app === 'plain') return;
  if (app !== 'react' && app !== 'vue') throw new Error(`unknown app ${app}`);
  const cwd = join(WWW, app);
  await run('npm', ['install', '--no-audit', '--no-fund'], cwd);
  await run('npx', ['vite', 'build'], cwd);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function run(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: 'inherit' });
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
    'Content-Type': MIME[ext] ?? 'application/octet-stream',
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
