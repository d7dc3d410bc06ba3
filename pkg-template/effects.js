// The effects a wasm flow asks for (see src/web/tasks.rs): everything asynchronous the browser
// does for the protocol core (fetch, WebCrypto, hidden iframes and popups, leaving the page).
// Window plumbing is what JS does best; every decision about what comes back (state, tokens,
// errors) stays in the Rust core. An effect resolves with a string for the core, or rejects;
// the frame and popup flows reject with { error } codes the core maps to an AuthError.

// Names that tell our own page, loaded inside the frame or popup with the response, to leave
// the response alone: the opener reads it (see `isResponseWindow`).
const FRAME_NAME = 'spa-login-silent';
const POPUP_NAME = 'spa-login-popup';
// A provider's web_message page posts the response and closes the popup at once, so the
// message may be handled after the window is seen closed: wait this long before calling it
// cancelled.
const CLOSED_GRACE_MS = 1000;

// The one `state` of a response URL (fragment, else query), if there is exactly one.
function stateOf(href) {
  const url = new URL(href);
  const states = new URLSearchParams(url.hash.slice(1) || url.search.slice(1)).getAll('state');
  return states.length === 1 ? states[0] : undefined;
}

// The response to this flow in a window of our origin, if it has arrived: its URL, else
// undefined. A response with another state (another tab's or another flow's) is not ours.
function readResponse(win, redirectUri, state) {
  let href;
  try {
    href = win.location.href; // throws while the window shows the provider's origin
  } catch {
    return undefined;
  }
  if (!href || !href.startsWith(redirectUri.split(/[?#]/)[0])) return undefined;
  return stateOf(href) === state ? href : undefined;
}

// Waits for the response from `win`: a web_message from the provider's origin and that window
// with the transaction's state, or the window landing on the redirect URI.
function awaitResponse(win, { origin, state, redirectUri, timeoutMs, isClosed }) {
  return new Promise((resolve, reject) => {
    let timer;
    let poll;
    const done = (f, v) => {
      clearTimeout(timer);
      clearInterval(poll);
      window.removeEventListener('message', onMessage);
      f(v);
    };
    const onMessage = (e) => {
      if (!origin || e.origin !== origin || e.source !== win) return;
      const data = e.data;
      if (!data || data.type !== 'authorization_response' || !data.response) return;
      if (data.response.state !== state) return;
      // The response as posted, numbers included: the core reads it.
      done(resolve, JSON.stringify({ message: data.response }));
    };
    window.addEventListener('message', onMessage);
    let closedAt;
    poll = setInterval(() => {
      const href = readResponse(win, redirectUri, state);
      if (href) return done(resolve, JSON.stringify({ url: href }));
      if (!isClosed()) return;
      closedAt ??= Date.now();
      if (Date.now() - closedAt >= CLOSED_GRACE_MS) done(reject, { error: 'popup_cancelled', message: '' });
    }, 50);
    timer = setTimeout(() => done(reject, { error: 'timeout', message: '' }), timeoutMs);
  });
}

async function runSilentFrame({ url, origin, state, redirectUri, timeoutMs }) {
  const frame = document.createElement('iframe');
  frame.name = FRAME_NAME;
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
  frame.src = url;
  document.body.appendChild(frame);
  try {
    return await awaitResponse(frame.contentWindow, { origin, state, redirectUri, timeoutMs, isClosed: () => false });
  } finally {
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
  popup.location.href = url;
  try {
    return await awaitResponse(popup, { origin, state, redirectUri, timeoutMs, isClosed: () => popup.closed });
  } finally {
    if (!popup.closed) popup.close();
  }
}

// True when this page is the frame or popup of a flow another window runs: then the response
// in our address bar is that window's to read.
export function isResponseWindow() {
  try {
    if (window.name === FRAME_NAME) return window.parent !== window;
    if (window.name === POPUP_NAME) return !!window.opener && window.opener !== window;
  } catch {
    return false;
  }
  return false;
}

// Takes the Web Lock `name` (renewals in other tabs wait) and keeps it until the flow calls
// `ctx.unlock`; where the browser has no Web Locks, goes on at once.
function lock(name, ctx) {
  if (typeof navigator === 'undefined' || !navigator.locks) return '';
  return new Promise((held) => {
    navigator.locks.request(name, () => {
      held('');
      return new Promise((release) => {
        ctx.unlock = release;
      });
    });
  });
}

const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64u = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

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
// request is out), by URL.
const prefetched = new Map();

// One request with a deadline: no request may hang a flow, so the body too must arrive within
// the time given. Its status and text, whatever the status.
async function request(url, init, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal });
    return { status: response.status, body: await response.text() };
  } catch {
    if (signal.aborted) throw { error: 'timeout', message: `no answer within ${timeoutMs} ms` };
    throw { error: 'network_error', message: 'the request failed (offline, blocked by CORS, or refused)' };
  }
}

/** Performs one effect; `ctx` holds what the call gave: the app's `openUrl`, the popup. */
export async function perform(effect, ctx = {}) {
  switch (effect.op) {
    case 'fetch': {
      const pending = prefetched.get(effect.url);
      prefetched.delete(effect.url);
      const { status, body } = await (pending ?? request(effect.url, {}, effect.timeoutMs));
      if (status < 200 || status > 299) throw { error: 'network_error', message: `HTTP status ${status}` };
      return body;
    }
    case 'prefetch': {
      // Taken over by the next fetch of this URL; a failure shows there, not here.
      const pending = request(effect.url, {}, effect.timeoutMs);
      pending.catch(() => {});
      prefetched.set(effect.url, pending);
      return '';
    }
    case 'post':
      // No credentials: a public client proves itself with PKCE, not with cookies.
      return JSON.stringify(await request(effect.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: effect.body,
        credentials: 'omit',
      }, effect.timeoutMs));
    case 'verify': {
      const [importAlg, verifyAlg] = algorithms(effect.alg);
      const key = await importKey(effect.alg, effect.jwk, importAlg);
      const ok = await crypto.subtle.verify(verifyAlg, key, unb64u(effect.sig), new TextEncoder().encode(effect.input));
      return String(ok);
    }
    case 'digest':
      return b64u(await crypto.subtle.digest(effect.alg, new TextEncoder().encode(effect.data)));
    case 'frame':
      return runSilentFrame(effect);
    case 'popup':
      return runPopup(ctx.popup, effect);
    case 'open':
      if (ctx.openUrl) await ctx.openUrl(effect.url);
      else window.location.assign(effect.url);
      return '';
    case 'lock':
      return lock(effect.name, ctx);
    case 'replace':
      // Tokens must not stay in the address bar, the history, or a bookmark.
      window.history.replaceState(null, '', effect.url);
      return '';
  }
  throw new Error(`unknown effect ${effect.op}`);
}
