/** spa-login/vue: the client as Vue refs. */
import type { App, Ref } from 'vue';
import type { AuthError, Client, ClientOptions, User } from './index.js';

export type AuthPluginOptions = ClientOptions & {
  /** After a successful callback, with the `appState` given to `loginWithRedirect`. Default: `router.replace(appState.returnTo ?? '/')` when vue-router was installed first, else the address bar shows `appState.returnTo`. */
  onRedirectCallback?: (appState: any) => void;
  /** Leave an authorization response in the URL to the app, which handles it with `handleRedirectCallback()` (a route of its own, say). */
  skipRedirectCallback?: boolean;
};

/** The plugin: `app.use(createAuth(options))`. Creates the client once; handles a callback in the URL, else restores the session with `checkSession()`. */
export function createAuth(options: AuthPluginOptions): { install(app: App): void };

/** Refs of the state (loading until the start is over) and the client's methods, which wait for the client when called before it exists. */
export interface Auth extends Pick<Client, 'loginWithRedirect' | 'loginWithPopup' | 'handleRedirectCallback' | 'logout' | 'getAccessToken' | 'fetchWithAuth' | 'checkSession' | 'getIdTokenClaims'> {
  /** auth0-vue's name for `getAccessToken`. */
  getAccessTokenSilently: Client['getAccessToken'];
  isAuthenticated: Readonly<Ref<boolean>>;
  isLoading: Readonly<Ref<boolean>>;
  user: Readonly<Ref<User | undefined>>;
  /** The last login's failure: a refused callback or failed session restore at the start, `loginWithPopup`, `handleRedirectCallback`, a guard's redirect. A login clears it. Failed token requests only reject. */
  error: Readonly<Ref<AuthError | undefined>>;
}

/** In `setup()` of a component of an app that installed the plugin. */
export function useAuth(): Auth;

/** A vue-router guard (`beforeEnter: authGuard` or `router.beforeEach(authGuard)`): waits for the session to be known, lets a logged-in user through, sends anyone else to the provider's login with `appState.returnTo` = the route's `fullPath`. After a refused callback nobody is sent again. At the callback's own address it leaves the address bar without the response. On a server it lets the route render. */
export function authGuard(to: { fullPath: string }): Promise<boolean>;
