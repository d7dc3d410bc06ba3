// DPoP proofs (RFC 9449) made in Node with jose, for the tests that play a client of the
// provider and the API, or an attacker who holds a stolen token and a key of its own.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

// A fresh key pair: what a proof's jwk header carries (the public JWK), and its RFC 7638
// thumbprint (the value a token bound to it has in cnf.jkt).
export async function dpopKey(alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

// base64url(SHA-256(access token)): a proof's ath.
export const athOf = (accessToken) => createHash('sha256').update(accessToken).digest('base64url');

// A proof for `method` `url` signed by `key`: a fresh jti, iat now (or `iat`), ath when an
// access token is given, the nonce when one is. `claims` and `header` override or add to what
// a correct proof has (a value of undefined removes a claim).
export function dpopProof(key, { method, url, accessToken, nonce, iat = Math.floor(Date.now() / 1000), claims = {}, header = {} }) {
  const payload = {
    htm: method,
    htu: url,
    iat,
    jti: randomUUID(),
    ...(accessToken ? { ath: athOf(accessToken) } : {}),
    ...(nonce ? { nonce } : {}),
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  // SignJWT sets iat itself only when told to (setIssuedAt), so the payload's own stays.
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

// Proofs no verifier may accept, each correct but for one thing.

// Signed by the key whose private JWK (with `d`) is in the jwk header.
export async function proofWithPrivateJwk(key, request) {
  const jwk = await exportJWK(key.privateKey);
  return dpopProof(key, { ...request, header: { jwk } });
}

// With a symmetric key (HS256) whose secret travels in the jwk header, as anybody can make.
export async function proofWithHs256(request) {
  const secret = randomBytes(32);
  const key = { alg: 'HS256', privateKey: secret, jwk: { kty: 'oct', k: secret.toString('base64url') } };
  return dpopProof(key, request);
}

// alg none: an unsigned JWS (empty signature) with the public key of `key` in its header.
export function unsignedProof(key, { method, url, accessToken }) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ath: athOf(accessToken) };
  return `${part({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${part(payload)}.`;
}
