'use client';
import { useEffect, useState } from 'react';
import { AuthProvider, useAuth } from 'spa-login/react';

// The provider's settings are served at run time (/config.json): the build does not know them.
export default function Login() {
  const [config, setConfig] = useState();
  useEffect(() => {
    fetch('/config.json').then((res) => res.json()).then(setConfig);
  }, []);
  if (!config) return <Status text="Loading" />;
  return (
    <AuthProvider issuer={config.issuer} clientId={config.clientId} authorizationParams={{ redirect_uri: `${window.location.origin}/` }}>
      <Session />
    </AuthProvider>
  );
}

function Status({ text }) {
  return <p>Status: <b data-testid="status">{text}</b></p>;
}

function Session() {
  const { isLoading, isAuthenticated, user, error, loginWithRedirect } = useAuth();
  return (
    <>
      <Status text={isLoading ? 'Loading' : isAuthenticated ? 'Logged in' : 'Logged out'} />
      <button data-testid="login" onClick={() => loginWithRedirect()}>Log in</button>
      <p data-testid="error">{error ? `${error.error}: ${error.error_description}` : ''}</p>
      <pre data-testid="profile">{user ? JSON.stringify(user) : ''}</pre>
    </>
  );
}
