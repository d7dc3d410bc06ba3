//! The bodies of the fuzz targets (`fuzz/`), kept here so that the native tests can replay the
//! saved inputs (`fuzz/regressions/`) with the stable toolchain.

use super::base64url;
use super::json::Json;
use super::jwks::{self, Selection};
use super::jws::{self, JwsAlg};
use super::response;

const ALGS: [JwsAlg; 11] = [
    JwsAlg::RS256,
    JwsAlg::RS384,
    JwsAlg::RS512,
    JwsAlg::PS256,
    JwsAlg::PS384,
    JwsAlg::PS512,
    JwsAlg::ES256,
    JwsAlg::ES384,
    JwsAlg::ES512,
    JwsAlg::EdDSA,
    JwsAlg::Ed25519,
];

/// A callback URL: parsing, the presence check and clean-up must not panic, and a cleaned URL
/// carries no response any more.
pub fn fragment(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = response::parse_params(text);
    let url = format!("https://app.example/cb?{text}#{text}");
    if let Ok(params) = response::params_from_url(&url) {
        let _ = response::provider_error(&params);
        let _ = response::check_tokens(&params, super::config::ResponseType::IdTokenToken);
    }
    let _ = response::lone_state(&url);
    let cleaned = response::clean_url(&url);
    assert!(!cleaned.contains('#'), "a cleaned URL keeps no fragment");
}

/// An ID token. Decoding either fails with an error, or gives parts that say exactly what the
/// text says: the signing input is the text before the last `.` (the two segments the signature
/// covers, no more, no less), the signature is the third segment in canonical base64url, the
/// header names the decoded `alg` and `kid`, and `getUser()`'s claims are the payload's minus the
/// protocol ones. (The fuzz target also holds the decoded parts against base64 and serde_json.)
pub fn jws(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(decoded) = jws::decode(text) else {
        return;
    };
    let (input, signature) = text.rsplit_once('.').expect("three segments");
    assert_eq!(decoded.signing_input, input);
    assert_eq!(input.matches('.').count(), 1, "two segments signed");
    assert!(!decoded.signature.is_empty());
    assert_eq!(base64url::encode(&decoded.signature), signature);
    assert_eq!(decoded.header.str_member("alg"), Some(decoded.alg.name()));
    assert_eq!(
        decoded.header.get("kid").and_then(Json::as_str),
        decoded.kid.as_deref()
    );
    assert!(decoded.header.get("crit").is_none());
    // `getUser()`: every claim that is not about the token itself, unchanged, and nothing else.
    let claims = decoded
        .claims
        .as_object()
        .expect("the payload is an object");
    let user = super::id_token::user_claims(&decoded.claims);
    let expected: Vec<&(String, Json)> = claims
        .iter()
        .filter(|(name, _)| !super::id_token::PROTOCOL_CLAIMS.contains(&name.as_str()))
        .collect();
    assert!(user.as_object().unwrap().iter().eq(expected));
}

/// A JWK Set: parsing and key selection for every algorithm, with and without a kid.
pub fn jwks(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(set) = jwks::parse(text) else { return };
    for alg in ALGS {
        for kid in [None, Some("k1")] {
            if let Selection::Candidates(keys) = jwks::select(&set, alg, kid) {
                for key in keys {
                    assert!(key.usable_for(alg));
                    let _ = key.public_jwk().to_text();
                }
            }
        }
    }
}
