// spa-login: bundled with the page like the peers ('ours'), or loaded as shipped from pkg/
// through the page's import map ('ours-esm'); 'ours-code' is the bundled page running the
// authorization code flow with PKCE and refresh tokens, like the peers it is compared with there.
import { createClient } from 'spa-login';
import { initSync } from 'spa-login/spa_login.js';
import { boot } from './boot.js';

const C = window.BENCH;
const CODE = C.lib === 'ours-code';
const options = {
  issuer: C.issuer, // discovery: {issuer}/.well-known/openid-configuration, when first needed
  clientId: C.clientId,
  authorizationParams: { redirect_uri: C.redirectUri, response_type: CODE ? 'code' : 'id_token token', scope: C.scope },
  cacheLocation: 'memory',
  ...(CODE ? { useRefreshTokens: true } : {}),
};

boot({
  create: () => createClient(options),
  async ready() {
    const c = await createClient(options);
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
  // The glue's init returns the instance's exports once loaded, the linear memory among them.
  wasmMemoryBytes: () => initSync().memory.buffer.byteLength,
});
