// @auth0/auth0-spa-js: authorization code flow with PKCE only (no implicit flow), memory cache.
import { createAuth0Client } from '@auth0/auth0-spa-js';
import { boot } from './boot.js';

const C = window.BENCH;
const options = {
  domain: new URL(C.providerOrigin).host, // it always speaks https to the domain
  clientId: C.clientId,
  authorizationParams: { redirect_uri: C.redirectUri, scope: C.scope },
  cacheLocation: 'memory',
};

function decode(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(decodeURIComponent(escape(atob(part))));
}

boot({
  create: () => createAuth0Client(options),
  async ready() {
    // createAuth0Client runs checkSession(): with no auth0.<clientId>.is.authenticated cookie
    // it returns without a network request.
    const c = await createAuth0Client(options);
    await c.isAuthenticated();
    return c;
  },
  // The cache entry its own code exchange writes (Auth0Client._saveEntryInCache), for the
  // default audience and the scope it asks for.
  async seed(c, t) {
    const claims = { __raw: t.id_token, ...decode(t.id_token) };
    const { iss, aud, exp, nbf, iat, jti, azp, nonce, auth_time, at_hash, c_hash, acr, amr, sub_jwk, cnf, sid, org_id, org_name, __raw, ...user } = claims;
    await c._saveEntryInCache({
      id_token: t.id_token,
      access_token: t.access_token,
      token_type: 'Bearer',
      expires_in: t.expires_in,
      decodedToken: { claims, user },
      scope: c.scope.default,
      audience: 'default',
      client_id: C.clientId,
    });
  },
  readToken: (c) => c.getTokenSilently(),
});
