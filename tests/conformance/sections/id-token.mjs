// docs/CONFORMANCE.md, "The ID token": structure, algorithms, key selection, claims, at_hash.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CONCURRENCY, nestedArrays, rejects, rejectsEach, withSession, pastJwksRefetchInterval } from '../harness.mjs';
import { startProvider } from '../fake-provider.mjs';
import { ALGS, ALG_NAMES, atHash, b64u, b64uJson, jwk, key } from '../tokens.mjs';

const bad = { error: 'invalid_id_token' };
const ALL_KEYS = ['rsa-a', 'p256', 'p384', 'p521', 'ed25519'];
const allKeys = (s) => {
  s.provider.config.algs = [...ALG_NAMES];
  s.provider.config.jwks = { keys: ALL_KEYS.map((k) => jwk(k)) };
};
const wholeSeconds = () => Math.floor(Date.now() / 1000) * 1000;
/** A valid response, with `claims` changed, minted at the fixed instant the session's clock is at. */
const withClaims = (claims) => (tx, s) => s.mint(tx, { claims }).fragment;

// A payload whose base64url text has both '-' and '_' (so its base64 text has '+' and '/').
function payloadWithPlusAndSlash(claims) {
  for (let i = 0; i < 64; i++) {
    const text = JSON.stringify({ ...claims, pad: `${'x'.repeat(i)}???>>>~~~\u00fb\u00ff` });
    const seg = b64uJson(text);
    if (seg.includes('-') && seg.includes('_')) return text;
  }
  throw new Error('no payload with + and /');
}

describe('The ID token', { concurrency: CONCURRENCY }, () => {
  // --- Structure ------------------------------------------------------------------------------

  test('structure: two segments are invalid_id_token', rejects({
    bad: (tx, s) => s.mint(tx, { mutateToken: (t) => t.split('.').slice(0, 2).join('.') }).fragment,
    expect: { ...bad, description: /segments/ },
  }));

  test('structure: four segments are invalid_id_token', rejects({
    bad: (tx, s) => s.mint(tx, { mutateToken: (t) => `${t}.${b64u('x')}` }).fragment,
    expect: { ...bad, description: /segments/ },
  }));

  test('structure: five segments (a JWE) are invalid_id_token', rejects({
    bad: (tx, s) => {
      const header = b64uJson({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-a' });
      return s.mint(tx, { idToken: [header, b64u(randomBytes(256)), b64u(randomBytes(12)), b64u(randomBytes(64)), b64u(randomBytes(16))].join('.') }).fragment;
    },
    expect: { ...bad, description: /JWE|encrypted/ },
  }));

  test('structure: an empty segment is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /empty/ },
    cases: [0, 1, 2].map((i) => [`segment ${i}`, (tx, s) => s.mint(tx, {
      mutateToken: (t) => t.split('.').map((p, j) => (j === i ? '' : p)).join('.'),
    }).fragment]),
  }));

  test('structure: base64 padding in a segment is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /base64url/ },
    cases: [
      ['padded payload (signed as sent)', (tx, s) => s.mint(tx, {
        claims: { pad: 'x' }, // any length
        rawPayload: (seg) => seg + '='.repeat((4 - (seg.length % 4)) % 4 || 4),
      }).fragment],
      ['padded signature', (tx, s) => s.mint(tx, { mutateToken: (t) => `${t}==` }).fragment],
      ['padded header (signed as sent)', (tx, s) => s.mint(tx, {
        rawHeader: (seg) => seg + '='.repeat((4 - (seg.length % 4)) % 4 || 4),
      }).fragment],
    ],
  }));

  test('structure: + or / in a segment is invalid_id_token', rejects({
    bad: (tx, s) => {
      const base = s.mint(tx);
      return s.mint(tx, {
        accessToken: base.accessToken,
        payloadText: payloadWithPlusAndSlash(base.claims),
        rawPayload: (seg) => seg.replace(/-/g, '+').replace(/_/g, '/'),
      }).fragment;
    },
    expect: { ...bad, description: /base64url/ },
  }));

  test('structure: whitespace in a segment is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /base64url/ },
    cases: [
      ['a space in the payload', (tx, s) => s.mint(tx, { mutateToken: (t) => t.replace('.', '. ') }).fragment],
      ['a newline in the header', (tx, s) => s.mint(tx, { mutateToken: (t) => `${t.slice(0, 10)}\n${t.slice(10)}` }).fragment],
      ['a tab in the signature', (tx, s) => s.mint(tx, { mutateToken: (t) => `${t.slice(0, -5)}\t${t.slice(-5)}` }).fragment],
      ['a trailing space', (tx, s) => s.mint(tx, { mutateToken: (t) => `${t} ` }).fragment],
    ],
  }));

  test('structure: a header or payload that is not a JSON object is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /JSON/ },
    cases: [
      ['header not JSON', (tx, s) => s.mint(tx, { headerText: '{"alg":"RS256",' })],
      ['payload not JSON', (tx, s) => s.mint(tx, { payloadText: (t) => t.slice(0, -1) })],
      ['header a JSON array', (tx, s) => s.mint(tx, { headerText: '["RS256"]', signAs: 'RS256' })],
      ['payload a JSON string', (tx, s) => s.mint(tx, { payloadText: '"sub"' })],
      ['payload with trailing text', (tx, s) => s.mint(tx, { payloadText: (t) => `${t} x` })],
    ].map(([label, f]) => [label, (tx, s) => f(tx, s).fragment]),
  }));

  test('structure: duplicate JSON keys in the header are invalid_id_token', rejectsEach({
    expect: { ...bad, description: /duplicate/ },
    cases: [
      ['alg twice', (tx, s) => s.mint(tx, { headerText: (t) => `${t.slice(0, -1)},"alg":"RS256"}` }).fragment],
      ['kid twice', (tx, s) => s.mint(tx, { headerText: (t) => `${t.slice(0, -1)},"kid":"rsa-b"}` }).fragment],
    ],
  }));

  test('structure: duplicate JSON keys in the payload are invalid_id_token', rejectsEach({
    expect: { ...bad, description: /duplicate/ },
    cases: [
      ['sub twice', (tx, s) => s.mint(tx, { payloadText: (t) => `${t.slice(0, -1)},"sub":"admin"}` }).fragment],
      ['nonce twice (the last one right)', (tx, s) => s.mint(tx, { payloadText: (t) => `{"nonce":"wrong",${t.slice(1)}` }).fragment],
      ['a nested duplicate', (tx, s) => s.mint(tx, { payloadText: (t) => `${t.slice(0, -1)},"address":{"country":"a","country":"b"}}` }).fragment],
    ],
  }));

  // The JSON parser reads values nested at most 64 levels below the top-level one (here: the
  // payload object, 63 arrays, and a string at level 64) and refuses deeper ones. Parsing and
  // writing back recurse on the wasm's stack, which the package build keeps small
  // (scripts/build.mjs): the deepest payload accepted must go through, claims and all.
  const depthOf = (v) => (Array.isArray(v) ? 1 + depthOf(v[0]) : 0);

  test('structure: a payload nested as deep as the parser allows is accepted', () => withSession(async (s) => {
    const { snapshot } = await s.loginOk({ mint: { claims: { deep: nestedArrays(63) } } });
    assert.equal(depthOf(snapshot.user.deep), 63);
    assert.equal(depthOf(snapshot.claims.deep), 63);
  }));

  test('structure: a payload nested one level deeper is invalid_id_token', rejects({
    bad: withClaims({ deep: nestedArrays(64) }),
    expect: bad,
  }));

  // --- Algorithms -----------------------------------------------------------------------------

  for (const alg of ALG_NAMES) {
    test(`alg: ${alg} verifies when the provider lists it`, () => withSession(async (s) => {
      s.provider.config.algs = [alg];
      s.provider.config.jwks = { keys: [jwk(ALGS[alg].key)] };
      s.alg = alg;
      const { minted, snapshot } = await s.loginOk();
      assert.equal(JSON.parse(Buffer.from(minted.idToken.split('.')[0], 'base64url')).alg, alg);
      assert.equal(snapshot.claims.__raw, minted.idToken);
      assert.equal(snapshot.user.sub, minted.claims.sub);
      assert.equal(snapshot.token, minted.accessToken, `with at_hash by ${ALGS[alg].hash}`);
    }));

    test(`alg: ${alg} is invalid_id_token when the provider does not list it`, rejects({
      setup: (s) => {
        allKeys(s);
        s.provider.config.algs = ALG_NAMES.filter((a) => a !== alg);
        s.alg = alg === 'RS256' ? 'ES256' : 'RS256';
      },
      bad: (tx, s) => s.mint(tx, { alg }).fragment,
      expect: { ...bad, description: /\balg\b/ },
    }));
  }

  test('alg: without id_token_signing_alg_values_supported only RS256 is accepted', rejects({
    setup: (s) => {
      allKeys(s);
      s.provider.config.algs = undefined;
    },
    bad: (tx, s) => s.mint(tx, { alg: 'ES256' }).fragment,
    expect: { ...bad, description: /\balg\b/ },
  }));

  test('alg: none is invalid_id_token in any case, even when the provider lists it', rejectsEach({
    setup: (s) => { s.provider.config.algs = ['RS256', 'none', 'None', 'NONE']; },
    expect: { ...bad, description: /\balg\b/ },
    cases: ['none', 'None', 'NONE'].flatMap((name) => [
      [`${name}, empty signature`, (tx, s) => s.mint(tx, { alg: name, kid: null, claims: { at_hash: undefined } }).fragment,
        { description: /\balg\b|signature/ }],
      [`${name}, with a signature`, (tx, s) => s.mint(tx, { alg: name, signAs: 'RS256', signWith: 'rsa-a' }).fragment],
    ]),
  }));

  test('alg: HS256, HS384 and HS512 are invalid_id_token, even when the provider lists them', rejectsEach({
    setup: (s) => { s.provider.config.algs = ['RS256', 'HS256', 'HS384', 'HS512']; },
    expect: { ...bad, description: /\balg\b/ },
    cases: ['HS256', 'HS384', 'HS512'].map((alg) => [alg, (tx, s) => s.mint(tx, {
      alg, signWith: randomBytes(32), kid: 'rsa-a', claims: { at_hash: undefined },
    }).fragment]),
  }));

  test('alg: HS256 signed with the RSA public key as the secret is invalid_id_token', rejectsEach({
    setup: (s) => { s.provider.config.algs = ['RS256', 'HS256']; },
    expect: { ...bad, description: /\balg\b/ },
    cases: [
      ['the SPKI PEM', () => key('rsa-a').publicKey.export({ type: 'spki', format: 'pem' })],
      ['the PKCS#1 PEM', () => key('rsa-a').publicKey.export({ type: 'pkcs1', format: 'pem' })],
      ['the SPKI DER', () => key('rsa-a').publicKey.export({ type: 'spki', format: 'der' })],
      ['the JWK JSON', () => JSON.stringify(jwk('rsa-a'))],
      ['the modulus', () => Buffer.from(jwk('rsa-a').n, 'base64url')],
    ].map(([label, secret]) => [label, (tx, s) => s.mint(tx, {
      alg: 'HS256', signWith: secret(), kid: 'rsa-a', claims: { at_hash: atHash('RS256', 'unused') },
    }).fragment]),
  }));

  test('alg: an alg that does not match the key type is invalid_id_token', rejectsEach({
    setup: (s) => {
      allKeys(s);
      s.provider.config.jwks.keys.push(jwk('rsa-b', { alg: 'RS256' }));
    },
    expect: { ...bad, description: /usable|key|alg/ },
    cases: [
      ['ES256 naming an RSA key', (tx, s) => s.mint(tx, { alg: 'ES256', kid: 'rsa-a', signWith: 'p256' }).fragment],
      ['RS256 naming an EC key', (tx, s) => s.mint(tx, { alg: 'RS256', kid: 'p256', signWith: 'rsa-a' }).fragment],
      ['EdDSA naming an RSA key', (tx, s) => s.mint(tx, { alg: 'EdDSA', kid: 'rsa-a', signWith: 'ed25519' }).fragment],
      ['ES384 naming a P-256 key', (tx, s) => s.mint(tx, { alg: 'ES384', kid: 'p256', signWith: 'p384' }).fragment],
      ['ES256 naming an Ed25519 key', (tx, s) => s.mint(tx, { alg: 'ES256', kid: 'ed25519', signWith: 'p256' }).fragment],
      ['PS256 naming a key published for RS256', (tx, s) => s.mint(tx, { alg: 'PS256', kid: 'rsa-b', signWith: 'rsa-b' }).fragment],
    ],
  }));

  test('alg: a header with crit is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /crit/ },
    cases: [
      ['crit ["exp"]', (tx, s) => s.mint(tx, { header: { crit: ['exp'], exp: 1 } }).fragment],
      ['crit ["b64"]', (tx, s) => s.mint(tx, { header: { crit: ['b64'], b64: false } }).fragment],
      ['crit of an unknown extension', (tx, s) => s.mint(tx, { header: { crit: ['urn:x'], 'urn:x': true } }).fragment],
      ['crit []', (tx, s) => s.mint(tx, { header: { crit: [] } }).fragment],
    ],
  }));

  test('alg: jwk, jku, x5u and x5c in the header are never used', () => withSession(async (s) => {
    await s.establish();
    const attacker = jwk('rsa-attacker');
    const der = key('rsa-attacker').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const at = (p) => `${s.provider.origin}${p}`;
    const cases = [
      ['an attacker key in jwk, no kid', { header: { jwk: attacker }, kid: null }, /signature/],
      ['an attacker key in jwk, with its kid', { header: { jwk: attacker } }, /kid/],
      ['jku to an attacker key set', { header: { jku: at('/attacker-jwks') } }, /kid/],
      ['x5u to an attacker certificate', { header: { x5u: at('/attacker.pem') }, kid: null }, /signature/],
      ['x5c with the attacker key', { header: { x5c: [der] }, kid: null }, /signature/],
    ];
    for (const [label, o, description] of cases) {
      const tx = await s.login();
      const r = await s.callback(s.mint(tx, { signWith: 'rsa-attacker', ...o }).fragment);
      try {
        await s.expectRejected(r, tx, { ...bad, description });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
    assert.equal(s.provider.count('/attacker-jwks'), 0, 'jku was fetched');
    assert.equal(s.provider.count('/attacker.pem'), 0, 'x5u was fetched');
  }));

  test('alg: a genuine token carrying jwk, jku, x5u and x5c verifies with the issuer key alone', () => withSession(async (s) => {
    const at = (p) => `${s.provider.origin}${p}`;
    await s.loginOk({
      mint: {
        header: {
          jwk: jwk('rsa-attacker'), jku: at('/attacker-jwks'), x5u: at('/attacker.pem'),
          x5c: [key('rsa-attacker').publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
        },
      },
    });
    assert.equal(s.provider.count('/attacker-jwks'), 0);
    assert.equal(s.provider.count('/attacker.pem'), 0);
  }));

  // --- Key selection --------------------------------------------------------------------------

  test('keys: the kid selects the key among several', () => withSession(async (s) => {
    s.provider.config.jwks = { keys: [jwk('rsa-b'), jwk('rsa-a'), jwk('rsa-c')] };
    for (const k of ['rsa-c', 'rsa-a', 'rsa-b']) await s.loginOk({ mint: { signWith: k } });
  }));

  test('keys: a kid naming another key of the set fails the signature', rejects({
    setup: (s) => { s.provider.config.jwks = { keys: [jwk('rsa-a'), jwk('rsa-b')] }; },
    bad: (tx, s) => s.mint(tx, { signWith: 'rsa-b', kid: 'rsa-a' }).fragment,
    expect: { ...bad, description: /signature/ },
  }));

  const mixedSet = () => ({
    keys: [
      jwk('rsa-enc', { kid: undefined, use: 'enc' }),
      jwk('p256', { kid: undefined }),
      jwk('ed25519', { kid: undefined }),
      jwk('rsa-a', { kid: undefined, use: 'sig' }),
      { kty: 'oct', k: b64u(randomBytes(32)) },
      { kty: 'UNKNOWN', x: 'y' },
    ],
  });

  test('keys: without kid, the one usable key is found among use:enc keys and keys of other types', () => withSession(async (s) => {
    s.provider.config.jwks = mixedSet();
    await s.loginOk({ mint: { kid: null } });
    await s.loginOk({ mint: { kid: null, signWith: 'rsa-a' } });
  }));

  test('keys: without kid, a key marked use:enc is never used', rejects({
    setup: (s) => {
      s.provider.config.jwks = mixedSet();
      s.mintDefaults = { kid: null };
    },
    bad: (tx, s) => s.mint(tx, { signWith: 'rsa-enc', kid: null }).fragment,
    expect: { ...bad, description: /signature/ },
  }));

  test('keys: without kid and with several candidates, the right one verifies and a stranger fails', () => withSession(async (s) => {
    s.provider.config.jwks = { keys: ['rsa-b', 'rsa-c', 'rsa-a'].map((k) => jwk(k, { kid: undefined })) };
    s.mintDefaults = { kid: null };
    for (const k of ['rsa-a', 'rsa-b', 'rsa-c']) await s.loginOk({ mint: { signWith: k } });
    await s.establish();
    const tx = await s.login();
    const r = await s.callback(s.mint(tx, { signWith: 'rsa-attacker', kid: null }).fragment);
    await s.expectRejected(r, tx, { ...bad, description: /signature/ });
  }));

  test('keys: an unknown kid triggers exactly one JWKS refetch, then invalid_id_token', () => withSession(async (s) => {
    await s.establish();
    assert.equal(s.provider.count('/jwks'), 1);
    // Right after the set was fetched for the login: the unknown kid fetches it again, once.
    const tx = await s.login();
    const r = await s.callback(s.mint(tx, { kid: 'unknown-kid' }).fragment);
    await s.expectRejected(r, tx, { ...bad, description: /kid/ });
    assert.equal(s.provider.count('/jwks'), 2, 'one refetch for the unknown kid');
    // Another unknown kid at once: the set was just fetched for one (rate limit), no request.
    const tx2 = await s.login();
    const r2 = await s.callback(s.mint(tx2, { kid: 'another-unknown-kid' }).fragment);
    await s.expectRejected(r2, tx2, { ...bad, description: /kid/ });
    assert.equal(s.provider.count('/jwks'), 2, 'a stream of unknown kids is not a stream of requests');
    // Later (on the machine's clock, not nowProvider's), one refetch again.
    await pastJwksRefetchInterval();
    const tx3 = await s.login();
    const r3 = await s.callback(s.mint(tx3, { kid: 'a-third-unknown-kid' }).fragment);
    await s.expectRejected(r3, tx3, { ...bad, description: /kid/ });
    assert.equal(s.provider.count('/jwks'), 3);
  }));

  test('keys: key rotation without reload works', () => withSession(async (s) => {
    await s.establish();
    // Rotated at once, with no wait: the new kid fetches the set again.
    s.provider.config.jwks = { keys: [jwk('rsa-b')] };
    await s.loginOk({ mint: { signWith: 'rsa-b' } });
    assert.equal(s.provider.count('/jwks'), 2);
    await s.loginOk({ mint: { signWith: 'rsa-b' } });
    assert.equal(s.provider.count('/jwks'), 2, 'the new set is cached');
  }));

  test('keys: key rotation without reload works where the provider lets browsers cache its JWKS (Cache-Control: max-age=3600): the refetch goes past the HTTP cache', () => withSession(async (s) => {
    s.provider.config.jwksCacheControl = 'max-age=3600';
    await s.establish();
    assert.equal(s.provider.count('/jwks'), 1);
    s.provider.config.jwks = { keys: [jwk('rsa-b')] };
    await s.loginOk({ mint: { signWith: 'rsa-b' } });
    assert.equal(s.provider.count('/jwks'), 2, 'the refetch reached the provider');
  }));

  test('keys: discovery and JWKS are fetched once per issuer and cached', () => withSession(async (s) => {
    const other = await startProvider();
    try {
      other.config.jwks = { keys: [jwk('rsa-other-issuer')] };
      await s.create();
      await s.create({}, { name: 'second' });
      await s.create({ issuer: other.issuer }, { name: 'other' });
      for (let i = 0; i < 3; i++) {
        await s.loginOk();
        await s.loginOk({ name: 'second' });
      }
      assert.equal(s.provider.count('/.well-known/openid-configuration'), 1);
      assert.equal(s.provider.count('/jwks'), 1);
      // Another issuer: its own discovery and keys, fetched once.
      const tx = await s.login({ name: 'other' });
      const m = s.mint(tx, { signWith: 'rsa-other-issuer', claims: { iss: other.issuer } });
      const ok = await s.callback(m.fragment, { name: 'other' });
      assert.equal(ok.ok, true, `${ok.error}: ${ok.error_description}`);
      assert.equal(other.count('/.well-known/openid-configuration'), 1);
      assert.equal(other.count('/jwks'), 1);
      assert.equal(s.provider.count('/jwks'), 1);
      // And its keys are not the first issuer's.
      await s.setClock({ skew: 5_000 });
      const tx2 = await s.login();
      const r = await s.callback(s.mint(tx2, { signWith: 'rsa-other-issuer' }).fragment);
      assert.equal(r.error, 'invalid_id_token');
      assert.match(r.error_description, /kid/);
    } finally {
      await other.close();
    }
  }));

  test('keys: an RSA key under 2048 bits is never used', rejects({
    setup: (s) => { s.provider.config.jwks = { keys: [jwk('rsa-a'), jwk('rsa-1024')] }; },
    bad: (tx, s) => s.mint(tx, { signWith: 'rsa-1024' }).fragment,
    expect: { ...bad, description: /usable|key/ },
  }));

  test('signature: verified before any claim is trusted', rejectsEach({
    expect: { ...bad, description: /signature/ },
    cases: [
      ['a stranger key, expired', (tx, s) => s.mint(tx, { signWith: 'rsa-attacker', kid: null, claims: { exp: s.nowSecs() - 86400 } }).fragment],
      ['a stranger key, wrong nonce', (tx, s) => s.mint(tx, { signWith: 'rsa-attacker', kid: null, claims: { nonce: 'x' } }).fragment],
      ['a stranger key, another iss and aud', (tx, s) => s.mint(tx, { signWith: 'rsa-attacker', kid: null, claims: { iss: 'https://evil.example', aud: 'x' } }).fragment],
      ['a stranger key, no sub, wrong at_hash', (tx, s) => s.mint(tx, { signWith: 'rsa-attacker', kid: null, claims: { sub: undefined, at_hash: 'x' } }).fragment],
      ['a flipped signature bit, bad iat', (tx, s) => s.mint(tx, {
        claims: { iat: 'soon' },
        mutateToken: (t) => { const [h, p, sig] = t.split('.'); const b = Buffer.from(sig, 'base64url'); b[0] ^= 1; return `${h}.${p}.${b64u(b)}`; },
      }).fragment],
    ],
  }));

  // --- Claims -----------------------------------------------------------------------------------

  test('iss: a trailing slash the issuer does not have is invalid_id_token', rejects({
    bad: (tx, s) => s.mint(tx, { claims: { iss: `${s.issuer}/` } }).fragment,
    expect: { ...bad, description: /\biss\b/ },
  }));

  test('iss: no trailing slash when the issuer has one is invalid_id_token', rejects({
    setup: (s) => { s.provider.config.issuer = `${s.provider.origin}/`; },
    bad: (tx, s) => s.mint(tx, { claims: { iss: s.provider.origin } }).fragment,
    expect: { ...bad, description: /\biss\b/ },
  }));

  test('iss: another, missing or non-string iss is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /\biss\b/ },
    cases: [
      ['another issuer', withClaims({ iss: 'https://evil.example' })],
      ['another case', (tx, s) => s.mint(tx, { claims: { iss: s.issuer.toUpperCase() } }).fragment],
      ['missing', withClaims({ iss: undefined })],
      ['an array', (tx, s) => s.mint(tx, { claims: { iss: [s.issuer] } }).fragment],
    ],
  }));

  test('aud: a string equal to the client id, or an array holding it, is accepted', () => withSession(async (s) => {
    await s.loginOk({ mint: { claims: { aud: 'conformance-client' } } });
    await s.loginOk({ mint: { claims: { aud: ['conformance-client'] } } });
    await s.loginOk({ mint: { claims: { aud: ['conformance-client', 'https://api.example'], azp: 'conformance-client' } } });
  }));

  test('aud: an aud that is not or does not contain the client id is invalid_id_token', rejectsEach({
    expect: { ...bad, description: /\baud\b/ },
    cases: [
      ['another client', withClaims({ aud: 'other-client' })],
      ['an array without the client', withClaims({ aud: ['other-client', 'api'], azp: 'conformance-client' })],
      ['a prefix of the client id', withClaims({ aud: 'conformance' })],
      ['missing', withClaims({ aud: undefined })],
      ['an empty array', withClaims({ aud: [] })],
      ['an array with a non-string', withClaims({ aud: ['conformance-client', 7] })],
      ['a number', withClaims({ aud: 7 })],
    ],
  }));

  test('azp: several audiences need azp equal to the client id; a present azp must be the client id', rejectsEach({
    expect: { ...bad, description: /\bazp\b/ },
    cases: [
      ['several audiences, no azp', withClaims({ aud: ['conformance-client', 'api'] })],
      ['several audiences, another azp', withClaims({ aud: ['conformance-client', 'api'], azp: 'api' })],
      ['one audience, another azp', withClaims({ azp: 'other-client' })],
      ['one audience, azp not a string', withClaims({ azp: ['conformance-client'] })],
    ],
  }));

  test('sub: must be a non-empty string', rejectsEach({
    expect: { ...bad, description: /\bsub\b/ },
    cases: [
      ['missing', withClaims({ sub: undefined })],
      ['empty', withClaims({ sub: '' })],
      ['a number', withClaims({ sub: 42 })],
      ['null', withClaims({ sub: null })],
    ],
  }));

  test('iat and exp: must be present and numbers', rejectsEach({
    expect: { ...bad },
    cases: [
      ['iat missing', withClaims({ iat: undefined }), { description: /\biat\b/ }],
      ['exp missing', withClaims({ exp: undefined }), { description: /\bexp\b/ }],
      ['iat a string', (tx, s) => s.mint(tx, { claims: { iat: String(s.nowSecs()) } }).fragment, { description: /\biat\b/ }],
      ['exp a string', (tx, s) => s.mint(tx, { claims: { exp: String(s.nowSecs() + 600) } }).fragment, { description: /\bexp\b/ }],
      ['exp null', withClaims({ exp: null }), { description: /\bexp\b/ }],
      ['iat a boolean', withClaims({ iat: true }), { description: /\biat\b/ }],
      ['exp an array', (tx, s) => s.mint(tx, { claims: { exp: [s.nowSecs() + 600] } }).fragment, { description: /\bexp\b/ }],
    ],
  }));

  // The time checks run on a fixed clock (nowProvider), in whole seconds.
  const atFixedClock = async (s) => {
    s.T = wholeSeconds() / 1000;
    await s.setClock({ fixed: s.T * 1000 });
  };

  const boundary = ({ leeway, claims, description }) => () => withSession(async (s) => {
    await atFixedClock(s);
    await s.create(leeway === undefined ? {} : { leeway });
    const [good, badOnes] = claims(s.T);
    for (const c of good) await s.loginOk({ mint: { claims: c } });
    await s.establish();
    for (const c of badOnes) {
      const tx = await s.login();
      const r = await s.callback(s.mint(tx, { claims: c }).fragment);
      await s.expectRejected(r, tx, { ...bad, description });
    }
  });

  test('exp: must be after now minus the leeway (default 60 s, nowProvider)', boundary({
    claims: (T) => [[{ exp: T - 59 }, { exp: T + 1 }], [{ exp: T - 60 }, { exp: T - 3600 }]],
    description: /\bexp\b/,
  }));

  test('exp: with leeway 0, must be after now', boundary({
    leeway: 0,
    claims: (T) => [[{ exp: T + 1 }], [{ exp: T }, { exp: T - 1 }]],
    description: /\bexp\b/,
  }));

  test('iat: must not be after now plus the leeway (nowProvider)', boundary({
    claims: (T) => [[{ iat: T + 60 }, { iat: T - 86400 }], [{ iat: T + 61 }, { iat: T + 86400 }]],
    description: /\biat\b/,
  }));

  test('nbf: if present, must not be after now plus the leeway (nowProvider)', boundary({
    claims: (T) => [[{ nbf: T + 60 }, { nbf: T - 10 }], [{ nbf: T + 61 }, { nbf: String(T) }]],
    description: /\bnbf\b/,
  }));

  test('nonce: must be present and equal to the transaction\'s', () => withSession(async (s) => {
    await s.establish();
    const other = await s.login(); // another pending transaction: its nonce is no good either
    const cases = [
      ['missing', { nonce: undefined }],
      ['wrong', { nonce: 'not-the-nonce' }],
      ["another transaction's", { nonce: other.nonce }],
      ['the state', null],
      ['a number', { nonce: 1 }],
      ['a prefix', null],
    ];
    for (const [label, claims] of cases) {
      const tx = await s.login();
      const c = claims ?? (label === 'the state' ? { nonce: tx.state } : { nonce: tx.nonce.slice(0, -1) });
      const r = await s.callback(s.mint(tx, { claims: c }).fragment);
      try {
        await s.expectRejected(r, tx, { ...bad, description: /nonce/ });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
  }));

  test('max_age: auth_time must be present and recent enough', () => withSession(async (s) => {
    await atFixedClock(s);
    const T = s.T;
    await s.create({ authorizationParams: { max_age: 300 } });
    // max_age 300 plus the 60 s leeway.
    await s.loginOk({ mint: { claims: { auth_time: T - 360 } } });
    await s.establish({ mint: { claims: { auth_time: T } } });
    for (const [label, claims, description] of [
      ['missing', { auth_time: undefined }, /auth_time/],
      ['too old', { auth_time: T - 361 }, /auth_time|max_age/],
      ['a string', { auth_time: String(T) }, /auth_time/],
    ]) {
      const tx = await s.login();
      assert.equal(tx.params.max_age, '300');
      const r = await s.callback(s.mint(tx, { claims }).fragment);
      try {
        await s.expectRejected(r, tx, { ...bad, description });
      } catch (e) {
        e.message = `[${label}] ${e.message}`;
        throw e;
      }
    }
    // max_age given per call.
    const tx = await s.login({ authorizationParams: { max_age: 60 } });
    const r = await s.callback(s.mint(tx, { claims: { auth_time: T - 121 } }).fragment);
    await s.expectRejected(r, tx, { ...bad, description: /auth_time|max_age/ });
  }));

  test('claims: unknown claims are ignored', () => withSession(async (s) => {
    const { snapshot } = await s.loginOk({
      mint: {
        claims: {
          'https://example.test/roles': ['admin'], foo: { bar: [1, { baz: null }] }, acr: 'urn:x', amr: ['pwd'],
          sid: 'abc', c_hash: 'not-checked', s_hash: 'not-checked', jti: 'id-1', locale: 'fr',
          __proto__: 'x', constructor: 'y',
        },
      },
    });
    assert.deepEqual(snapshot.user['https://example.test/roles'], ['admin']);
    assert.deepEqual(snapshot.user.foo, { bar: [1, { baz: null }] });
  }));

  // --- at_hash ----------------------------------------------------------------------------------

  for (const alg of ['RS256', 'ES384', 'PS512', 'EdDSA', 'Ed25519']) {
    const hash = ALGS[alg].hash.toUpperCase().replace('SHA', 'SHA-');
    const setup = (s) => {
      s.provider.config.algs = [alg];
      s.provider.config.jwks = { keys: [jwk(ALGS[alg].key)] };
      s.alg = alg;
    };
    test(`at_hash (${hash}, ${alg}): absent with an access token is invalid_id_token`, rejects({
      setup,
      bad: (tx, s) => s.mint(tx, { claims: { at_hash: undefined } }).fragment,
      expect: { ...bad, description: /at_hash/ },
    }));
    test(`at_hash (${hash}, ${alg}): wrong is invalid_id_token`, rejectsEach({
      setup,
      expect: { ...bad, description: /at_hash/ },
      cases: [
        ['the hash of another token', (tx, s) => s.mint(tx, { claims: { at_hash: atHash(alg, 'another-token') } }).fragment],
        ['one character off', (tx, s) => {
          const m = s.mint(tx);
          const h = m.claims.at_hash;
          return s.mint(tx, { accessToken: m.accessToken, claims: { at_hash: (h[0] === 'A' ? 'B' : 'A') + h.slice(1) } }).fragment;
        }],
      ],
    }));
  }

  test('at_hash: the hash must be the one the alg names, its left half, in base64url', rejectsEach({
    setup: allKeys,
    expect: { ...bad, description: /at_hash/ },
    cases: [
      ['SHA-256 on an RS384 token', { alg: 'RS384', hash: 'sha256' }],
      ['SHA-384 on an ES512 token', { alg: 'ES512', hash: 'sha384' }],
      ['SHA-256 on an EdDSA token', { alg: 'EdDSA', hash: 'sha256' }],
      ['SHA-512 on an RS256 token', { alg: 'RS256', hash: 'sha512' }],
      ['the whole hash', { alg: 'RS256', half: false }],
      ['with = padding', { alg: 'ES256', pad: true }],
      ['in standard base64', { alg: 'RS256', std: true }],
      ['not a string', { alg: 'RS256', number: true }],
    ].map(([label, o]) => [label, (tx, s) => {
      const token = `tok+/${label.length}${'x'.repeat(label.length % 7)}`;
      let h = atHash(o.alg, token, { hash: o.hash, half: o.half ?? true });
      if (o.pad) h += '='.repeat((4 - (h.length % 4)) % 4 || 2);
      if (o.std) {
        // a token whose hash text has - or _, shown in standard base64
        let t = token;
        for (let i = 0; !/[-_]/.test(atHash(o.alg, t)); i++) t = `${token}${i}`;
        return s.mint(tx, { alg: o.alg, accessToken: t, claims: { at_hash: atHash(o.alg, t).replace(/-/g, '+').replace(/_/g, '/') } }).fragment;
      }
      return s.mint(tx, { alg: o.alg, accessToken: token, claims: { at_hash: o.number ? 12345 : h } }).fragment;
    }]),
  }));

  test('at_hash: not needed when no access token comes (response_type id_token)', () => withSession(async (s) => {
    await s.create({ authorizationParams: { response_type: 'id_token' } });
    const { snapshot } = await s.loginOk({ mint: { claims: { at_hash: undefined } } });
    assert.equal(snapshot.isAuthenticated, true);
    // No access token: cache-only gives undefined (or, since ce6e62c, invalid_configuration for
    // a client that never asks for one).
    assert.ok(snapshot.token === undefined || snapshot.token.rejected?.error === 'invalid_configuration',
      JSON.stringify(snapshot.token));
  }));
});
