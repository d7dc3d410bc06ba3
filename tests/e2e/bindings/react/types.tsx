// Type checks only (never run; binding-types.test.mjs runs `tsc --strict` over this): what an
// app writes with spa-login/react, as the README shows it, and what the types must refuse
// (each with @ts-expect-error, so a type that lets it through fails the check).
import { AuthError } from 'spa-login';
import { AuthProvider, useAuth, withAuthenticationRequired, type AuthProviderProps } from 'spa-login/react';

declare function navigate(to: string): void;

export function Root() {
  return (
    <AuthProvider
      issuer="https://login.example.com"
      clientId="YOUR_CLIENT_ID"
      authorizationParams={{ redirect_uri: window.location.origin + '/', response_type: 'code' }}
      useRefreshTokens
      onRedirectCallback={(appState) => navigate(appState?.returnTo ?? '/')}
    >
      <Profile />
      <Orders />
    </AuthProvider>
  );
}

export function AuthDomain() {
  return (
    <AuthProvider domain="tenant.example.com" clientId="x" skipRedirectCallback>
      <Callback />
    </AuthProvider>
  );
}

export function Profile() {
  const { isLoading, isAuthenticated, user, error, loginWithRedirect, logout } = useAuth();
  if (isLoading) return <p>Loading</p>;
  if (error instanceof AuthError) return <p>{error.error}: {error.error_description}</p>;
  return isAuthenticated
    ? <button onClick={() => logout({ logoutParams: { returnTo: window.location.origin + '/' } })}>Log out {user?.name}</button>
    : <button onClick={() => loginWithRedirect()}>Log in</button>;
}

// With skipRedirectCallback the app's own route handles the response.
function Callback() {
  const { handleRedirectCallback, getAccessToken, getAccessTokenSilently } = useAuth();
  const done = async () => {
    const { appState } = await handleRedirectCallback<{ returnTo: string }>();
    const to: string | undefined = appState?.returnTo;
    const token: string | undefined = await getAccessToken({ cacheMode: 'cache-only' });
    // @ts-expect-error cache-only may give nothing
    const sure: string = await getAccessToken({ cacheMode: 'cache-only' });
    // auth0-react's name, the same method.
    const silently: string = await getAccessTokenSilently();
    return [to, token, sure, silently];
  };
  return <button onClick={done}>Go on</button>;
}

function OrdersPage({ id }: { id: number }) {
  return <p>{id}</p>;
}

const Orders = withAuthenticationRequired(() => <OrdersPage id={1} />, { onRedirecting: () => <p>Redirecting</p>, returnTo: () => '/orders' });
const Guarded = withAuthenticationRequired(OrdersPage, { loginOptions: { authorizationParams: { prompt: 'login' } } });

export function Wrong() {
  // @ts-expect-error clientId is required
  const noClient: AuthProviderProps = { issuer: 'https://login.example.com' };
  // @ts-expect-error domain or issuer is required
  const noIssuer: AuthProviderProps = { clientId: 'x' };
  // @ts-expect-error the guarded component keeps its props
  const missingProp = <Guarded />;
  // @ts-expect-error onRedirectCallback takes the appState only
  const badCallback: AuthProviderProps = { issuer: 'https://login.example.com', clientId: 'x', onRedirectCallback: (a: unknown, b: string) => {} };
  return [noClient, noIssuer, missingProp, badCallback];
}
