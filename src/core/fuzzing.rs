//! The bodies of the fuzz targets (`fuzz/`), kept here so that the native tests can replay the
//! saved inputs (`fuzz/regressions/`) with the stable toolchain.

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

/// An ID token: decoding either fails with an error or gives a header, claims and a signing
/// input that is a prefix of the token.
pub fn jws(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(decoded) = jws::decode(text) {
        assert!(text.starts_with(decoded.signing_input));
        let _ = super::id_token::user_claims(&decoded.claims);
    }
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
