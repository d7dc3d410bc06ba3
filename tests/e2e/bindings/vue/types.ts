// Type checks only (never run; binding-types.test.mjs runs `tsc --strict` over this): what an
// app writes with spa-login/vue, as the README shows it, and what the types must refuse (each
// with @ts-expect-error, so a type that lets it through fails the check).
import { createApp, defineComponent, h } from 'vue';
import { createRouter, createWebHistory } from 'vue-router';
import { authGuard, createAuth, useAuth, type AuthPluginOptions } from 'spa-login/vue';

const Home = defineComponent({ render: () => null });

const Profile = defineComponent({
  setup() {
    const { isLoading, isAuthenticated, user, error, loginWithRedirect, logout, handleRedirectCallback, getAccessTokenSilently } = useAuth();
    const finish = async () => {
      const { appState } = await handleRedirectCallback<{ returnTo: string }>();
      const to: string | undefined = appState?.returnTo;
      // auth0-vue's name for getAccessToken.
      const token: string = await getAccessTokenSilently();
      return [to, token];
    };
    return () => isLoading.value
      ? h('p', 'Loading')
      : error.value
        ? h('p', `${error.value.error}: ${error.value.error_description}`)
        : isAuthenticated.value
          ? h('button', { onClick: () => logout() }, `Log out ${user.value?.name}`)
          : h('button', { onClick: () => (loginWithRedirect(), finish()) }, 'Log in');
  },
});

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: Home },
    { path: '/orders', component: Profile, beforeEnter: authGuard },
  ],
});
router.beforeEach(authGuard);

createApp(Profile)
  .use(router)
  .use(createAuth({
    issuer: 'https://login.example.com',
    clientId: 'YOUR_CLIENT_ID',
    authorizationParams: { redirect_uri: window.location.origin + '/' },
    onRedirectCallback: (appState) => router.push(appState?.returnTo ?? '/'),
  }))
  .use(createAuth({ domain: 'tenant.example.com', clientId: 'x', skipRedirectCallback: true }))
  .mount('#app');

export function wrong() {
  // @ts-expect-error clientId is required
  const noClient: AuthPluginOptions = { issuer: 'https://login.example.com' };
  // @ts-expect-error domain or issuer is required
  createAuth({ clientId: 'x' });
  const { isAuthenticated } = useAuth();
  // @ts-expect-error the refs are read-only
  isAuthenticated.value = true;
  return noClient;
}
