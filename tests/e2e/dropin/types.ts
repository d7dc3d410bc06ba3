// Type checks only (never run): what the types must refuse, each with @ts-expect-error, so
// that `tsc --strict` fails if a type lets it through; and what they must give.
import {
  Auth0Client, AuthError, CacheLocation, createAuth0Client, GenericError, GetTokenSilentlyOptions, GetTokenSilentlyVerboseResponse,
  GetTokenWithPopupOptions, IdToken, LogoutUrlOptions, MissingRefreshTokenError, PopupTimeoutError, TimeoutError, TokenResponse,
} from 'spa-login';

export async function check(): Promise<void> {
  // @ts-expect-error domain or issuer is required
  new Auth0Client({ clientId: 'x' });
  // @ts-expect-error clientId is required
  await createAuth0Client({ domain: 'tenant.example.com' });
  const client = new Auth0Client({ issuer: 'https://login.example.com/', clientId: 'x' });

  const token: string = await client.getTokenSilently();
  const details: TokenResponse = await client.getTokenSilently({ detailedResponse: true, timeoutInSeconds: 10 });
  // @ts-expect-error detailedResponse gives an object, not a string
  const notAString: string = await client.getTokenSilently({ detailedResponse: true });
  // @ts-expect-error cache-only may give nothing
  const maybe: string = await client.getTokenSilently({ cacheMode: 'cache-only' });
  const mode = Math.random() < 0.5 ? 'on' : 'cache-only';
  // @ts-expect-error a cacheMode that may be cache-only may give nothing too
  const maybeToo: string = await client.getTokenSilently({ cacheMode: mode });
  // @ts-expect-error so may a detailed one
  const maybeDetails: TokenResponse = await client.getTokenSilently({ cacheMode: mode, detailedResponse: true });

  interface Roles { roles: string[] }
  const user = await client.getUser<Roles>();
  const roles: string[] | undefined = user?.roles;
  // @ts-expect-error the type argument is what getUser gives
  const wrong: number | undefined = user?.roles;

  // A custom claim, read as auth0-spa-js apps read one (its User allows any member).
  const profile = await client.getUser();
  const roles2: string[] = profile?.['https://example.com/roles'] ?? [];
  try {
    await client.handleRedirectCallback();
  } catch (e) {
    // auth0-spa-js's appState is `any`: an app reads its members.
    if (e instanceof AuthError) {
      const returnTo: string | undefined = e.appState?.returnTo;
      void returnTo;
    }
  }

  const { appState } = await client.handleRedirectCallback<{ targetUrl: string }>();
  const target: string | undefined = appState?.targetUrl;

  await client.loginWithPopup({ authorizationParams: { audience: 'https://api.example.com' } }, { timeoutInSeconds: 30 });
  const popupToken: string | undefined = await client.getTokenWithPopup({}, { popup: null });
  await client.logout({ logoutParams: { federated: true, returnTo: 'https://app.example.com/' } });

  try {
    await client.getTokenSilently();
  } catch (e) {
    if (e instanceof PopupTimeoutError) {
      const t: TimeoutError = e;
      const g: GenericError = t;
      const a: AuthError = g;
      void a.error;
    }
    if (e instanceof MissingRefreshTokenError) void e.error_description;
  }
  // auth0-spa-js's type names, as its apps import them.
  const silent: GetTokenSilentlyOptions = { cacheMode: 'off', authorizationParams: { scope: 'read:orders' } };
  const verbose: GetTokenSilentlyVerboseResponse | undefined = await client.getTokenSilently({ ...silent, detailedResponse: true });
  const popupOptions: GetTokenWithPopupOptions = { authorizationParams: { audience: 'https://api.example.com' } };
  const claims: IdToken | undefined = await client.getIdTokenClaims();
  const logoutOptions: LogoutUrlOptions = { logoutParams: { returnTo: 'https://app.example.com/' } };
  const where: CacheLocation = 'localstorage';
  // @ts-expect-error only the two locations
  const nowhere: CacheLocation = 'cookies';
  void [token, details, notAString, maybe, maybeToo, maybeDetails, roles, roles2, wrong, target, popupToken, verbose, popupOptions, claims, logoutOptions, where, nowhere];
}
