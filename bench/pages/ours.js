// spa-login: bundled with the page like the peers ('ours'), or loaded as shipped from pkg/
// through the page's import map ('ours-esm'); 'ours-code' is the bundled page running the
// authorization code flow with PKCE and refresh tokens, like the peers it is compared with there;
// 'ours-dpop' is that with useDpop, and a second client without it for the API calls.
import { createAuth0Client, createClient } from 'spa-login';
import { boot } from './boot.js';

// The wasm's linear memory, caught as the package instantiates its module (the entry compiles
// it, then makes the instance with `new WebAssembly.Instance`): the glue is bundled into the
// entry, so its exports are not reachable from here otherwise.
let memory;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (...args) {
  const instance = new Instance(...args);
  memory ??= Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
  return instance;
};
WebAssembly.Instance.prototype = Instance.prototype;

const C = window.BENCH;
const DPOP = C.lib === 'ours-dpop';
const CODE = C.lib === 'ours-code' || DPOP;
const options = {
  issuer: C.issuer, // discovery: {issuer}/.well-known/openid-configuration, when first needed
  clientId: C.clientId,
  authorizationParams: { redirect_uri: C.redirectUri, response_type: CODE ? 'code' : 'id_token token', scope: C.scope },
  cacheLocation: 'memory',
  ...(CODE ? { useRefreshTokens: true } : {}),
  ...(DPOP ? { useDpop: true } : {}),
};
// The same app with bearer tokens: its own client, logged in by the harness (DPoP pages).
const bearerOptions = { ...options, useDpop: false };

// 'ours-auth0': the drop-in, called as the auth0-spa-js page calls auth0-spa-js (cold start only).
const AUTH0 = C.lib === 'ours-auth0';
const auth0Options = {
  domain: new URL(C.providerOrigin).host,
  clientId: C.clientId,
  authorizationParams: { redirect_uri: C.redirectUri, scope: C.scope },
  cacheLocation: 'memory',
};
const make = () => (AUTH0 ? createAuth0Client(auth0Options) : createClient(options));

boot({
  create: make,
  async ready() {
    const c = await make();
    await c.isAuthenticated();
    return c;
  },
  login: (c) => c.loginWithRedirect(),
  async callback(c, url) {
    await c.handleRedirectCallback(url);
    return (await c.getUser())?.sub;
  },
  readToken: (c) => c.getAccessToken(),
  // Past the cache: a refresh_token grant at the token endpoint (code flow, useRefreshTokens).
  renew: (c) => c.getAccessToken({ cacheMode: 'off' }),
  proof: (c, o) => c.generateDpopProof(o),
  api: {
    // What an app does with no help: the token it has, in a header.
    fetch: (url, token) => fetch(url, { headers: { Authorization: `Bearer ${token}` } }),
    // The page's client (useDpop): `Authorization: DPoP`, a fresh proof with ath.
    dpop: (url) => window.client.fetchWithAuth(url),
    // The bearer client: `Authorization: Bearer`.
    bearer: (url) => window.bearerClient.fetchWithAuth(url),
  },
  extra: {
    // A login of the bearer client, in capture mode: the provider keeps the page here.
    async bearerLogin() {
      window.bearerClient = await createClient(bearerOptions);
      window.bearerClient.loginWithRedirect().catch((e) => {
        window.__loginError = String(e?.message ?? e);
      });
      return true;
    },
    async bearerCallback(url) {
      await window.bearerClient.handleRedirectCallback(url);
      return (await window.bearerClient.getUser())?.sub;
    },
  },
  wasmMemoryBytes: () => memory.buffer.byteLength,
});
