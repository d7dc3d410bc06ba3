// oidc-client-ts 3.x: UserManager; authorization code flow with PKCE only (no implicit flow).
import { User, UserManager } from 'oidc-client-ts';
import { boot } from './boot.js';

const C = window.BENCH;
const settings = {
  authority: C.issuer,
  client_id: C.clientId,
  redirect_uri: C.redirectUri,
  scope: C.scope,
};

function decode(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(decodeURIComponent(escape(atob(part))));
}

boot({
  create: async () => new UserManager(settings),
  async ready() {
    const um = new UserManager(settings);
    await um.getUser();
    return um;
  },
  // Its public storeUser(): the user store (sessionStorage by default) that getUser() reads.
  async seed(um, t) {
    await um.storeUser(new User({
      id_token: t.id_token,
      access_token: t.access_token,
      token_type: 'Bearer',
      scope: C.scope,
      profile: decode(t.id_token),
      expires_at: Math.floor(Date.now() / 1000) + t.expires_in,
    }));
  },
  readToken: async (um) => (await um.getUser())?.access_token,
  // Its code flow (response_type 'code' is its default, with PKCE).
  login: (um) => um.signinRedirect(),
  callback: async (um, url) => (await um.signinRedirectCallback(url)).profile.sub,
  // With a refresh token held, signinSilent() makes a refresh_token grant, no iframe.
  renew: async (um) => (await um.signinSilent())?.access_token,
});
