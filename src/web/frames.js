// Hidden iframes and popups for prompt=none and popup logins. Window plumbing is what JS does
// best; every decision about the response (state, tokens, errors) stays in the Rust core. Each
// function resolves with the raw response as a callback URL (`#k=v&...` or a full URL) or
// rejects with { error } codes the Rust side maps to AuthError.

// Names that tell our own page, loaded inside the frame or popup with the response, to leave
// the response alone: the opener reads it (see `isResponseWindow`).
const FRAME_NAME = 'spa-login-silent';
const POPUP_NAME = 'spa-login-popup';
// A provider's web_message page posts the response and closes the popup at once, so the
// message may be handled after the window is seen closed: wait this long before calling it
// cancelled.
const CLOSED_GRACE_MS = 1000;

// A web_message response as a fragment: only string members, encoded for the strict parser.
function encodeMessage(response) {
  return '#' + Object.entries(response)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

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
      done(resolve, encodeMessage(data.response));
    };
    window.addEventListener('message', onMessage);
    let closedAt;
    poll = setInterval(() => {
      const href = readResponse(win, redirectUri, state);
      if (href) return done(resolve, href);
      if (!isClosed()) return;
      closedAt ??= Date.now();
      if (Date.now() - closedAt >= CLOSED_GRACE_MS) done(reject, { error: 'popup_cancelled' });
    }, 50);
    timer = setTimeout(() => done(reject, { error: 'timeout' }), timeoutMs);
  });
}

export async function runSilentFrame(url, origin, state, redirectUri, timeoutMs) {
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

export async function runPopup(popup, url, origin, state, redirectUri, timeoutMs) {
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

// Runs `task` while holding a Web Lock named `name` (renewals in other tabs wait), or directly
// where the browser has no Web Locks.
export function withLock(name, task) {
  if (typeof navigator === 'undefined' || !navigator.locks) return task();
  return navigator.locks.request(name, () => task());
}
