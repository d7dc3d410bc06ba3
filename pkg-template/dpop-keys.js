// Where the DPoP key pairs (RFC 9449) live: one ES256 pair per client, made by WebCrypto with a
// private key that cannot be exported, and kept in IndexedDB, which stores CryptoKey objects
// as they are, so that a reload keeps the key its tokens are bound to. Nothing here decides
// what a proof says: the core builds it and asks for a signature.
const DB = 'spa-login';
const STORE = 'dpop-keys';

const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

let opened;

function database() {
  opened ??= (async () => {
    if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB');
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    return done(request);
  })();
  opened.catch(() => {
    opened = undefined;
  });
  return opened;
}

async function inStore(mode, f) {
  return done(f((await database()).transaction(STORE, mode).objectStore(STORE)));
}

/** The key pair `name`, made on first use. Two tabs may make one at once: `add` keeps the one
 * stored first, and the other tab takes it, so every tab signs with the same key. */
export async function keyPair(name) {
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

/** Deletes the key pair `name`: the next one made is new. */
export function forgetKeyPair(name) {
  return inStore('readwrite', (s) => s.delete(name));
}
