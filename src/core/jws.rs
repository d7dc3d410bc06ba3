//! JWS algorithms we verify (RFC 7518, RFC 8037, RFC 9864), and compact-JWS decoding.
//!
//! Only asymmetric algorithms exist here: a public client has no secret, so `HS*` can only be
//! an attack (the "HS256 with the RSA public key" trick), and `none` is never acceptable.

use super::base64url;
use super::error::{AuthError, Result};
use super::json::Json;
use super::text::msg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwsAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    /// `EdDSA` with an Ed25519 key (RFC 8037), and its fully specified name `Ed25519` (RFC 9864).
    EdDSA,
    Ed25519,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }
}

/// The key family an algorithm needs: `kty`, and `crv` where the type has curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    Ec(&'static str),
    Okp(&'static str),
}

impl JwsAlg {
    pub fn parse(name: &str) -> Option<JwsAlg> {
        use JwsAlg::*;
        Some(match name {
            "RS256" => RS256,
            "RS384" => RS384,
            "RS512" => RS512,
            "PS256" => PS256,
            "PS384" => PS384,
            "PS512" => PS512,
            "ES256" => ES256,
            "ES384" => ES384,
            "ES512" => ES512,
            "EdDSA" => EdDSA,
            "Ed25519" => Ed25519,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use JwsAlg::*;
        match self {
            RS256 => "RS256",
            RS384 => "RS384",
            RS512 => "RS512",
            PS256 => "PS256",
            PS384 => "PS384",
            PS512 => "PS512",
            ES256 => "ES256",
            ES384 => "ES384",
            ES512 => "ES512",
            EdDSA => "EdDSA",
            Ed25519 => "Ed25519",
        }
    }

    /// The hash of the signature, which is also the hash of `at_hash` (Core 3.2.2.9; for
    /// Ed25519 the OpenID Foundation registered SHA-512).
    pub fn hash(self) -> HashAlg {
        use JwsAlg::*;
        match self {
            RS256 | PS256 | ES256 => HashAlg::Sha256,
            RS384 | PS384 | ES384 => HashAlg::Sha384,
            RS512 | PS512 | ES512 | EdDSA | Ed25519 => HashAlg::Sha512,
        }
    }

    pub fn key_type(self) -> KeyType {
        use JwsAlg::*;
        match self {
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => KeyType::Rsa,
            ES256 => KeyType::Ec("P-256"),
            ES384 => KeyType::Ec("P-384"),
            ES512 => KeyType::Ec("P-521"),
            EdDSA | Ed25519 => KeyType::Okp("Ed25519"),
        }
    }
}

/// A compact JWS split and decoded, nothing verified yet.
#[derive(Debug)]
pub struct DecodedJws<'a> {
    pub alg: JwsAlg,
    pub kid: Option<String>,
    pub header: Json,
    pub claims: Json,
    /// `base64url(header) . base64url(payload)`: what the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS (RFC 7515 7.1) and checks its header (RFC 8725 3.1).
pub fn decode(token: &str) -> Result<DecodedJws<'_>> {
    let mut parts = [""; 3];
    let mut count = 0;
    for part in token.split('.') {
        if count < 3 {
            parts[count] = part;
        }
        count += 1;
    }
    if count == 5 {
        return Err(AuthError::id_token(
            "the ID token is encrypted (JWE), which is not supported",
        ));
    }
    if count != 3 {
        return Err(AuthError::id_token(
            "the ID token does not have exactly three segments",
        ));
    }
    let segment = |i: usize, what: &str| -> Result<Vec<u8>> {
        if parts[i].is_empty() {
            return Err(AuthError::id_token(msg(&[
                "the ID token's ",
                what,
                " is empty",
            ])));
        }
        base64url::decode(parts[i]).ok_or_else(|| {
            AuthError::id_token(msg(&["the ID token's ", what, " is not base64url"]))
        })
    };
    let object = |i: usize, what: &str| -> Result<Json> {
        Json::parse_object(&segment(i, what)?).ok_or_else(|| {
            AuthError::id_token(msg(&[
                "the ID token's ",
                what,
                " is not a JSON object without duplicate keys",
            ]))
        })
    };
    let header = object(0, "header")?;
    let claims = object(1, "payload")?;
    let signature = segment(2, "signature")?;

    let alg_name = header
        .str_member("alg")
        .ok_or_else(|| AuthError::id_token("the ID token's header has no alg"))?;
    let alg = JwsAlg::parse(alg_name).ok_or_else(|| {
        AuthError::id_token(msg(&[
            "the ID token's alg '",
            alg_name,
            "' is not an accepted signature algorithm",
        ]))
    })?;
    // We implement no JWS extension, so any critical one makes the token unusable (RFC 7515 4.1.11).
    if header.get("crit").is_some() {
        return Err(AuthError::id_token(
            "the ID token's header has crit parameters we do not understand",
        ));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Json::Str(s)) => Some(s.clone()),
        Some(_) => return Err(AuthError::id_token("the ID token's kid is not a string")),
    };
    let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
    Ok(DecodedJws {
        alg,
        kid,
        header,
        claims,
        signing_input,
        signature,
    })
}
