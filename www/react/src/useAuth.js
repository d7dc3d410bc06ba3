// useAuth: the spa-login client's state as React state, plus its actions. Small on purpose:
// copy it into your app or plugin and adapt it.
//
//   const auth = useAuth(client);
//   auth.isLoading ? 'Loading' : auth.isAuthenticated ? auth.user.name : 'Logged out'
//   <button onClick={() => auth.loginWithRedirect()}>Log in</button>
//
// It rests on client.subscribe(listener): the listener gets an AuthState
// ({ isAuthenticated, isLoading, user, error }) at once and on every change, including a login
// or logout in another tab and a session restored by checkSession; subscribe returns the
// function that stops it, which is exactly what an effect's clean-up wants.
import { useEffect, useMemo, useState } from 'react';

// Before the effect below has run, nothing is known yet: say "loading".
const UNKNOWN = { isAuthenticated: false, isLoading: true, user: undefined, error: undefined };

export function useAuth(client) {
  const [state, setState] = useState(UNKNOWN);

  // Subscribe while mounted (and again if the client changes). StrictMode's mount, unmount,
  // mount in development is harmless: the first subscription is undone by its clean-up.
  useEffect(() => (client ? client.subscribe(setState) : undefined), [client]);

  // The actions, bound to the client, stable while the client is.
  const actions = useMemo(() => client && {
    loginWithRedirect: (o) => client.loginWithRedirect(o),
    loginWithPopup: (o) => client.loginWithPopup(o),
    logout: (o) => client.logout(o),
    getAccessToken: (o) => client.getAccessToken(o),
    fetchWithAuth: (input, init, o) => client.fetchWithAuth(input, init, o),
    checkSession: (o) => client.checkSession(o),
  }, [client]);

  return {
    isAuthenticated: state.isAuthenticated,
    isLoading: state.isLoading,
    user: state.user,
    error: state.error,
    ...actions,
  };
}
