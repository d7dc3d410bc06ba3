// A tiny OpenID provider for the conformance suite, on 127.0.0.1 and a free port: discovery, a
// JWKS, an Auth0-like /authorize and an end_session endpoint, all configurable per test, with a
// count of requests per path and CORS open to any origin. It also serves the test page (an
// import map for 'spa-login' to /pkg/index.js) and the built package from the repository's pkg/.
//
// The issuer is http://127.0.0.1:PORT. The page is served on every host name, so a test picks
// http://localhost:PORT/ (another origin than the issuer: discovery and JWKS go through CORS) or
// http://127.0.0.1:PORT/ (the same origin).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(here, '../../pkg');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

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
 *   authorize     (params: URLSearchParams) => fragment text or { status, body }; default: the
 *                 bare-token answer Auth0 gives to response_type=token
 *   cors          false to leave out Access-Control-Allow-Origin
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
  let origin;

  function discoveryDocument() {
    const doc = {
      issuer: config.issuer ?? origin,
      authorization_endpoint: `${origin}/authorize`,
      jwks_uri: `${origin}/jwks`,
      end_session_endpoint: `${origin}/logout`,
      response_types_supported: ['id_token token', 'id_token', 'token'],
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

  const server = createServer(async (req, res) => {
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
        return json(config.discoveryStatus, config.discoveryBody ?? discoveryDocument());
      }
      if (pathname === '/jwks') return json(config.jwksStatus, config.jwksBody ?? config.jwks);
      if (pathname === '/authorize') {
        if (!url.searchParams.get('client_id') || !url.searchParams.get('redirect_uri')) {
          return send(400, 'text/plain', 'client_id and redirect_uri are required');
        }
        const answer = (config.authorize ?? defaultAuthorize)(url.searchParams);
        if (typeof answer === 'object') return send(answer.status, 'text/plain', answer.body ?? '');
        const redirect = url.searchParams.get('redirect_uri');
        return send(302, 'text/plain', '', { location: `${redirect}#${answer}` });
      }
      if (pathname === '/logout') {
        const back = url.searchParams.get('post_logout_redirect_uri');
        if (back) return send(302, 'text/plain', '', { location: back });
        return send(200, 'text/html; charset=utf-8', '<!doctype html><title>logged out</title>');
      }
      if (pathname === '/' || pathname.startsWith('/app/')) return send(200, MIME['.html'], PAGE);
      if (pathname === '/conformance/page.js') {
        return send(200, MIME['.js'], await readCached(path.join(here, 'page.js')));
      }
      if (pathname.startsWith('/pkg/')) {
        const file = path.join(PKG_DIR, decodeURIComponent(pathname.slice('/pkg/'.length)));
        if (!file.startsWith(PKG_DIR + path.sep)) return send(404, 'text/plain', 'not found');
        if (!(await stat(file)).isFile()) return send(404, 'text/plain', 'not found');
        return send(200, MIME[path.extname(file)] ?? 'application/octet-stream', await readCached(file));
      }
      return send(404, 'text/plain', 'not found');
    } catch {
      if (!res.headersSent) send(404, 'text/plain', 'not found');
      else res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;

  return {
    port,
    origin,
    /** The origin the test page is usually opened at: another origin than the issuer's. */
    pageOrigin: `http://localhost:${port}`,
    get issuer() {
      return config.issuer ?? origin;
    },
    config,
    counts,
    requests,
    count: (p) => counts.get(p) ?? 0,
    discoveryDocument,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
