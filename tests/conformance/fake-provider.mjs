// A tiny OpenID provider for the conformance suite, on 127.0.0.1 and a free port: discovery, a
// JWKS, an Auth0-like /authorize, an end_session endpoint, a token endpoint and a revocation
// endpoint, all configurable per test, with a count of requests per path and CORS open to any
// origin. It also serves the test page (an
// import map for 'spa-login' to /pkg/index.js) and the built package from the repository's pkg/.
//
// The issuer is http://127.0.0.1:PORT. The page is served on every host name, so a test picks
// http://localhost:PORT/ (another origin than the issuer: discovery and JWKS go through CORS) or
// http://127.0.0.1:PORT/ (the same origin).
//
// For the silent (hidden iframe, prompt=none) and popup flows, /authorize can also answer with a
// page that posts the response to the window that opened the flow (response_mode=web_message,
// as Auth0 does), post it from another origin or from another window, or not answer at all. A
// second server on another port (`otherOrigin`) serves the page that posts from another origin.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentType, fileUnder } from '../../www/static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(here, '../../pkg');


const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>spa-login conformance</title>
<script type="importmap">{"imports":{"spa-login":"/pkg/index.js"}}</script>
<script type="module" src="/conformance/page.js"></script>
</head>
<body></body>
</html>
`;

// The page that posts a web_message response. `spec`: { messages, targetOrigin, target, close }.
// target 'self': this window posts to its opener (a popup) or parent (a frame); 'grandparent':
// this window is a frame inside the provider's page and posts to that page's opener or parent.
// With `spec` undefined, the page reads it from its fragment (the other-origin and nested pages).
function webMessagePage(spec) {
  const source = spec === undefined
    ? 'JSON.parse(decodeURIComponent(location.hash.slice(1)))'
    : JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>web_message</title></head>
<body>
<script>
(() => {
  const spec = ${source};
  const host = spec.target === 'grandparent' ? window.parent : window;
  const target = host.opener && host.opener !== host ? host.opener : host.parent;
  for (const response of spec.messages) {
    target.postMessage({ type: 'authorization_response', response }, spec.targetOrigin);
  }
  if (spec.close) window.close();
})();
</script>
</body></html>
`;
}

// A page at the provider that sends its window on to `url` (the other-origin case), or that
// holds a frame at `url` (the nested-frame case).
function hopPage(url, nested) {
  const js = JSON.stringify(url).replace(/</g, '\\u003c');
  const body = nested
    ? `<iframe src="" title="nested"></iframe><script>document.querySelector('iframe').src = ${js};</script>`
    : `<script>location.replace(${js});</script>`;
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>provider</title></head><body>${body}</body></html>\n`;
}

// A provider's sign-in page: after `delayMs` (the user typing a password) it sends its window
// on to `url`, where the response is.
function signInPage(url, delayMs) {
  const js = JSON.stringify(url).replace(/</g, '\\u003c');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><p>Sign in</p><script>setTimeout(() => location.replace(${js}), ${Number(delayMs)});</script></body></html>\n`;
}

const NO_ANSWER_PAGE = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><p>Sign in</p></body></html>\n';

// Files are read once per run: every test serves the same package.
const fileCache = new Map();
async function readCached(file) {
  if (!fileCache.has(file)) fileCache.set(file, readFile(file));
  return fileCache.get(file);
}

/**
 * Starts a provider. Everything in `provider.config` may be changed by the test at any time:
 *   issuer        the issuer its discovery states (default http://127.0.0.1:PORT)
 *   algs          id_token_signing_alg_values_supported (undefined: the member is left out)
 *   discovery     members merged over the default document (undefined removes one)
 *   discoveryStatus / discoveryBody   HTTP status and raw body overriding the document
 *   jwks          the key set ({ keys: [...] })
 *   jwksStatus / jwksBody             likewise for the JWKS
 *   authorize     (params: URLSearchParams) => the answer to /authorize; default: the bare-token
 *                 answer Auth0 gives to response_type=token. One of:
 *                   'k=v&...'              a 302 to redirect_uri#k=v&...
 *                   { status, body }       that status with a text body
 *                   { redirect: url }      a 302 to that URL
 *                   { noAnswer: true }     a page that never answers (the user would sign in)
 *                   { hang: true }         no answer at all: the request stays open (a provider
 *                       slow to answer; a hidden iframe whose page loaded without a response
 *                       ends its flow at once, this one waits for the timeout)
 *                   { signIn: 'k=v&...', delayMs }   a sign-in page that, after delayMs (default
 *                       1500: a user signing in), goes on to redirect_uri#k=v&...
 *                   { webMessage, via, close }   a page that posts { type: 'authorization_response',
 *                       response } for each response object in `webMessage` (one or an array)
 *                       to its opener (a popup) or its parent (a frame), with the redirect_uri's
 *                       origin as targetOrigin; `via` says from where:
 *                         'page' (default)  the /authorize page itself: the right origin and window
 *                         'other-origin'    the page first navigates to otherOrigin, which posts
 *                         'nested-frame'    a frame inside the /authorize page posts to the flow's
 *                                           window (the right origin, the wrong window)
 *                       `close`: the page closes itself (a popup) after posting
 *                 With `coop: true` a noAnswer or signIn page is sent with Cross-Origin-Opener-Policy:
 *                 same-origin (Django's default): a popup showing it loses its opener.
 *   cors          false to leave out Access-Control-Allow-Origin
 *   discoveryHang / jwksHang          true: that request is never answered (the connection
 *                 stays open until the client gives up or the provider closes)
 *   issParameterSupported   the discovery member authorization_response_iss_parameter_supported
 *                 (undefined: left out)
 *   token         (post) => the answer of /token to a POST; `post` is what `tokenPosts` records.
 *                 The answer is { status (default 200), body (an object is sent as JSON, text
 *                 as is), type (default application/json) }. Default: 400 invalid_request, so
 *                 that a test that did not script the endpoint cannot pass by accident.
 *   revoke        (post) => the answer of /revoke, likewise; default 200 with an empty body
 *                 (RFC 7009 2.2)
 *
 * Every POST to /token or /revoke is recorded, in order, in `tokenPosts` / `revocations`:
 * { path, pairs (the form's name/value pairs in order, repeats kept), form (an object of
 * them), contentType, cookie, origin, headers }. Both endpoints answer at the paths discovery
 * names (default /token and /revoke; a test may move them with `discovery`).
 */
export async function startProvider() {
  const counts = new Map();
  const requests = [];
  const config = {
    algs: ['RS256'],
    discovery: {},
    discoveryStatus: 200,
    jwks: { keys: [] },
    jwksStatus: 200,
    authorize: undefined,
    cors: true,
  };
  const tokenPosts = [];
  const revocations = [];
  let origin;
  let otherOrigin;

  // What a POST to /token or /revoke carried: the form as sent (pairs in order, so that a
  // repeated or extra field shows) and the headers a test checks (no cookies, the form type).
  async function readPost(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const pairs = [...new URLSearchParams(body)];
    return {
      body,
      pairs,
      form: Object.fromEntries(pairs),
      contentType: req.headers['content-type'],
      cookie: req.headers.cookie,
      origin: req.headers.origin,
      headers: { ...req.headers },
    };
  }

  const noTokenAnswer = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'the test did not script the token endpoint' } });

  function discoveryDocument() {
    const doc = {
      issuer: config.issuer ?? origin,
      authorization_endpoint: `${origin}/authorize`,
      jwks_uri: `${origin}/jwks`,
      end_session_endpoint: `${origin}/logout`,
      token_endpoint: `${origin}/token`,
      revocation_endpoint: `${origin}/revoke`,
      response_types_supported: ['id_token token', 'id_token', 'token', 'code', 'code id_token'],
      authorization_response_iss_parameter_supported: config.issParameterSupported,
      response_modes_supported: ['fragment', 'query'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: config.algs,
      ...config.discovery,
    };
    for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
    return doc;
  }

  // The answer of Auth0 to a bare response_type=token request: straight back to the app.
  function defaultAuthorize(params) {
    const token = `e2e.${Math.random().toString(36).slice(2)}`;
    return `access_token=${token}&token_type=Bearer&expires_in=7200&state=${encodeURIComponent(params.get('state') ?? '')}`;
  }

  const handler = async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const pathname = url.pathname;
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    requests.push({ method: req.method, path: pathname, query: url.search, host: req.headers.host });
    const headers = { 'cache-control': 'no-store' };
    if (config.cors) headers['access-control-allow-origin'] = '*';
    const send = (status, type, body, extra = {}) => {
      res.writeHead(status, { ...headers, 'content-type': type, ...extra });
      res.end(body);
    };
    const json = (status, value) => send(status, 'application/json', typeof value === 'string' ? value : JSON.stringify(value));
    try {
      if (req.method === 'OPTIONS') return send(204, 'text/plain', '');
      if (pathname.endsWith('/.well-known/openid-configuration')) {
        if (config.discoveryHang) return;
        return json(config.discoveryStatus, config.discoveryBody ?? discoveryDocument());
      }
      if (pathname === '/jwks') {
        if (config.jwksHang) return;
        // `jwksCacheControl`: as providers that let browsers keep their keys (max-age) serve it.
        if (config.jwksCacheControl) headers['cache-control'] = config.jwksCacheControl;
        return json(config.jwksStatus, config.jwksBody ?? config.jwks);
      }
      if (pathname === '/authorize') {
        if (!url.searchParams.get('client_id') || !url.searchParams.get('redirect_uri')) {
          return send(400, 'text/plain', 'client_id and redirect_uri are required');
        }
        const answer = (config.authorize ?? defaultAuthorize)(url.searchParams);
        const redirect = url.searchParams.get('redirect_uri');
        if (typeof answer === 'string') return send(302, 'text/plain', '', { location: `${redirect}#${answer}` });
        if (answer.redirect !== undefined) return send(302, 'text/plain', '', { location: answer.redirect });
        const html = (body) => send(200, contentType('.html'), body, answer.coop ? { 'cross-origin-opener-policy': 'same-origin' } : {});
        if (answer.hang) return;
        if (answer.noAnswer) return html(NO_ANSWER_PAGE);
        if (answer.signIn !== undefined) return html(signInPage(`${redirect}#${answer.signIn}`, answer.delayMs ?? 1500));
        if (answer.webMessage !== undefined) {
          const spec = {
            messages: [].concat(answer.webMessage),
            targetOrigin: new URL(redirect).origin,
            target: 'self',
            close: !!answer.close,
          };
          const via = answer.via ?? 'page';
          const hop = (base, s) => `${base}/web-message#${encodeURIComponent(JSON.stringify(s))}`;
          if (via === 'page') return send(200, contentType('.html'), webMessagePage(spec));
          if (via === 'other-origin') return send(200, contentType('.html'), hopPage(hop(otherOrigin, spec), false));
          if (via === 'nested-frame') {
            return send(200, contentType('.html'), hopPage(hop(origin, { ...spec, target: 'grandparent', close: false }), true));
          }
          throw new Error(`unknown via: ${via}`);
        }
        return send(answer.status, 'text/plain', answer.body ?? '');
      }
      // The endpoints are wherever discovery says (a test may move them), on this server.
      const endpointPath = (member) => {
        const at = discoveryDocument()[member];
        return typeof at === 'string' && at.startsWith(origin) ? new URL(at).pathname : undefined;
      };
      const tokenPath = endpointPath('token_endpoint');
      if ((pathname === tokenPath || pathname === endpointPath('revocation_endpoint')) && req.method === 'POST') {
        const post = await readPost(req);
        post.path = pathname;
        const isToken = pathname === tokenPath;
        (isToken ? tokenPosts : revocations).push(post);
        const answer = (isToken ? config.token ?? noTokenAnswer : config.revoke ?? (() => ({ body: '' })))(post);
        const body = answer.body ?? '';
        return send(answer.status ?? 200, answer.type ?? 'application/json', typeof body === 'string' ? body : JSON.stringify(body));
      }
      if (pathname === '/web-message') return send(200, contentType('.html'), webMessagePage());
      if (pathname === '/logout') {
        const back = url.searchParams.get('post_logout_redirect_uri');
        if (back) return send(302, 'text/plain', '', { location: back });
        return send(200, 'text/html; charset=utf-8', '<!doctype html><title>logged out</title>');
      }
      if (pathname === '/' || pathname.startsWith('/app/')) return send(200, contentType('.html'), PAGE);
      if (pathname === '/conformance/page.js') {
        return send(200, contentType('.js'), await readCached(path.join(here, 'page.js')));
      }
      if (pathname.startsWith('/pkg/')) {
        const file = fileUnder(PKG_DIR, pathname.slice('/pkg/'.length));
        if (!file) return send(404, 'text/plain', 'not found');
        if (!(await stat(file)).isFile()) return send(404, 'text/plain', 'not found');
        return send(200, contentType(file), await readCached(file));
      }
      return send(404, 'text/plain', 'not found');
    } catch {
      if (!res.headersSent) send(404, 'text/plain', 'not found');
      else res.end();
    }
  };
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  // Another origin (another port) that serves only the page posting a web_message.
  const other = createServer((req, res) => {
    if (new URL(req.url, 'http://x').pathname === '/web-message') return handler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${other.address().port}`;

  return {
    port,
    origin,
    /** The origin the test page is usually opened at: another origin than the issuer's. */
    pageOrigin: `http://localhost:${port}`,
    /** An origin that is neither the issuer's nor the page's (for web_message from elsewhere). */
    otherOrigin,
    get issuer() {
      return config.issuer ?? origin;
    },
    config,
    counts,
    requests,
    tokenPosts,
    revocations,
    count: (p) => counts.get(p) ?? 0,
    discoveryDocument,
    close: () => Promise.all([server, other].map((srv) => new Promise((resolve) => {
      srv.closeAllConnections?.();
      srv.close(() => resolve());
    }))),
  };
}
