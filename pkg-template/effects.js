// The effects a wasm flow asks for (see src/web/tasks.rs): everything asynchronous the browser
// does for the protocol core (fetch, WebCrypto, hidden iframes and popups, leaving the page).
// Window plumbing is what JS does best; every decision about what comes back (state, tokens,
// errors) stays in the Rust core. An effect resolves with a string for the core, or rejects
// with an Error whose `error` is a code the core maps to an AuthError ('timeout',
// 'network_error', 'popup_cancelled', 'popup_severed', 'frame_blocked'); index.js passes code
// and message on.

// The window names of our frames and popups (a popup opened again by name is reused). A name
// proves nothing: any site can open the app in a window of that name.
const FRAME_NAME = 'spa-login-silent';
const POPUP_NAME = 'spa-login-popup';
// A provider's web_message page posts the response and closes the popup at once, so the
// message may be handled after the window is seen closed: wait this long before calling it
// cancelled.
const CLOSED_GRACE_MS = 1000;
// Chromium shows a popup that a Cross-Origin-Opener-Policy takes away as another origin's for
// a few milliseconds before it reports it closed; a person takes far longer to close a window
// that just showed a page.
const SEEN_MS = 500;
// The frame and popup flows this window runs now, by state (their kind, 'frame' or 'popup',
// and how to hand them a response), on a property of `window` that our response windows read through their parent or
// opener (see `isResponseWindow`); one property shared by every copy of the package on the page.
const FLOWS = 'spa-login:flows';
// Where a popup whose opener link was cut hands the response back to its opener (see
// `handOver`): a BroadcastChannel, or, where there is none, storage events of these keys.
const CHANNEL = 'spa-login.responses';
const OFFER = 'spa-login:response';
const TAKEN = 'spa-login:taken';
// How long a window with a response of another window's flow waits for that window to take it.
const HANDOVER_MS = 1000;
// A response that carries tokens (the implicit and hybrid flows' fragment).
const TOKENS = /[#&?](access_token|id_token)=/;
// How long the hidden iframe may still bring a response once it loaded a page that is not one:
// a provider's web_message page posts it as it loads. (A redirect chain fires `load` once, for
// its last page, so the provider's own redirects do not start this.)
const ANSWER_GRACE_MS = 2000;

/** A failed effect: `error` is the code the core maps to an AuthError. */
function failure(error, message) {
  return Object.assign(new Error(message), { error });
}

function flowsOf(win) {
  if (!Object.hasOwn(win, FLOWS)) Object.defineProperty(win, FLOWS, { value: new Map() });
  return win[FLOWS];
}

// Marks `state` as a pending flow of this window until the returned function is called.
function pending(state, kind) {
  const flows = flowsOf(window);
  // `deliver(href)` takes a response its window hands over; `fail(error)` ends the flow early
  // (both set by awaitResponse); `end()` unregisters the flow.
  const flow = { kind, deliver() {}, fail() {}, end: () => flows.delete(state) };
  flows.set(state, flow);
  return flow;
}
// The one `state` of a response URL (fragment, else query, as the core reads it: a fragment
// with no state, a hash router's `#/`, does not hide the query's), if there is exactly one.
// A string that is no absolute URL (an app may pass anything to handleRedirectCallback) has none.
function stateOf(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  const read = (part) => new URLSearchParams(part.slice(1)).getAll('state');
  let states = read(url.hash);
  if (!states.length) states = read(url.search);
  return states.length === 1 ? states[0] : undefined;
}

// Whether `href` is on the redirect URI, compared as browsers report URLs: `HTTPS://App:443/cb`
// and `https://app/cb` are one page.
function atRedirectUri(href, redirectUri) {
  try {
    const a = new URL(href);
    const b = new URL(redirectUri);
    return a.origin === b.origin && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

// Where `win` is: its URL, or null while it shows another origin (reading throws then).
function locationOf(win) {
  try {
    return win.location.href;
  } catch {
    return null;
  }
}

export function localStorageOf() {
  try {
    return window.localStorage || undefined;
  } catch {
    return undefined;
  }
}

function openChannel() {
  try {
    return typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : undefined;
  } catch {
    return undefined; // an opaque origin
  }
}

// Sends `data` to the other windows of this origin through a storage event: the key is written
// and removed at once (nothing stays stored). False when localStorage is not usable.
function signal(key, data) {
  const storage = localStorageOf();
  try {
    storage.setItem(key, JSON.stringify(data));
    storage.removeItem(key);
    return true;
  } catch {
    return false;
  }
}

// Listens for `type` messages of this origin's windows, on the channel and in storage events;
// `reply(data)` answers on the way the message came. Returns the function that stops listening.
function listen(type, onData) {
  const channel = openChannel();
  if (channel) {
    channel.onmessage = (e) => {
      if (e.data?.type === type) onData(e.data, (answer) => channel.postMessage(answer));
    };
  }
  const onStorage = (e) => {
    if (e.key !== type || !e.newValue) return;
    let data;
    try {
      data = JSON.parse(e.newValue);
    } catch {
      return;
    }
    if (data?.type === type) onData(data, (answer) => signal(answer.type, answer));
  };
  window.addEventListener('storage', onStorage);
  return () => {
    channel?.close();
    window.removeEventListener('storage', onStorage);
  };
}

// The response to this flow in a window of our origin, if it has arrived: its URL, else
// undefined. A response with another state (another tab's or another flow's) is not ours.
function readResponse(href, redirectUri, state) {
  if (!href || !atRedirectUri(href, redirectUri)) return undefined;
  return stateOf(href) === state ? href : undefined;
}

// Waits for the response from `win`: a web_message from the provider's origin and that window
// with the transaction's state, or the window landing on the redirect URI. A popup's response
// may also come back from the app's own page at the redirect URI through `handOver`, when the
// provider's Cross-Origin-Opener-Policy cut the popup off from this window.
// `flow` (see `pending`) gets the functions that end the wait early, with a response its window
// hands over or with a failure.
function awaitResponse(win, { origin, state, redirectUri, timeoutMs }, isPopup, flow) {
  return new Promise((resolve, reject) => {
    let timer;
    let poll;
    let unlisten;
    const done = (f, v) => {
      clearTimeout(timer);
      clearInterval(poll);
      unlisten?.();
      window.removeEventListener('message', onMessage);
      f(v);
    };
    const found = (href) => done(resolve, JSON.stringify({ url: href }));
    const onMessage = (e) => {
      if (!origin || e.origin !== origin || e.source !== win) return;
      const data = e.data;
      if (!data || data.type !== 'authorization_response' || !data.response) return;
      if (data.response.state !== state) return;
      let text;
      try {
        text = JSON.stringify({ message: data.response });
      } catch {
        return; // not JSON (a BigInt, a cycle): not a response the core could read
      }
      done(resolve, text);
    };
    window.addEventListener('message', onMessage);
    flow.fail = (why) => done(reject, why);
    flow.deliver = (href) => {
      const response = readResponse(href, redirectUri, state);
      if (response) found(response);
    };
    if (isPopup) {
      unlisten = listen(OFFER, (data, reply) => {
        if (data.state !== state || typeof data.url !== 'string' || !readResponse(data.url, redirectUri, state)) return;
        reply({ type: TAKEN, state });
        found(data.url);
      });
    }
    // The core words each failure; a message adds what only this side knows.
    let timeout = failure('timeout', `no answer within ${timeoutMs} ms`);
    // A popup seen showing the provider (anywhere but where it was when the flow started: its
    // first about:blank, or the app's own page) for a while before it closed was closed by a
    // user: cancelled. One that goes from there (almost) straight to closed was taken away
    // from this window by the provider's Cross-Origin-Opener-Policy (Django's default, say)
    // while the user is still signing in there: its response can come only through `handOver`.
    const start = locationOf(win);
    let awaySince = start === null ? -Infinity : undefined;
    let closedAt;
    const closed = () => isPopup && win.closed;
    if (closed()) return done(reject, failure('popup_cancelled', 'before it went to the provider'));
    poll = setInterval(() => {
      if (!closed()) {
        const href = locationOf(win);
        if (href !== start && awaySince === undefined) awaySince = Date.now();
        const response = readResponse(href, redirectUri, state);
        if (response) found(response);
        return;
      }
      const first = closedAt === undefined;
      if (first) closedAt = Date.now();
      if (first && !(closedAt - awaySince >= SEEN_MS)) {
        clearInterval(poll);
        if (typeof BroadcastChannel !== 'function' && !localStorageOf()) {
          return done(reject, failure('popup_severed', ''));
        }
        timeout = failure('timeout', `no response within ${timeoutMs} ms from the popup, which the provider's Cross-Origin-Opener-Policy (most likely) cut off from this window: the page at the redirect URI must call handleRedirectCallback() to hand the response back`);
        return;
      }
      if (Date.now() - closedAt >= CLOSED_GRACE_MS) done(reject, failure('popup_cancelled', ''));
    }, 50);
    timer = setTimeout(() => done(reject, timeout), timeoutMs);
  });
}

async function runSilentFrame({ url, origin, state, redirectUri, timeoutMs }) {
  const frame = document.createElement('iframe');
  frame.name = FRAME_NAME;
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
  const flow = pending(state, 'frame');
  frame.src = url;
  // Two ways the frame can be seen to bring nothing, long before the timeout: the page's CSP
  // refuses it (the document's securitypolicyviolation event, for the provider's origin or for
  // the way back to the redirect URI), or it loads a page that is no response (an error page
  // of the provider: prompt=none must end in a redirect or a web_message).
  let grace;
  // A blocked URI is a URL or, stripped for privacy, an origin.
  const ours = (blocked) => [url, redirectUri].some((u) => `${blocked}/`.startsWith(`${new URL(u).origin}/`));
  const onViolation = (e) => {
    if (/^(frame|child)-src$/.test(e.effectiveDirective) && ours(e.blockedURI)) {
      flow.fail(failure('frame_blocked', `${e.effectiveDirective} refused ${e.blockedURI}`));
    }
  };
  // (A frame whose src is set before it is inserted fires no load for its first about:blank.)
  const onLoad = () => {
    clearTimeout(grace);
    grace = setTimeout(() => flow.fail(failure('timeout', 'the page in the hidden iframe is no response')), ANSWER_GRACE_MS);
  };
  document.addEventListener('securitypolicyviolation', onViolation);
  frame.addEventListener('load', onLoad);
  document.body.appendChild(frame);
  try {
    return await awaitResponse(frame.contentWindow, { origin, state, redirectUri, timeoutMs }, false, flow);
  } finally {
    clearTimeout(grace);
    document.removeEventListener('securitypolicyviolation', onViolation);
    flow.end();
    frame.remove();
  }
}

export function openPopup(popup) {
  const w = 400;
  const h = 600;
  const left = window.screenX + (window.innerWidth - w) / 2;
  const top = window.screenY + (window.innerHeight - h) / 2;
  return popup || window.open('', POPUP_NAME, `left=${left},top=${top},width=${w},height=${h},resizable,scrollbars=yes,status=1`);
}

async function runPopup(popup, { url, origin, state, redirectUri, timeoutMs }) {
  const flow = pending(state, 'popup');
  try {
    const waiting = awaitResponse(popup, { origin, state, redirectUri, timeoutMs }, true, flow);
    if (!popup.closed) popup.location.href = url;
    return await waiting;
  } finally {
    flow.end();
    if (!popup.closed) popup.close();
  }
}

// True when this page (at `href`) is the response window of a flow its parent (a frame's) or
// opener (a popup's) runs: a window of our origin with a pending flow of that kind with the
// state in `href`. Then the response is that window's: it is handed over at once. Its name
// proves nothing.
export function isResponseWindow(href = window.location.href) {
  const state = stateOf(href);
  if (state === undefined) return false;
  const flowIn = (win, kind) => {
    try {
      const flow = !!win && win !== window && Object.hasOwn(win, FLOWS) ? win[FLOWS].get(state) : undefined;
      return flow?.kind === kind ? flow : undefined;
    } catch {
      return undefined; // another origin's window
    }
  };
  const flow = flowIn(window.parent, 'frame') ?? flowIn(window.opener, 'popup');
  // Handed over at once: the app may change its address (a router, say) before that window's
  // next look at this one, and then the response would be lost. That window checks it as it
  // checks what it reads itself.
  flow?.deliver(href);
  return !!flow;
}

// Offers the response in `url` (with `state`) to the window of this origin whose popup flow
// waits for it: a popup that the provider's Cross-Origin-Opener-Policy cut off from its opener
// can reach it only this way. True when that window took it.
export function handOver(state, url) {
  return new Promise((resolve) => {
    let timer;
    let stop;
    const finish = (taken) => {
      clearTimeout(timer);
      stop();
      resolve(taken);
    };
    stop = listen(TAKEN, (data) => {
      if (data.state === state) finish(true);
    });
    const offer = { type: OFFER, state, url };
    const channel = openChannel();
    if (channel) {
      channel.postMessage(offer);
      channel.close();
    } else if (TOKENS.test(url) || !signal(OFFER, offer)) {
      // Without BroadcastChannel the offer goes through localStorage (written and removed at
      // once, but it may reach the disk and every tab): a code may (it is nothing without the
      // verifier the other window holds), tokens may not (the memory cache keeps them out of
      // Web Storage). The response is then handled, and refused, here.
      return finish(false);
    }
    timer = setTimeout(() => finish(false), HANDOVER_MS);
  });
}

// How long a tab that waited for a renewal lock waits, at most, for the holder's write to the
// shared session to reach it.
const SETTLE_MS = 1000;

// Takes the Web Lock `name` (renewals in other tabs wait) and keeps it until the flow calls
// `ctx.unlock`; where the browser has no Web Locks (or refuses them), a lock of this tab's.
//
// `watch` names the localStorage entry of the session the lock guards. Chromium delivers one
// tab's localStorage writes to another tab some time after they are made, so a tab that gets
// the lock right after another tab renewed may still read the session from before, and would
// send a refresh token that was rotated away (the provider then revokes the whole grant). So a
// tab that had to wait for the lock, and still sees the session as it was when it asked, waits
// for the holder's write to arrive (a storage event) before its flow goes on.
async function lock(name, ctx, watch) {
  if (typeof navigator === 'undefined' || !navigator.locks) return tabLock(name, ctx);
  const storage = watch ? localStorageOf() : undefined;
  const before = storage?.getItem(watch);
  const take = (options) => new Promise((settled) => {
    navigator.locks.request(name, options, (held) => {
      settled(!!held);
      if (!held) return undefined;
      return new Promise((release) => {
        ctx.unlock = release;
      });
    // A request the browser refuses (a SecurityError in an opaque origin): as where there are
    // no Web Locks.
    }).catch(() => settled(undefined));
  });
  const first = await take({ ifAvailable: true });
  if (first === undefined) return tabLock(name, ctx);
  if (first) return '';
  const changed = storage ? storageChange(watch) : undefined;
  await take({});
  if (changed && storage.getItem(watch) === before) await changed.wait(SETTLE_MS);
  changed?.stop();
  return '';
}

// The flows of this tab that hold or wait for each lock, by name: without Web Locks, the
// renewals of one tab still take turns (a checkSession and a getAccessToken at a page's start
// would otherwise send one refresh token twice, and a provider that sees one reused revokes
// the whole grant). Other tabs are not held back.
const tabLocks = new Map();

function tabLock(name, ctx) {
  const before = tabLocks.get(name) ?? Promise.resolve();
  const held = new Promise((release) => {
    ctx.unlock = release;
  });
  const mine = before.then(() => held);
  tabLocks.set(name, mine);
  mine.then(() => tabLocks.get(name) === mine && tabLocks.delete(name));
  return before.then(() => '');
}

// Resolves `wait(ms)` when a storage event for `key` arrives (or after `ms`).
function storageChange(key) {
  let arrived;
  const seen = new Promise((resolve) => {
    arrived = resolve;
  });
  const onStorage = (e) => {
    if (e.key === key || e.key === null) arrived();
  };
  window.addEventListener('storage', onStorage);
  return {
    wait: (ms) => Promise.race([seen, new Promise((resolve) => setTimeout(resolve, ms))]),
    stop: () => window.removeEventListener('storage', onStorage),
  };
}

const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
// A plain loop: Uint8Array.from with a mapping function took about 0.15 ms for a signature,
// the largest JS cost of a warm callback.
function unb64u(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// WebCrypto's names for a JWS algorithm: [for importKey, for verify]. RFC 7518 3.5: a PS salt
// is as long as the hash.
function algorithms(alg) {
  const bits = alg.slice(2);
  const hash = `SHA-${bits}`;
  switch (alg.slice(0, 2)) {
    case 'RS':
      return [{ name: 'RSASSA-PKCS1-v1_5', hash }, { name: 'RSASSA-PKCS1-v1_5' }];
    case 'PS':
      return [{ name: 'RSA-PSS', hash }, { name: 'RSA-PSS', saltLength: bits / 8 }];
    case 'ES':
      return [{ name: 'ECDSA', namedCurve: bits === '512' ? 'P-521' : `P-${bits}` }, { name: 'ECDSA', hash }];
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return [{ name: 'Ed25519' }, { name: 'Ed25519' }];
  throw new Error(`no WebCrypto algorithm for ${alg}`);
}

// Imported keys, by algorithm and key: a page verifies every token of an issuer with the same
// few keys. Capped, so a provider rotating keys all day does not grow it without end.
const keys = new Map();

function importKey(alg, jwk, algorithm) {
  const id = alg + JSON.stringify(jwk);
  let key = keys.get(id);
  if (!key) {
    if (keys.size >= 16) keys.clear();
    key = crypto.subtle.importKey('jwk', jwk, algorithm, false, ['verify']);
    keys.set(id, key);
    key.catch(() => keys.delete(id));
  }
  return key;
}

// Requests started ahead of the fetch that will want them (the issuer's keys while the token
// request is out, or while the module compiles on a callback page), by URL, with when they
// started. A fetch takes one over only while it is fresh: one that no fetch took (a callback
// that failed first) must not answer for the keys minutes later.
const prefetched = new Map();
const PREFETCH_FRESH_MS = 10_000;

const fresh = (early) => early && performance.now() - early.at < PREFETCH_FRESH_MS;

export function prefetch(url, timeoutMs) {
  // One request for the URL at a time (the code exchange asks for the keys its page asked for
  // as it loaded).
  if (fresh(prefetched.get(url))) return;
  // Taken over by the next fetch of this URL. One that fails before a fetch takes it (an error
  // status, no answer) is forgotten, and that fetch asks again; a failure after shows there.
  const early = { pending: request(url, {}, timeoutMs), at: performance.now() };
  const drop = () => prefetched.get(url) === early && prefetched.delete(url);
  early.pending.then(({ status }) => (status < 200 || status > 299) && drop(), drop);
  prefetched.set(url, early);
}

// A code exchange sent as the page loads, by its body (which holds the code). Unlike a
// prefetch it is never sent twice, nor forgotten: a code is good for one exchange, so the
// callback's POST of the same body takes this one's outcome, whatever it is and however late.
const exchanges = new Map();
const postInit = (body, dpop) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(dpop ? { DPoP: dpop } : {}) },
  body,
  // No credentials: a public client proves itself with PKCE (and DPoP), not with cookies.
  credentials: 'omit',
});

/** On the page a redirect login comes back to, as the package loads: the login's transaction
 * (stored under the state in the address, see src/core/transaction.rs) names what its callback
 * will fetch, and that request starts now, while the module compiles. So does the code exchange
 * the core prepared for a plain success (`early_exchange` in src/core/client.rs), when the
 * address can be nothing else (`plainCode`); the transaction then leaves sessionStorage for
 * `held` (host.js), where only this page's core finds it. */
export function warmUp(href, held) {
  try {
    const state = stateOf(href);
    const key = `spa-login.tx.${state}`;
    const text = state && sessionStorage.getItem(key);
    const tx = JSON.parse(text);
    const p = tx?.prefetch;
    const x = p?.exchange;
    const code = typeof x?.url === 'string' && typeof x.body === 'string' && plainCode(href, tx, x);
    if (code) {
      sessionStorage.removeItem(key);
      held.set(key, text);
      const body = x.body + code;
      const pending = request(x.url, postInit(body), p.timeoutMs);
      pending.catch(() => {}); // reported by the callback that takes it
      exchanges.set(body, pending);
    }
    if (typeof p?.url === 'string' && typeof p.timeoutMs === 'number') prefetch(p.url, p.timeoutMs);
  } catch {
    // No storage, no such transaction, or not ours: the callback fetches what it needs.
  }
}

// The parameters the core reads in a response (src/core/response.rs, `ResponseParams::slot`).
const RESPONSE_NAMES = /^(state|code|iss|access_token|token_type|expires_in|id_token|error|error_description)$/;
// Text with nothing to decode: the same bytes in the address and, for the code, in the form body
// the core writes (src/core/urls.rs, `encode_component`).
const PLAIN = /^[\w.*-]*$/;

/** The code in `href` if the address is this transaction's success and nothing else: in the
 * query, only `code` and `state` (and `iss`, `session_state`, and the redirect URI's own
 * parameters as written there), each once, by their names as written; every value but `iss`
 * plain; the state the transaction's; `iss` this issuer (required where the provider promises
 * it); no fragment; before `until` (the browser's clock, well before the transaction expires by
 * the app's). That is what the core checks before it sends a code, and such an address passes
 * it. Any other address waits for the core. */
function plainCode(href, tx, { iss: issRequired, until }) {
  const { hash, search } = new URL(href);
  const own = new URL(tx.redirect_uri).search.slice(1).split('&');
  const seen = {};
  for (const part of search.slice(1).split('&')) {
    const [name, value, more] = part.split('=');
    // The redirect URI's own (`?mode=callback`): the core passes them by. Each once, as the
    // address of the login's own success has them (the core refuses one of over 100 parameters).
    if (own.includes(part) && !RESPONSE_NAMES.test(name) && PLAIN.test(part.replace('=', ''))) {
      if (seen[`?${part}`]) return;
      seen[`?${part}`] = 1;
      continue;
    }
    if (!/^(code|state|iss|session_state)$/.test(name) || name in seen || value === undefined || more !== undefined || !PLAIN.test(name === 'iss' ? '' : value)) return;
    seen[name] = value;
  }
  const { code, state, iss } = seen;
  if (!hash && href.length < 4096 && until > Date.now() && state === tx.state && code
    && (iss === undefined ? !issRequired : !iss.includes('+') && decodeURIComponent(iss) === tx.issuer)) return code;
}

// One request with a deadline: no request may hang a flow (and the login button with it), so
// the body too must arrive within the time given. Its status and text, whatever the status.
async function request(url, init, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal });
    return { status: response.status, body: await response.text(), nonce: response.headers.get('DPoP-Nonce') };
  } catch {
    if (signal.aborted) throw failure('timeout', `no answer from ${url} within ${timeoutMs} ms`);
    throw failure('network_error', 'the request failed (offline, blocked by CORS, or refused)');
  }
}

// Where the DPoP key pairs (RFC 9449) live: one ES256 pair per client, made by WebCrypto with a
// private key that cannot be exported, and kept in IndexedDB, which stores CryptoKey objects as
// they are, so that a reload keeps the key its tokens are bound to. Nothing here decides what a
// proof says: the core builds it and asks for a signature. (Here rather than in a module of its
// own: the browser tests load this file alone, as a wasm-bindgen snippet, with no imports.)
const DB = 'spa-login';
const STORE = 'dpop-keys';

// No flow waits for IndexedDB forever: a browser whose IndexedDB never answers (it happens)
// must not hold a login, or the renewal lock every tab waits for, with it.
const IDB_TIMEOUT_MS = 10_000;

const within = (promise) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`IndexedDB did not answer within ${IDB_TIMEOUT_MS / 1000} s`)), IDB_TIMEOUT_MS);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });

let opened;

function database() {
  if (!opened) {
    opened = within(new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB');
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
    // A database that failed to open is tried again by the next call.
    opened.catch(() => {
      opened = undefined;
    });
  }
  return opened;
}

// What `f` asked of the store, once its transaction has committed: a write that succeeded can
// still be lost when the transaction aborts at commit (a full disk, say), and a key pair that
// was never kept must not get tokens bound to it.
async function inStore(mode, f) {
  const tx = (await database()).transaction(STORE, mode);
  const request = f(tx.objectStore(STORE));
  return within(new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request.result);
    tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'));
  }));
}

/** The key pair `name`, made on first use. Two tabs may make one at once: `add` keeps the one
 * stored first, and the other tab takes it, so every tab signs with the same key. */
async function keyPair(name) {
  let pair = await inStore('readonly', (s) => s.get(name));
  if (pair) return pair;
  pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  try {
    await inStore('readwrite', (s) => s.add(pair, name));
  } catch (e) {
    if (e?.name !== 'ConstraintError') throw e;
    pair = await inStore('readonly', (s) => s.get(name));
  }
  return pair;
}

// Key pairs as read or made, with their public JWK, by name: every proof needs the pair twice
// (its public key, then a signature), and IndexedDB and exportKey are slow to ask each time.
const dpopKeys = new Map();

function dpopKey(name) {
  let key = dpopKeys.get(name);
  if (!key) {
    key = keyPair(name).then(async (pair) => {
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
      return { pair, jwk: JSON.stringify({ kty, crv, x, y }) };
    });
    key.catch(() => dpopKeys.delete(name));
    dpopKeys.set(name, key);
  }
  return key;
}

/** Forgets the key pairs read so far: a logout (here, or in another tab, which deleted the
 * stored pair) means the next proof reads or makes the pair again. */
export function forgetDpopKeys() {
  dpopKeys.clear();
}

/** Deletes the key pair `name`: the next one made is new. */
function forgetKeyPair(name) {
  return inStore('readwrite', (s) => s.delete(name));
}

/** Performs one effect; `ctx` holds what the call gave: the app's `openUrl`, the popup. */
export async function perform(effect, ctx = {}) {
  switch (effect.op) {
    case 'fetch': {
      const early = prefetched.get(effect.url);
      prefetched.delete(effect.url);
      // `fresh`: a refetch, past the HTTP cache (which holds what failed), and past an early request.
      const { status, body } = await (fresh(early) && !effect.fresh ? early.pending : request(effect.url, effect.fresh ? { cache: 'no-cache' } : {}, effect.timeoutMs));
      if (status < 200 || status > 299) throw failure('network_error', `HTTP status ${status}`);
      return body;
    }
    case 'post': {
      // Taken whatever this POST would add (a DPoP proof the login's page did not have): the
      // code in the body has been sent, and is good for one exchange.
      const early = exchanges.get(effect.body);
      exchanges.delete(effect.body);
      return JSON.stringify(await (early || request(effect.url, postInit(effect.body, effect.dpop), effect.timeoutMs)));
    }
    case 'dpopKey':
      return (await dpopKey(effect.name)).jwk;
    case 'dpopSign': {
      const { privateKey } = (await dpopKey(effect.name)).pair;
      return b64u(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(effect.input)));
    }
    case 'dpopForget':
      dpopKeys.delete(effect.name);
      await forgetKeyPair(effect.name);
      return '';
    case 'verify': {
      const [importAlg, verifyAlg] = algorithms(effect.alg);
      const key = await importKey(effect.alg, effect.jwk, importAlg);
      const ok = await crypto.subtle.verify(verifyAlg, key, unb64u(effect.sig), new TextEncoder().encode(effect.input));
      return String(ok);
    }
    case 'frame':
      return runSilentFrame(effect);
    case 'popup':
      return runPopup(ctx.popup, effect);
    case 'open':
      if (ctx.openUrl) await ctx.openUrl(effect.url);
      else window.location.assign(effect.url);
      return '';
    case 'lock':
      return lock(effect.name, ctx, effect.watch ?? undefined);
  }
  throw new Error(`unknown effect ${effect.op}`);
}
