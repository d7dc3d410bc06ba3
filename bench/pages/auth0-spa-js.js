// @auth0/auth0-spa-js: authorization code flow with PKCE only (no implicit flow), memory cache.
import { createAuth0Client } from '@auth0/auth0-spa-js';
import { boot } from './boot.js';

const C = window.BENCH;
// 'auth0-spa-js-code' runs its code flow against the bench provider, with refresh tokens, and
// 'auth0-spa-js-dpop' the same with useDpop; the plain page keeps the options of cold start and
// cached reads, where no request is made.
const DPOP = C.lib === 'auth0-spa-js-dpop';
const CODE = C.lib === 'auth0-spa-js-code' || DPOP;
const options = {
  // A domain with a scheme is used as the base URL as it is (its issuer then `${domain}/`);
  // a bare host would be spoken to over https, which the loopback provider does not serve.
  domain: CODE ? C.providerOrigin : new URL(C.providerOrigin).host,
  clientId: C.clientId,
  authorizationParams: { redirect_uri: C.redirectUri, scope: C.scope },
  cacheLocation: 'memory',
  // Its refresh tokens with the memory cache live in its Web Worker, which makes the requests.
  ...(CODE ? { useRefreshTokens: true } : {}),
  // Its key pair (non-extractable ES256 in IndexedDB) is made at loginWithRedirect, whose
  // authorization request names it (dpop_jkt); each proof reads it from IndexedDB again.
  ...(DPOP ? { useDpop: true } : {}),
};
// Its fetchWithAuth lives on a Fetcher; `dpopNonceId` names where the API's nonce is kept.
let fetcher;

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
  login: (c) => c.loginWithRedirect(),
  async callback(c, url) {
    await c.handleRedirectCallback(url);
    return (await c.getUser())?.sub;
  },
  // Past the cache: with useRefreshTokens, a refresh_token grant at /oauth/token.
  renew: (c) => c.getTokenSilently({ cacheMode: 'off' }),
  proof: (c, o) => c.generateDpopProof(o),
  api: {
    dpop(url) {
      fetcher ??= window.client.createFetcher({ dpopNonceId: 'bench-api' });
      return fetcher.fetchWithAuth(url);
    },
  },
});
