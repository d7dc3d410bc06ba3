// Token minting for the conformance suite, with node:crypto only: keys, JWKs, compact JWS of
// every algorithm the package accepts (and of some it must refuse), and at_hash.
import { constants, createHash, createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const b64uJson = (value) => b64u(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

// The algorithms of docs/CONFORMANCE.md: RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA and EdDSA (Ed25519 under
// both of its names). For each: the key it needs, the hash of its signature and of at_hash.
export const ALGS = {
  RS256: { key: 'rsa-a', hash: 'sha256' },
  RS384: { key: 'rsa-a', hash: 'sha384' },
  RS512: { key: 'rsa-a', hash: 'sha512' },
  PS256: { key: 'rsa-a', hash: 'sha256' },
  PS384: { key: 'rsa-a', hash: 'sha384' },
  PS512: { key: 'rsa-a', hash: 'sha512' },
  ES256: { key: 'p256', hash: 'sha256' },
  ES384: { key: 'p384', hash: 'sha384' },
  ES512: { key: 'p521', hash: 'sha512' },
  EdDSA: { key: 'ed25519', hash: 'sha512' },
  Ed25519: { key: 'ed25519', hash: 'sha512' },
};
export const ALG_NAMES = Object.keys(ALGS);

const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 };

// Named key pairs, made on first use and kept for the run (RSA generation is slow).
const KEY_SPECS = {
  'rsa-a': ['rsa', { modulusLength: 2048 }],
  'rsa-b': ['rsa', { modulusLength: 2048 }],
  'rsa-c': ['rsa', { modulusLength: 2048 }],
  'rsa-enc': ['rsa', { modulusLength: 2048 }],
  'rsa-attacker': ['rsa', { modulusLength: 2048 }],
  'rsa-other-issuer': ['rsa', { modulusLength: 2048 }],
  'rsa-1024': ['rsa', { modulusLength: 1024 }],
  p256: ['ec', { namedCurve: 'P-256' }],
  'p256-b': ['ec', { namedCurve: 'P-256' }],
  p384: ['ec', { namedCurve: 'P-384' }],
  p521: ['ec', { namedCurve: 'P-521' }],
  ed25519: ['ed25519', {}],
};
const keys = new Map();

/** A named key pair: { name, privateKey, publicKey, jwk (public, kid = name unless told) }. */
export function key(name) {
  if (!keys.has(name)) {
    const spec = KEY_SPECS[name];
    if (!spec) throw new Error(`no key named ${name}`);
    const { privateKey, publicKey } = generateKeyPairSync(spec[0], spec[1]);
    keys.set(name, { name, privateKey, publicKey, publicJwk: publicKey.export({ format: 'jwk' }) });
  }
  return keys.get(name);
}

/** The public JWK of a named key, with `kid: name` and any extra members (undefined drops one). */
export function jwk(name, extra = {}) {
  const out = { ...key(name).publicJwk, kid: name, ...extra };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** The signature of `input` (a string) with `alg`; HS* take a secret, `none` signs nothing. */
export function signature(alg, signer, input) {
  const data = Buffer.from(input);
  if (/^HS(256|384|512)$/.test(alg)) return createHmac(`sha${alg.slice(2)}`, signer).update(data).digest();
  if (/^none$/i.test(alg)) return Buffer.alloc(0);
  const spec = ALGS[alg];
  if (!spec) throw new Error(`cannot sign with ${alg}`);
  const privateKey = typeof signer === 'string' ? key(signer).privateKey : signer.privateKey ?? signer;
  if (alg.startsWith('RS')) return cryptoSign(spec.hash, data, privateKey);
  if (alg.startsWith('PS')) {
    return cryptoSign(spec.hash, data, {
      key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[spec.hash],
    });
  }
  if (alg.startsWith('ES')) return cryptoSign(spec.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cryptoSign(null, data, privateKey); // Ed25519
}

/**
 * A compact JWS. `header` and `payload` are objects (or JSON text, for duplicate keys); the
 * segments may be replaced wholesale with `rawHeader`/`rawPayload` (already encoded text).
 * `signWith` is a key name, a key object or an HMAC secret; `signAs` the alg used to sign
 * (default: header.alg).
 */
export function jws({ header, payload, signWith, signAs, rawHeader, rawPayload }) {
  const h = rawHeader ?? b64uJson(header);
  const p = rawPayload ?? b64uJson(payload);
  const input = `${h}.${p}`;
  const alg = signAs ?? (typeof header === 'object' ? header.alg : JSON.parse(header).alg);
  return `${input}.${b64u(signature(alg, signWith, input))}`;
}

/** at_hash: base64url of the left half of the alg's hash of the ASCII access token. */
export function atHash(alg, accessToken, { hash = ALGS[alg]?.hash ?? 'sha256', half = true } = {}) {
  const digest = createHash(hash).update(Buffer.from(accessToken, 'ascii')).digest();
  return b64u(half ? digest.subarray(0, digest.length / 2) : digest);
}

/** A random bearer token (b64token characters only). */
export function accessToken(prefix = 'at') {
  return `${prefix}.${randomBytes(18).toString('base64url')}`;
}
