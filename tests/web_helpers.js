// Browser-test helpers: a fake network (discovery and JWKS for test issuers) and ID tokens
// signed with WebCrypto keys made in the page, so the wasm shell runs against real WebCrypto,
// real Web Storage and the real address bar.
const documents = new Map();
const keys = new Map();
let requests = [];

const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const href = String(url);
  if (!documents.has(href)) return realFetch(url, init);
  requests.push(href);
  return new Response(documents.get(href), { status: 200, headers: { 'content-type': 'application/json' } });
};

const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const text = (s) => b64u(new TextEncoder().encode(s));

// Serves discovery and a JWKS with one RS256 key (kid "k1") for `issuer`.
export async function setupProvider(issuer) {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  keys.set(issuer, pair.privateKey);
  const base = issuer.replace(/\/$/, '');
  documents.set(`${base}/.well-known/openid-configuration`, JSON.stringify({
    issuer,
    authorization_endpoint: `${base}/authorize`,
    jwks_uri: `${base}/jwks`,
    end_session_endpoint: `${base}/logout`,
    id_token_signing_alg_values_supported: ['RS256'],
  }));
  const publicJwk = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: 'k1', use: 'sig', alg: 'RS256' };
  documents.set(`${base}/jwks`, JSON.stringify({ keys: [publicJwk] }));
  return JSON.stringify(publicJwk);
}

export async function signRs256(issuer, claimsJson) {
  const input = `${text(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT' }))}.${text(claimsJson)}`;
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.get(issuer), new TextEncoder().encode(input));
  return `${input}.${b64u(sig)}`;
}

export async function atHash(accessToken) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return b64u(digest.slice(0, 16));
}

export function takeRequests() {
  const taken = requests;
  requests = [];
  return taken;
}
