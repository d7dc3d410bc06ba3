//! SHA-256, SHA-384 and SHA-512 (FIPS 180-4) of the short texts the protocol hashes: the PKCE
//! challenge, `at_hash` and `c_hash`, and DPoP's `ath`. Here rather than asked of WebCrypto,
//! whose every call is a trip through the page's event loop: a callback would wait for one more
//! after the signature check, a login and a DPoP proof for one each. tests/differential.rs holds
//! it against the sha2 crate.

use super::jws::HashAlg;

/// The digest of `data` with the algorithm `alg`.
pub fn digest(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    match alg {
        // Σ0, Σ1, then σ0 and σ1 (two rotations and a shift each), FIPS 180-4 4.1.2 and 4.1.3.
        HashAlg::Sha256 => hash(
            data,
            4,
            &IV512,
            64,
            [2, 13, 22, 6, 11, 25, 7, 18, 3, 17, 19, 10],
            32,
        ),
        HashAlg::Sha384 => hash(data, 8, &IV384, 80, SHA512_ROTATIONS, 48),
        HashAlg::Sha512 => hash(data, 8, &IV512, 80, SHA512_ROTATIONS, 64),
    }
}

const SHA512_ROTATIONS: [u32; 12] = [28, 34, 39, 14, 18, 41, 1, 8, 7, 19, 61, 6];

/// SHA-256 (`word` 4 bytes) and SHA-384/512 (`word` 8) are one algorithm on words of two sizes:
/// both run here on `u64`, SHA-256's words kept to their low 32 bits. SHA-256's constants are
/// the first 32 bits of SHA-512's (the same fractions of the same roots), so only the 64-bit
/// tables are kept.
fn hash(
    data: &[u8],
    word: usize,
    iv: &[u64; 8],
    rounds: usize,
    r: [u32; 12],
    len: usize,
) -> Vec<u8> {
    let bits = 8 * word as u32;
    let mask = u64::MAX >> (64 - bits);
    let rotr = |x: u64, n: u32| ((x >> n) | (x << (bits - n))) & mask;
    let add = |x: u64, y: u64| x.wrapping_add(y) & mask;
    let block = 16 * word;
    // The message, a 1 bit, zeros, and its length in bits in the last two words (5.1).
    let mut m = Vec::with_capacity(data.len() + 2 * block);
    m.extend_from_slice(data);
    m.push(0x80);
    while !(m.len() + 2 * word).is_multiple_of(block) {
        m.push(0);
    }
    m.extend_from_slice(&((data.len() as u128) << 3).to_be_bytes()[16 - 2 * word..]);
    let mut h = [0u64; 8];
    for (x, k) in h.iter_mut().zip(iv) {
        *x = k >> (64 - bits);
    }
    let mut w = [0u64; 80];
    for chunk in m.chunks(block) {
        for t in 0..rounds {
            w[t] = if t < 16 {
                chunk[t * word..][..word]
                    .iter()
                    .fold(0, |acc, &b| acc << 8 | b as u64)
            } else {
                let (x, y) = (w[t - 15], w[t - 2]);
                let s0 = rotr(x, r[6]) ^ rotr(x, r[7]) ^ (x >> r[8]);
                let s1 = rotr(y, r[9]) ^ rotr(y, r[10]) ^ (y >> r[11]);
                add(add(w[t - 16], s0), add(w[t - 7], s1))
            };
        }
        let mut v = h;
        for t in 0..rounds {
            let [a, b, c, d, e, f, g, hh] = v;
            let s1 = rotr(e, r[3]) ^ rotr(e, r[4]) ^ rotr(e, r[5]);
            let ch = (e & f) ^ (!e & g & mask);
            let t1 = add(add(hh, s1), add(ch, add(K512[t] >> (64 - bits), w[t])));
            let s0 = rotr(a, r[0]) ^ rotr(a, r[1]) ^ rotr(a, r[2]);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            v = [add(t1, add(s0, maj)), a, b, c, add(d, t1), e, f, g];
        }
        for (x, y) in h.iter_mut().zip(v) {
            *x = add(*x, y);
        }
    }
    let mut out = Vec::with_capacity(64);
    for x in h {
        out.extend_from_slice(&x.to_be_bytes()[8 - word..]);
    }
    out.truncate(len);
    out
}

// FIPS 180-4 4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80
// primes (SHA-256 uses the first 32 bits of the first 64, 4.2.2).
const K512: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

// 5.3.4 and 5.3.5: the first 64 bits of the fractional parts of the square roots of the 9th to
// 16th primes (SHA-384), and of the first 8 (SHA-512; their first 32 bits are SHA-256's, 5.3.3).
const IV384: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];
const IV512: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];
