/**
 * spa-login: OpenID Connect login for single-page apps (implicit, authorization code with PKCE,
 * hybrid, refresh tokens), with every ID token verified before anything is stored. The full
 * contract is docs/API.md in the repository; the npm README is its reference.
 */

/** Parameters sent to the provider's authorization endpoint. */
export interface AuthorizationParams {
  /** Where the provider sends the browser back. Default: `window.location.origin`. Exact, no fragment. */
  redirect_uri?: string;
  /** What to ask for. Default `'id_token token'` (implicit); `'code'` is the authorization code flow with PKCE, `'code id_token'` the hybrid flow. */
  response_type?: 'id_token token' | 'id_token' | 'token' | 'code' | 'code id_token';
  /** Where the response comes back. Default `'query'` for `'code'`, `'fragment'` otherwise; only `'code'` may use `'query'`. */
  response_mode?: 'query' | 'fragment';
  /** Space-separated scopes. Default `'openid profile email'`; `openid` is added whenever an ID token is asked for, and to a code flow's call scope when the client's own scope has it. */
  scope?: string;
  /** The API the access token is for (Auth0 and others use it to pick the API). Sent as-is. */
  audience?: string;
  /** `none`, `login`, `consent` or `select_account`. */
  prompt?: string;
  /** Maximum age of the provider session in seconds; the ID token's `auth_time` is then checked. */
  max_age?: number;
  login_hint?: string;
  ui_locales?: string;
  /** Auth0 organization. */
  organization?: string;
  /** Auth0 connection. */
  connection?: string;
  /** Any other parameter, passed through to `/authorize`. `client_id`, `state` and `nonce` are the library's. */
  [custom: string]: string | number | undefined;
}

/** Provider metadata (OpenID Connect Discovery 1.0). */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  userinfo_endpoint?: string;
  /** Where codes and refresh tokens are exchanged (code flows). */
  token_endpoint?: string;
  /** RFC 7009: refresh tokens are revoked there at logout. */
  revocation_endpoint?: string;
  /** RFC 9207: when true, every authorization response must carry `iss`. */
  authorization_response_iss_parameter_supported?: boolean;
  /** Only these algorithms are accepted for ID tokens (default `['RS256']`). */
  id_token_signing_alg_values_supported?: string[];
  response_modes_supported?: string[];
  [other: string]: unknown;
}

/** The options of `createClient`, `createAuth0Client` and `new Auth0Client`: `domain` or `issuer` is required. */
export type ClientOptions = BaseClientOptions &
  (
    | {
        /** An Auth0-style domain: `'tenant.example.com'` means the issuer `'https://tenant.example.com/'` (and Auth0's `/v2/logout`). */
        domain: string;
        /** With `domain`: the issuer as the provider states it, when it is not the domain's. */
        issuer?: string;
      }
    | {
        domain?: undefined;
        /** The issuer URL exactly as the provider states it (a trailing slash matters). https only, except loopback hosts for development. */
        issuer: string;
      }
  );

/** auth0-spa-js's name for the options. */
export type Auth0ClientOptions = ClientOptions;

/** Every option but `domain` and `issuer`. Any other key is `invalid_configuration`, naming it. */
export interface BaseClientOptions {
  /** The application's client id at the provider. Required. */
  clientId: string;
  /** Defaults for every authorization request. */
  authorizationParams?: AuthorizationParams;
  /** Where the hidden iframe's `prompt=none` request returns. Default: `authorizationParams.redirect_uri`. */
  silentRedirectUri?: string;
  /** Where tokens live. Default `'memory'` (lost on reload, out of reach of other scripts' storage reads); `'localstorage'` is opt-in. */
  cacheLocation?: 'memory' | 'localstorage';
  /** Clock skew allowance in seconds. Default 60. */
  leeway?: number;
  /** Time limit of silent and popup flows in seconds. Default 60. */
  authorizeTimeoutInSeconds?: number;
  /** Time limit of each request to the provider (discovery, JWKS, token endpoint), body included, in seconds; past it the call rejects with `timeout`. Default 10. */
  httpTimeoutInSeconds?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  nowProvider?: () => number;
  /** Provider metadata that overrides discovery; with `issuer`, `authorization_endpoint` and `jwks_uri` given, discovery is skipped. */
  metadata?: Partial<ProviderMetadata>;
  /** Code flows: ask for `offline_access` and renew with the refresh token (rotated on each use) before the hidden iframe. Default false. */
  useRefreshTokens?: boolean;
  /** With `useRefreshTokens`: when no refresh token is held, or the provider refuses it (`invalid_grant`), renew in the hidden iframe instead of rejecting. Default false. */
  useRefreshTokensFallback?: boolean;
  /**
   * DPoP-bound tokens (RFC 9449), code flows only (`invalid_configuration` with an implicit
   * response_type). One ES256 key pair per client, made with WebCrypto as non-extractable and
   * kept in IndexedDB (it outlives a reload; `logout` deletes it); every token request carries a
   * proof, and `fetchWithAuth` sends `Authorization: DPoP`. Without IndexedDB the token requests
   * fail with `storage_unavailable` (never a silent fall back to Bearer). Default false.
   */
  useDpop?: boolean;
  /** auth0-spa-js's, accepted and ignored: transactions live in sessionStorage, not cookies. */
  useCookiesForTransactions?: boolean;
  /** auth0-spa-js's, accepted and ignored (no cookies are written). */
  legacySameSiteCookie?: boolean;
  /**
   * `checkSession` asks the provider only in a browser where a login or renewal of this client
   * stored a session within this many days (a hint in localStorage, never a token; removed at
   * logout and when the provider answers "not logged in"). A held refresh token is used
   * whatever the hint. Default: none, `checkSession` always asks; `Auth0Client`: 1, as
   * auth0-spa-js's cookie.
   */
  sessionCheckExpiryDays?: number;
  /** auth0-spa-js's, accepted and ignored (no cookies are written). */
  cookieDomain?: string;
  /** auth0-spa-js's, accepted and ignored: token requests are always form-encoded. */
  useFormData?: boolean;
  /** auth0-spa-js's, accepted and ignored: no worker is used. */
  workerUrl?: string;
  /** auth0-spa-js's telemetry, accepted and ignored: nothing is sent. */
  auth0Client?: { name: string; version: string; env?: Record<string, string> };
}

export interface RedirectLoginOptions<TAppState = any> {
  /** Any JSON-serializable value, returned unchanged by `handleRedirectCallback`. */
  appState?: TAppState;
  /** Overrides of the client's `authorizationParams` for this request. */
  authorizationParams?: AuthorizationParams;
  /** How to leave for the provider. Default: `window.location.assign(url)`. */
  openUrl?: (url: string) => void | Promise<void>;
}

export interface RedirectLoginResult<TAppState = any> {
  /** The `appState` given to `loginWithRedirect`. */
  appState?: TAppState;
}

export interface GetAccessTokenOptions {
  /** Which token: tokens are cached per (audience, scope). Defaults come from the client's options. */
  authorizationParams?: { audience?: string; scope?: string };
  /** `'on'` (default): a cached token if valid; `'cache-only'`: `undefined` instead of renewing; `'off'`: skip the cache. */
  cacheMode?: 'on' | 'off' | 'cache-only';
  /** Time limit of this call's hidden frame in seconds (default `authorizeTimeoutInSeconds`); past it, `TimeoutError`. */
  timeoutInSeconds?: number;
  /** `true`: resolve with a `TokenResponse` instead of the access token alone. */
  detailedResponse?: boolean;
}

/** What `getAccessToken({ detailedResponse: true })` resolves with (auth0-spa-js's shape). */
export interface TokenResponse {
  access_token: string;
  /** The session's ID token, while it is valid. */
  id_token?: string;
  /** Whole seconds the access token has left. */
  expires_in: number;
  /** `'Bearer'`, or `'DPoP'` for a client with `useDpop`. */
  token_type?: string;
  /** Not given: tokens are cached under the scope asked for, which the app knows. */
  scope?: string;
}

export interface PopupLoginOptions {
  /** Overrides of the client's `authorizationParams` for this request. */
  authorizationParams?: AuthorizationParams;
  /** A window the app opened itself (synchronously, in the click handler) to use as the popup. Also accepted in the second argument, as auth0-spa-js takes it. */
  popup?: Window;
}

/** The second argument of `loginWithPopup` and `getTokenWithPopup` (auth0-spa-js's `PopupConfigOptions`). */
export interface PopupConfigOptions {
  /** A window the app opened itself (synchronously, in the click handler). */
  popup?: Window | null;
  /** Time limit of this popup in seconds (default `authorizeTimeoutInSeconds`); past it, `PopupTimeoutError`. */
  timeoutInSeconds?: number;
}

export interface CheckSessionOptions {
  authorizationParams?: AuthorizationParams;
}

/** What `subscribe` listeners get: enough for a framework binding to render from. */
export interface AuthState {
  isAuthenticated: boolean;
  /** True while a callback, `checkSession`, a popup login or a logout runs. */
  isLoading: boolean;
  user?: User;
  /** The failure of the last call that changed the session, if it failed. */
  error?: AuthError;
}

export interface LogoutOptions {
  logoutParams?: {
    /** Absolute URL the provider returns to (sent as `post_logout_redirect_uri`, or `returnTo` to Auth0). */
    returnTo?: string;
    /** Auth0: log out of the upstream identity provider too (`federated` on the logout URL). A client made with `issuer` refuses it (`invalid_configuration`): no standard logout has it. */
    federated?: boolean;
    /** Any other parameter of the logout request, as a string (TypeScript cannot type the others apart from `federated`: a boolean here is refused with `invalid_configuration`). */
    [other: string]: string | boolean | undefined;
  };
  /** `false`: clear the local session only. A function: how to go to the provider. Default: `window.location.assign`. */
  openUrl?: false | ((url: string) => void | Promise<void>);
}

/** The user's profile: the ID token's claims without the protocol ones. */
export interface User {
  sub: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  preferred_username?: string;
  picture?: string;
  email?: string;
  email_verified?: boolean;
  locale?: string;
  updated_at?: string | number;
  /** Any other claim of the provider's (`user['https://example.com/roles']`), typed as auth0-spa-js types it. */
  [claim: string]: any;
}

/** Every claim of the validated ID token, plus the token itself as `__raw`. */
export interface IdTokenClaims extends User {
  __raw: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  azp?: string;
  auth_time?: number;
  at_hash?: string;
}

/**
 * `getAccessToken` and `getTokenSilently`: the access token, or with `detailedResponse` the
 * `TokenResponse`; `undefined` only with `cacheMode: 'cache-only'` and no valid cached token.
 */
export interface GetAccessToken {
  (options: GetAccessTokenOptions & { detailedResponse: true; cacheMode?: 'on' | 'off' }): Promise<TokenResponse>;
  (options: GetAccessTokenOptions & { detailedResponse: true }): Promise<TokenResponse | undefined>;
  (options?: GetAccessTokenOptions & { detailedResponse?: false; cacheMode?: 'on' | 'off' }): Promise<string>;
  (options?: GetAccessTokenOptions & { detailedResponse?: false }): Promise<string | undefined>;
  (options?: GetAccessTokenOptions): Promise<string | TokenResponse | undefined>;
}

/** The methods `Client` and `Auth0Client` share. */
export interface ClientMethods {
  /** Sends the browser to the provider's login page (stores a single-use transaction first). */
  loginWithRedirect<TAppState = any>(options?: RedirectLoginOptions<TAppState>): Promise<void>;
  /**
   * Validates the provider's response (default: the current URL) completely, then stores the
   * tokens; on any failure nothing is stored and the promise rejects with an `AuthError`. When
   * the URL is read from the address bar, the response is removed from it either way. In the
   * frame or popup of a flow another window of the app runs, it resolves with `{}` and leaves
   * the response to that window (a popup cut off from its opener hands it over and closes).
   */
  handleRedirectCallback<TAppState = any>(url?: string): Promise<RedirectLoginResult<TAppState>>;
  /**
   * An access token for the (audience, scope) asked for: a cached one that is not within
   * `leeway` of expiry, else a new one from a hidden iframe with `prompt=none` (concurrent calls
   * share one renewal; tabs take turns). Rejects with `login_required` (and its siblings) when
   * the provider session is gone, `timeout` when the provider does not answer in
   * `authorizeTimeoutInSeconds`.
   */
  getAccessToken: GetAccessToken;
  /** Alias of `getAccessToken`, for apps coming from auth0-spa-js. */
  getTokenSilently: GetAccessToken;
  /**
   * `fetch()` with the access token for that audience and scope in `Authorization: Bearer <token>`
   * (the token from `getAccessToken`, renewed if needed). With `useDpop`: `Authorization: DPoP
   * <token>` and a fresh `DPoP` proof (with `ath`); on a 401 with `WWW-Authenticate: DPoP
   * error="use_dpop_nonce"` it is sent once more with the nonce the API gave.
   */
  fetchWithAuth(
    input: RequestInfo | URL,
    init?: RequestInit,
    options?: { authorizationParams?: { audience?: string; scope?: string } },
  ): Promise<Response>;
  /**
   * A DPoP proof (`DPoP` header value) for a request the app makes itself: `htm` and `htu` from
   * `method` and `url` (query and fragment left out), `ath` when `accessToken` is given, and
   * `nonce` (else the latest nonce that server gave). `invalid_configuration` without `useDpop`.
   */
  generateDpopProof(options: { url: string; method: string; accessToken?: string; nonce?: string }): Promise<string>;
  /**
   * Restores a session (after a reload, with the memory cache) through a hidden `prompt=none`
   * request when the provider session is alive. Settles quietly when the user is not logged in
   * there (`login_required`, `consent_required`, `interaction_required`); other failures reject.
   * With `sessionCheckExpiryDays` it asks only in a browser where a login or renewal of this
   * client stored a session within that many days (a held refresh token renews regardless).
   */
  checkSession(options?: CheckSessionOptions): Promise<void>;
  /**
   * Logs in in a popup window. Call it from a click handler (browsers block popups opened
   * later). Rejects with `popup_blocked`, `popup_cancelled` (the user closed it) or `timeout`.
   * A provider that sends `Cross-Origin-Opener-Policy` (django-oauth-toolkit does) cuts the
   * popup off from the app: then the page at the redirect URI must call
   * `handleRedirectCallback()`, which hands the response back to this window and closes the
   * popup; where the browser has neither BroadcastChannel nor localStorage for that, this
   * rejects with `popup_severed` (use `loginWithRedirect`).
   */
  loginWithPopup(options?: PopupLoginOptions, config?: PopupConfigOptions): Promise<void>;
  /** `loginWithPopup`, then the access token it brought for those `authorizationParams` (call it from a click handler too). */
  getTokenWithPopup(options?: PopupLoginOptions, config?: PopupConfigOptions): Promise<string | undefined>;
  /** The ID token's profile claims (`TUser` names what your provider adds). */
  getUser<TUser = User>(): Promise<TUser | undefined>;
  getIdTokenClaims<TClaims = IdTokenClaims>(): Promise<TClaims | undefined>;
  isAuthenticated(): Promise<boolean>;
  /** Forgets this client's tokens (other tabs too), then (unless `openUrl: false`) goes to the provider's logout. */
  logout(options?: LogoutOptions): Promise<void>;
}

export interface Client extends ClientMethods {
  /** Calls `listener` with the current state now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: AuthState) => void): () => void;
}

/**
 * Validates the options (rejecting with `invalid_configuration`) and makes a client. Default
 * flow: implicit. Rejects with `wasm_unavailable` where the WebAssembly module cannot load (a CSP
 * without `'wasm-unsafe-eval'`, no browser as on a server).
 */
export function createClient(options: ClientOptions): Promise<Client>;

/**
 * auth0-spa-js's client, for apps that move over by changing their import. It returns at once
 * and loads the WebAssembly module in the background; each method waits for it, and a bad
 * option rejects every call with `invalid_configuration`. Its defaults are auth0-spa-js's: the
 * authorization code flow with PKCE (`response_type: 'code'`, the response in the query),
 * `openid` always in the scope, a call's scope added to the client's, `sessionCheckExpiryDays:
 * 1` (auth0-spa-js's own "is authenticated" cookie counts as a recent login too), and a
 * `checkSession` that settles whatever the provider or the network says (a bad option still
 * rejects).
 */
export interface Auth0Client extends ClientMethods {}
export declare class Auth0Client {
  constructor(options: ClientOptions);
  /** The `domain` and `clientId` it was made with (auth0-spa-js's `getConfiguration`); no `domain` for a client made with `issuer` alone. */
  getConfiguration(): Readonly<{ domain: string | undefined; clientId: string }>;
}

/** auth0-spa-js's entry: an `Auth0Client` whose session is restored (`checkSession`) before it resolves. */
export function createAuth0Client(options: ClientOptions): Promise<Auth0Client>;

/** auth0-spa-js's names of the types above, for apps that import them. */
export type GetTokenSilentlyOptions = GetAccessTokenOptions;
export type GetTokenSilentlyVerboseResponse = TokenResponse;
export type GetTokenWithPopupOptions = PopupLoginOptions;
export type IdToken = IdTokenClaims;
export type LogoutUrlOptions = LogoutOptions;
export type CacheLocation = NonNullable<BaseClientOptions['cacheLocation']>;

/** Every failure the package reports. */
export class AuthError extends Error {
  /**
   * `invalid_configuration`, `invalid_state`, `invalid_response`, `invalid_id_token`,
   * `invalid_provider_metadata`, `invalid_jwks`, `storage_unavailable`, `network_error`,
   * `timeout`, `popup_cancelled`, `popup_blocked`, `popup_severed`, `frame_blocked` (the
   * page's CSP refused the hidden iframe), `wasm_unavailable`, `login_required`,
   * `missing_refresh_token`, or the provider's own code (`access_denied`, `consent_required`,
   * `invalid_grant`, ...).
   */
  error: string;
  /** Human text, never HTML. */
  error_description: string;
  /** The state of the response, where there was one. */
  state?: string;
  /** The appState of that transaction, where known (typed as auth0-spa-js types it). */
  appState?: any;
  constructor(error: string, error_description?: string, state?: string, appState?: unknown);
}

/** Every error the client throws is a `GenericError` (auth0-spa-js's base class) and the most specific class below that fits. */
export class GenericError extends AuthError {}

/** An error response of the provider to a flow, with its `state` (and `appState`). */
export class AuthenticationError extends GenericError {
  state: string;
}

/** Classes with a fixed `error` code take the description first. */
declare class FixedCodeError extends GenericError {
  constructor(error_description?: string, state?: string, appState?: unknown);
}

/** `error === 'invalid_configuration'`. */
export class InvalidConfigurationError extends FixedCodeError {}
/** `error === 'timeout'`. */
export class TimeoutError extends FixedCodeError {}
/** `error === 'timeout'` in a popup flow; `popup` is its window. */
export class PopupTimeoutError extends TimeoutError {
  popup?: Window;
}
/** `error === 'popup_cancelled'` (auth0-spa-js: `'cancelled'`); `popup` is its window. */
export class PopupCancelledError extends FixedCodeError {
  popup?: Window;
}
/** `error === 'popup_blocked'` (auth0-spa-js: `'popup_open'`): the browser refused to open the popup. */
export class PopupOpenError extends FixedCodeError {}
/** `error === 'mfa_required'`, the token endpoint's answer when the provider wants a second factor. */
export class MfaRequiredError extends FixedCodeError {
  /** The token endpoint's `mfa_token`, for the provider's MFA API (Auth0's), where it gave one. */
  mfa_token?: string;
  /** The token endpoint's `mfa_requirements` (Auth0: `{ challenge: [{ type: 'otp' }] }`), where it gave them. */
  mfa_requirements?: { enroll?: Array<{ type: string }>; challenge?: Array<{ type: string }> };
}
/** `error === 'missing_refresh_token'`: `useRefreshTokens` without a refresh token for that token, and no fallback. */
export class MissingRefreshTokenError extends FixedCodeError {
  /** The token's audience, `'default'` for none (as auth0-spa-js says it). */
  audience: string;
  /** The token's scope. */
  scope: string;
}
/** `error === 'use_dpop_nonce'`: the server refused a DPoP proof for its nonce, and the retry too. */
export class UseDpopNonceError extends FixedCodeError {}
