import Login from './login.js';

// A server component: the page is prerendered at build time, the login runs in the browser.
export default function Page() {
  return (
    <main>
      <h1>spa-login in Next.js</h1>
      <Login />
    </main>
  );
}
