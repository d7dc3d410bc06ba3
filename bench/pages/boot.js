// Shared by every bench page. A page is one library behind the same small interface (`lib`):
//   create()            a client, as an app's start-up code makes it
//   ready()             create() plus the session check an app does at start-up
//   login(client)       start a redirect login (the browser leaves for /authorize)
//   callback(client, url?)  process the response of that login (default: the current address)
//   seed(client, tokens)    put valid tokens in the library's cache, the library's own way
//   readToken(client)   one cache-hit token read
//   renew(client)       one token renewal past the cache (code flow: a refresh_token grant)
//   proof(client, o)    a DPoP proof for { url, method, accessToken } (DPoP pages)
//   api                 named ways to call an API: (url, token) => Promise<Response> (DPoP pages)
//   extra               more functions of the page's own, added to `bench`
// The page's mode (query `mode`) says what it does on load; the harness drives the rest with
// page.evaluate(). Times are performance.now() from the navigation's fetchStart (which, on the
// callback page, is after the provider's redirect).
// A response's parameters, in the query or the fragment.
const RESPONSE_IN_ADDRESS = /[?#&](code|state|id_token|access_token|error)=/;

export function boot(lib) {
  globalThis.lib = lib;
  const mode = new URLSearchParams(location.search).get('mode');
  const nav = performance.getEntriesByType('navigation')[0];
  const t0 = nav ? nav.fetchStart : 0;
  const describe = (e) =>
    e && e.error ? `${e.error}: ${e.error_description ?? e.errorDescription ?? ''}` : String((e && (e.stack || e.message)) || e);
  // When the page's code starts running: what came before is loading, what comes after is the
  // library's own work.
  const bootMs = performance.now() - t0;
  // The harness's binding (page.exposeBinding) tells it at once, with no polling in the page.
  const done = (v) => {
    window.__done = { bootMs, ...v };
    window.__benchDone?.(window.__done);
  };

  globalThis.bench = {
    // Starts a login and returns at once: the navigation is the harness's to watch.
    login() {
      window.__loginError = undefined;
      Promise.resolve()
        .then(() => lib.login(window.client))
        .catch((e) => {
          window.__loginError = describe(e);
          window.__benchDone?.({ error: `login: ${window.__loginError}` });
        });
      return true;
    },
    // Processes the responses `urls`, one after the other, each with a new client ('new') or
    // with the page's client ('same'). Returns the mean time per callback.
    async callbackBatch(kind, urls) {
      const t = performance.now();
      for (const url of urls) {
        const c = kind === 'new' ? await lib.create() : window.client;
        const sub = await lib.callback(c, url);
        if (sub !== 'bench|alice') throw new Error(`the callback gave sub ${sub}`);
      }
      return { ms: (performance.now() - t) / urls.length };
    },
    async sameClientCallback(url) {
      const sub = await lib.callback(window.client, url);
      return { sub };
    },
    async seed(tokens) {
      await lib.seed(window.client, tokens);
      return lib.readToken(window.client);
    },
    async readLoop(n) {
      const c = window.client;
      let last;
      const t = performance.now();
      for (let i = 0; i < n; i++) last = await lib.readToken(c);
      return { ms: performance.now() - t, last };
    },
    // One renewal with the page's client, timed in the page; returns the new access token.
    async renew() {
      const t = performance.now();
      const token = await lib.renew(window.client);
      return { ms: performance.now() - t, token };
    },
    // `n` DPoP proofs for a GET of `url` with the current access token, one after the other,
    // each timed; returns the times, the last proof and the token it is for.
    async proofLoop(n, url) {
      const c = window.client;
      const accessToken = await lib.readToken(c);
      const times = [];
      let proof;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        proof = await lib.proof(c, { url, method: 'GET', accessToken });
        times.push(performance.now() - t);
      }
      return { times, proof, accessToken, isolated: globalThis.crossOriginIsolated === true };
    },
    // `n` calls of `url` the way `kind` of lib.api makes them, one after the other, each timed
    // to its response's body read. Any answer but 200 fails the batch.
    async apiLoop(kind, n, url) {
      const call = lib.api[kind];
      const token = await lib.readToken(window.client);
      const times = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const r = await call(url, token);
        await r.text();
        times.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`${kind}: the API answered ${r.status}`);
      }
      return { times };
    },
    wasmMemoryBytes() {
      return lib.wasmMemoryBytes ? lib.wasmMemoryBytes() : null;
    },
  };

  Object.assign(globalThis.bench, lib.extra);

  (async () => {
    if (mode === 'cold' || mode === 'idle') {
      window.client = await lib.ready();
      done({ ms: performance.now() - t0 });
    } else if (mode === 'callback') {
      const c = await lib.create();
      const sub = await lib.callback(c);
      // A callback is done when the response has left the address bar, so that a reload or a
      // bookmark does not hand it over again. Ours takes it out itself; where a library leaves
      // it there, its apps do it, as their guides say (react-oidc-context's onSigninCallback,
      // auth0-react's onRedirectCallback, oidc-client's samples): replaceState to the path.
      if (RESPONSE_IN_ADDRESS.test(location.href)) history.replaceState({}, document.title, location.pathname);
      window.client = c;
      done({ ms: performance.now() - t0, sub });
    }
  })().catch((e) => done({ error: describe(e) }));
}
