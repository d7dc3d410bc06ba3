//! The issuer's JSON Web Key Set (RFC 7517) and choosing the key for an ID token.
//!
//! Keys come only from the issuer's `jwks_uri`: `jwk`, `jku`, `x5u` and `x5c` in a token header
//! are never looked at (RFC 8725 3.10).

use super::base64url;
use super::json::Json;
use super::jws::{JwsAlg, KeyType};

/// The smallest RSA modulus we accept (RFC 7518 3.3 asks for 2048 bits or more).
const MIN_RSA_BITS: usize = 2048;

/// One public key of the set, as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Jwk {
    pub kid: Option<String>,
    members: Json,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Whether a token with this `kid` names a key of the set (one without a `kid` names none
    /// in particular, so any set will do).
    pub fn names(&self, kid: Option<&str>) -> bool {
        kid.is_none() || self.keys.iter().any(|key| key.kid.as_deref() == kid)
    }
}

/// Parses a JWK Set. Members that are not objects are skipped, so one odd key (a type we do
/// not know, say) does not break login with the others. `None` when the document is no set.
pub fn parse(text: &str) -> Option<Jwks> {
    let doc = Json::parse(text.as_bytes())?;
    let keys = doc.get("keys")?.as_array()?;
    let mut set = Jwks::default();
    for members in keys {
        if members.as_object().is_some() {
            set.keys.push(Jwk {
                kid: members.str_member("kid").map(str::to_owned),
                members: members.clone(),
            });
        }
    }
    Some(set)
}

impl Jwk {
    fn text(&self, name: &str) -> Option<&str> {
        self.members.str_member(name)
    }

    /// Whether this key may verify a signature made with `alg`: right type and curve, not
    /// marked for encryption, `key_ops` allowing verify, its own `alg` (if any) the same, and an
    /// RSA modulus of at least 2048 bits. A `use` or `alg` that is not a string (malformed)
    /// rules the key out, as another value would.
    pub fn usable_for(&self, alg: JwsAlg) -> bool {
        if self
            .members
            .get("use")
            .is_some_and(|u| u.as_str() != Some("sig"))
        {
            return false;
        }
        if let Some(ops) = self.members.get("key_ops") {
            let verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|o| o.as_str() == Some("verify")));
            if !verify {
                return false;
            }
        }
        if let Some(key_alg) = self.members.get("alg") {
            let key_alg = key_alg.as_str().unwrap_or_default();
            let same = key_alg == alg.name()
                || (matches!(alg, JwsAlg::EdDSA | JwsAlg::Ed25519)
                    && matches!(key_alg, "EdDSA" | "Ed25519"));
            if !same {
                return false;
            }
        }
        match alg.key_type() {
            KeyType::Rsa => {
                self.text("kty") == Some("RSA")
                    && self.rsa_bits().is_some_and(|b| b >= MIN_RSA_BITS)
                    && self.text("e").is_some()
            }
            KeyType::Ec(crv) => {
                self.text("kty") == Some("EC")
                    && self.text("crv") == Some(crv)
                    && self.text("x").is_some()
                    && self.text("y").is_some()
            }
            KeyType::Okp(crv) => {
                self.text("kty") == Some("OKP")
                    && self.text("crv") == Some(crv)
                    && self.text("x").is_some()
            }
        }
    }

    fn rsa_bits(&self) -> Option<usize> {
        let n = base64url::decode(self.text("n")?)?;
        let first = n.iter().position(|b| *b != 0)?;
        Some((n.len() - first) * 8 - n[first].leading_zeros() as usize)
    }

    /// The public members only, as WebCrypto's `importKey('jwk', ...)` wants them: extra
    /// members such as `use` or `alg` of another spelling would make the import fail.
    pub fn public_jwk(&self) -> Json {
        let names: &[&str] = match self.text("kty") {
            Some("RSA") => &["kty", "n", "e"],
            Some("EC") => &["kty", "crv", "x", "y"],
            _ => &["kty", "crv", "x"],
        };
        let mut members = Vec::with_capacity(names.len());
        for name in names {
            let value = self.members.get(name).cloned().unwrap_or(Json::Null);
            members.push((name.to_string(), value));
        }
        Json::Obj(members)
    }
}

#[derive(Debug, PartialEq)]
pub enum Selection<'a> {
    /// The keys to try, in order (empty: none usable).
    Candidates(Vec<&'a Jwk>),
    /// The token names a `kid` the set does not have: the set may have rotated.
    UnknownKid,
}

/// Chooses the keys that may have signed a token with `alg` and `kid` (Core 10.1: with a `kid`,
/// that key; without one, the usable keys, tried each in turn).
pub fn select<'a>(jwks: &'a Jwks, alg: JwsAlg, kid: Option<&str>) -> Selection<'a> {
    if !jwks.names(kid) {
        return Selection::UnknownKid;
    }
    let mut candidates = Vec::new();
    for key in &jwks.keys {
        if (kid.is_none() || key.kid.as_deref() == kid) && key.usable_for(alg) {
            candidates.push(key);
        }
    }
    Selection::Candidates(candidates)
}
