/** spa-login/react: the client as React state. */
import type { ComponentType, ReactNode } from 'react';
import type { AuthState, Client, ClientOptions, RedirectLoginOptions } from './index.js';

export type AuthProviderProps = ClientOptions & {
  children?: ReactNode;
  /** After a successful callback, with the `appState` given to `loginWithRedirect`. Default: the address bar shows `appState.returnTo` (`history.replaceState`); with a router, navigate there instead. */
  onRedirectCallback?: (appState: any) => void;
  /** Leave an authorization response in the URL to the app, which handles it with `handleRedirectCallback()` (a route of its own, say). */
  skipRedirectCallback?: boolean;
};

/** Creates the client once (its options are read at the first render); handles a callback in the URL once, even under StrictMode, else restores the session with `checkSession()`. */
export function AuthProvider(props: AuthProviderProps): ReactNode;

/** The state (loading until the start is over) and the client's methods, which wait for the client when called before it exists. */
export interface Auth extends Required<Pick<AuthState, 'isAuthenticated' | 'isLoading'>>, Pick<Client, 'loginWithRedirect' | 'loginWithPopup' | 'handleRedirectCallback' | 'logout' | 'getAccessToken' | 'fetchWithAuth' | 'checkSession' | 'getIdTokenClaims'> {
  user: AuthState['user'];
  /** auth0-react's name for `getAccessToken`. */
  getAccessTokenSilently: Client['getAccessToken'];
  /** The last login's failure: a refused callback or failed session restore at the start, `loginWithPopup`, `handleRedirectCallback`, a guard's redirect. A login clears it. Failed token requests only reject. */
  error: AuthState['error'];
}

/** Inside `<AuthProvider>`: renders again only when something in the state changed. */
export function useAuth(): Auth;

export interface WithAuthenticationRequiredOptions {
  /** Rendered while the session is not known or the browser is leaving for the login. Default: nothing. */
  onRedirecting?: () => ReactNode;
  /** Where to come back after login. Default: the current address. */
  returnTo?: string | (() => string);
  /** Passed to `loginWithRedirect` (`appState.returnTo` is set from `returnTo`). */
  loginOptions?: RedirectLoginOptions;
}

/** `Component` for logged-in users; anyone else goes to the provider's login and comes back here. After a refused callback nobody is sent again, and a redirect that could not start sets `error`: the app shows it. */
export function withAuthenticationRequired<P extends object>(Component: ComponentType<P>, options?: WithAuthenticationRequiredOptions): ComponentType<P>;
