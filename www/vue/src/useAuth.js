// useAuth: the spa-login client's state as Vue refs, plus its actions. Small on purpose: copy
// it into your app or plugin and adapt it.
//
//   const client = shallowRef();            // set once createClient has resolved
//   const { isAuthenticated, isLoading, user, error, loginWithRedirect } = useAuth(client);
//
// It rests on client.subscribe(listener): the listener gets an AuthState
// ({ isAuthenticated, isLoading, user, error }) at once and on every change, including a login
// or logout in another tab and a session restored by checkSession; subscribe returns the
// function that stops it. `client` may be the client itself or a ref to it (createClient is
// async, setup is not); call useAuth in setup(), so the subscription ends with the component.
import { ref, shallowRef, toValue, watchEffect } from 'vue';

export function useAuth(client) {
  // Until a client is there and has told its state, nothing is known yet: say "loading".
  const isAuthenticated = ref(false);
  const isLoading = ref(true);
  const user = shallowRef();
  const error = shallowRef();

  // Runs again when a client ref changes; onCleanup unsubscribes from the previous client, and
  // Vue stops the effect (so unsubscribes) when the component's scope ends.
  watchEffect((onCleanup) => {
    const c = toValue(client);
    if (!c) return;
    onCleanup(c.subscribe((state) => {
      isAuthenticated.value = state.isAuthenticated;
      isLoading.value = state.isLoading;
      user.value = state.user;
      error.value = state.error;
    }));
  });

  // The actions, for whichever client is current.
  const call = (name) => (...args) => toValue(client)[name](...args);
  return {
    isAuthenticated,
    isLoading,
    user,
    error,
    loginWithRedirect: call('loginWithRedirect'),
    loginWithPopup: call('loginWithPopup'),
    logout: call('logout'),
    getAccessToken: call('getAccessToken'),
    fetchWithAuth: call('fetchWithAuth'),
    checkSession: call('checkSession'),
  };
}
