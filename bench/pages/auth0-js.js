// auth0-js: WebAuth, implicit flow ('id_token token'), transactions in cookies (its default).
import { WebAuth } from 'auth0-js';
import { boot } from './boot.js';

const C = window.BENCH;
const options = {
  domain: C.providerOrigin, // a domain starting with http is used as the base URL as it is
  clientID: C.clientId,
  redirectUri: C.redirectUri,
  responseType: 'id_token token',
  scope: C.scope,
  // Its default issuer is 'https://' + domain + '/'; the JWKS URL is derived from the issuer.
  overrides: { __token_issuer: C.issuer },
};

boot({
  create: async () => new WebAuth(options),
  ready: async () => new WebAuth(options),
  login: (c) => c.authorize(),
  callback: (c, url) =>
    new Promise((resolve, reject) => {
      const o = url === undefined ? {} : { hash: new URL(url).hash };
      c.parseHash(o, (err, result) => {
        if (err) reject(err);
        else if (!result) reject(new Error('parseHash found no response'));
        else resolve(result.idTokenPayload.sub);
      });
    }),
});
