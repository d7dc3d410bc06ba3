import { createApp, ref } from 'vue';
import { createAuth } from 'spa-login/vue';
import App from './App.vue';

// Settings differ per environment, so they are served at run time instead of being bundled.
fetch('/config.json')
  .then((res) => res.json())
  .then((config) => {
    const appState = ref();
    createApp(App, { config, appState })
      // The plugin creates the client once and, back from the provider (the response in the
      // fragment, or for the code flow in the query), validates the response, exchanges a code
      // and keeps the tokens. After a failed callback the error stays on screen: no silent
      // login behind it. On a plain page load (a reload, a new tab) the tokens in memory are
      // gone, but the provider's session may still be alive: it asks it silently ("not logged
      // in" is no error).
      .use(createAuth({
        // issuer or domain (Auth0) and clientId are required; the rest is optional.
        // responseType picks the flow: 'code' (with PKCE) or 'code id_token'; unset, the
        // implicit flow.
        ...(config.domain ? { domain: config.domain } : { issuer: config.issuer }),
        clientId: config.clientId,
        authorizationParams: {
          redirect_uri: window.location.origin + '/',
          scope: 'openid profile email',
          audience: config.audience,
          response_type: config.responseType,
        },
        useRefreshTokens: config.useRefreshTokens,
        // Tokens bound to a key this browser holds (the provider must support DPoP).
        useDpop: config.useDpop,
        cacheLocation: config.cacheLocation,
        leeway: config.leeway,
        authorizeTimeoutInSeconds: config.authorizeTimeoutInSeconds,
        // Without a router, the address bar is the place to go back to (with vue-router
        // installed first, the plugin navigates there itself).
        onRedirectCallback: (state) => {
          appState.value = state;
          if (state?.returnTo) window.history.replaceState(null, '', state.returnTo);
        },
      }))
      .mount('#app');
  });
