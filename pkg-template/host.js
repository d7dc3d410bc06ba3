// The synchronous browser calls of the wasm shell (src/web/storage.rs imports them): Web
// Storage, randomness, the app's clock, the address bar and early requests. They never throw
// into the wasm: a failure comes back as text (or, for the address bar, goes by), so the wasm
// needs no machinery to hold JS values or catch JS exceptions (about 1.2 KB gzip of the
// package). Storage answers are tagged: '' nothing (no item, or done), '=' and the value, '!'
// and why the call failed. This module imports nothing: wasm-bindgen copies it beside the glue,
// and the build bundles the entry's and the glue's imports of it as one module.

/** Each client's `nowProvider`, by the client's number in the wasm. */
export const clocks = [];

function storage(area) {
  const name = area ? 'localStorage' : 'sessionStorage';
  // Reading it throws a SecurityError where the browser blocks storage (sandboxed frames,
  // blocked cookies).
  const s = globalThis[name];
  if (typeof s !== 'object' || !s) throw `${name} is not available`;
  return s;
}

function tagged(f) {
  try {
    return f();
  } catch (e) {
    return `!${String(e)}`;
  }
}

/** Login transactions that the page which sent their code exchange (effects.js `warmUp`) took
 * out of sessionStorage, by key: the core on this page still finds each, and uses it up; a
 * reload or a duplicated tab finds none, as once the core has taken it (a code is good for one
 * exchange). */
export const held = new Map();

export function storeGet(area, key) {
  return tagged(() => {
    if (!area && held.has(key)) return `=${held.get(key)}`;
    const v = storage(area).getItem(key);
    return v === null ? '' : `=${v}`;
  });
}

export function storeSet(area, key, value) {
  return tagged(() => (storage(area).setItem(key, value), ''));
}

export function storeRemove(area, key) {
  return tagged(() => (area || held.delete(key), storage(area).removeItem(key), ''));
}

/** Every key of the area, as a JSON array. */
export function storeKeys(area) {
  return tagged(() => {
    const s = storage(area);
    const keys = [];
    for (let i = 0; i < s.length; i++) keys.push(s.key(i));
    // A held transaction is this page's too: a logout's sweep removes it.
    if (!area) keys.push(...held.keys());
    return `=${JSON.stringify(keys)}`;
  });
}

/** Fills `bytes` with `crypto.getRandomValues`; why it failed, if it did. */
export function random(bytes) {
  try {
    crypto.getRandomValues(bytes);
  } catch (e) {
    return String(e);
  }
}

/** What client `id`'s nowProvider says, if it answers with a finite number; else NaN. */
export function clock(id) {
  try {
    const t = clocks[id]?.();
    return typeof t === 'number' && Number.isFinite(t) ? t : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Takes a response out of the address bar: `url` replaces the page's URL in place (no new
 * history entry, so the tokens stay in neither the history nor a bookmark). The entry's state
 * stays, for the app's router. Where the browser refuses (a document of an opaque origin), the
 * flow goes on: the response is checked all the same.
 */
export function replaceLocation(url) {
  try {
    window.history.replaceState(window.history.state, '', url);
  } catch {}
}

/** What the entry lends this module, which imports nothing: effects.js's `prefetch`. */
export const lent = { prefetch: undefined };

/** Starts fetching `url` for a fetch of it soon after to take over (see effects.js). */
export function prefetch(url, timeoutMs) {
  try {
    lent.prefetch?.(url, timeoutMs);
  } catch {}
}
