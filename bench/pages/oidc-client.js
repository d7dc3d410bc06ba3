// oidc-client 1.x: UserManager, implicit flow ('id_token token'), discovery from the authority.
import { UserManager } from 'oidc-client';
import { boot } from './boot.js';

const C = window.BENCH;
const settings = {
  authority: C.issuer,
  client_id: C.clientId,
  redirect_uri: C.redirectUri,
  response_type: 'id_token token',
  scope: C.scope,
  // Its default (true) fetches /userinfo after every callback that has an access token; off,
  // so that it does the same work as the others (the profile comes from the ID token).
  loadUserInfo: false,
};

boot({
  create: async () => new UserManager(settings),
  async ready() {
    const um = new UserManager(settings);
    await um.getUser();
    return um;
  },
  login: (um) => um.signinRedirect(),
  callback: async (um, url) => (await um.signinRedirectCallback(url)).profile.sub,
  readToken: async (um) => (await um.getUser())?.access_token,
});
