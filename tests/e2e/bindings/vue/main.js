// A page for the spa-login/vue browser tests: vue-router with `/private` behind authGuard, and
// render counts of each component that reads useAuth(). /config.json may add `redirectPath` (the
// redirect URI's path: '/private' makes the guarded route the callback's address),
// `customCallback` (an onRedirectCallback of the page's that leaves the router alone; the
// appStates it gets are in window.appStates), `skipRedirectCallback` and `guardAll` (authGuard
// on every route, with router.beforeEach). `window.router` is the router.
import { createApp, h } from 'vue';
import { RouterView, createRouter, createWebHistory } from 'vue-router';
import { authGuard, createAuth, useAuth } from 'spa-login/vue';

const counts = (window.counts = { statusRenders: 0, profileRenders: 0 });

const Status = {
  setup() {
    const { isLoading, isAuthenticated, error } = useAuth();
    return () => {
      counts.statusRenders++;
      return h('p', null, [
        h('b', { 'data-testid': 'status' }, isLoading.value ? 'Loading' : isAuthenticated.value ? 'Logged in' : 'Logged out'),
        h('span', { 'data-testid': 'error' }, error.value ? `${error.value.error}: ${error.value.error_description}` : ''),
      ]);
    };
  },
};

const Profile = {
  setup() {
    const { user } = useAuth();
    return () => {
      counts.profileRenders++;
      return h('pre', { 'data-testid': 'profile' }, user.value ? user.value.name : '');
    };
  },
};

const Buttons = {
  setup() {
    const auth = useAuth();
    window.auth = auth;
    return () => h('p', null, [
      h('button', { 'data-testid': 'login', onClick: () => auth.loginWithRedirect({ appState: { returnTo: '/' } }) }, 'Log in'),
      h('button', { 'data-testid': 'logout', onClick: () => auth.logout({ logoutParams: { returnTo: `${window.location.origin}/` } }) }, 'Log out'),
    ]);
  },
};

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: { render: () => null } },
    { path: '/private', component: { render: () => h('p', { 'data-testid': 'private' }, 'Private page') }, beforeEnter: authGuard },
  ],
});

window.router = router;
window.appStates = [];
const config = await (await fetch('/config.json')).json();
if (config.guardAll) router.beforeEach(authGuard);
createApp({ render: () => [h(Status), h(Profile), h(Buttons), h(RouterView)] })
  .use(router)
  .use(createAuth({
    issuer: config.issuer,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: `${window.location.origin}${config.redirectPath ?? '/'}`, response_type: config.responseType },
    useRefreshTokens: config.useRefreshTokens,
    skipRedirectCallback: config.skipRedirectCallback,
    ...(config.customCallback ? { onRedirectCallback: (appState) => window.appStates.push(appState) } : {}),
  }))
  .mount('#app');
