//! Known answers: the example ID tokens of OpenID Connect Core 1.0 Appendix A.2 and A.3 verify
//! with the RSA key of Appendix A.7 at their own time, and A.3's at_hash matches its access
//! token; SHA-384 and SHA-512 at_hash values were computed independently (Python hashlib).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use spa_login::core::client::Checks;
use spa_login::core::id_token::check_at_hash;
use spa_login::core::jws::HashAlg;
use support::*;

fn vectors() -> Value {
    serde_json::from_str(&fixture("oidc-core-appendix-a.json")).unwrap()
}

fn spec_client(v: &Value) -> spa_login::core::client::Client<FakePorts> {
    let issuer = v["issuer"].as_str().unwrap();
    let ports = FakePorts::new();
    ports.now_ms.set(v["now_ms"].as_f64().unwrap());
    ports.serve(
        &format!("{issuer}/.well-known/openid-configuration"),
        &json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "jwks_uri": format!("{issuer}/jwks"),
            "id_token_signing_alg_values_supported": ["RS256"],
        })
        .to_string(),
    );
    ports.serve(
        &format!("{issuer}/jwks"),
        &json!({ "keys": [v["key"]] }).to_string(),
    );
    client_with(
        json!({ "issuer": issuer, "clientId": v["client_id"] }),
        ports,
    )
}

fn nonce(v: &Value) -> &str {
    v["nonce"].as_str().unwrap()
}

#[test]
fn oidc_core_a2_id_token_verifies_with_the_a7_key() {
    let v = vectors();
    let client = spec_client(&v);
    let claims = block_on(client.verify_id_token_with(
        v["a2_id_token"].as_str().unwrap(),
        &Checks::implicit(nonce(&v), None, None),
    ))
    .unwrap()
    .claims;
    assert_eq!(claims.str_member("sub"), Some("248289761001"));
    assert_eq!(claims.str_member("name"), Some("Jane Doe"));
}

#[test]
fn oidc_core_a3_id_token_verifies_and_its_at_hash_matches_the_access_token() {
    let v = vectors();
    let client = spec_client(&v);
    let token = v["a3_id_token"].as_str().unwrap();
    let at = v["a3_access_token"].as_str().unwrap();
    let claims =
        block_on(client.verify_id_token_with(token, &Checks::implicit(nonce(&v), None, Some(at))))
            .unwrap()
            .claims;
    assert_eq!(claims.str_member("at_hash"), v["a3_at_hash"].as_str());
    // Another access token does not match A.3's at_hash.
    let e = block_on(
        client.verify_id_token_with(token, &Checks::implicit(nonce(&v), None, Some("other"))),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_id_token");
}

#[test]
fn oidc_core_examples_are_rejected_outside_their_time_or_for_another_nonce() {
    let v = vectors();
    let client = spec_client(&v);
    let token = v["a2_id_token"].as_str().unwrap();
    client
        .ports
        .now_ms
        .set(v["now_ms"].as_f64().unwrap() + 3600.0 * 1000.0);
    assert!(
        block_on(client.verify_id_token_with(token, &Checks::implicit(nonce(&v), None, None)))
            .unwrap_err()
            .description
            .contains("exp")
    );
    client.ports.now_ms.set(v["now_ms"].as_f64().unwrap());
    assert!(
        block_on(client.verify_id_token_with(token, &Checks::implicit("another", None, None)))
            .unwrap_err()
            .description
            .contains("nonce")
    );
}

#[test]
fn at_hash_sha384_and_sha512_vectors_computed_independently() {
    let at = vectors()["a3_access_token"].as_str().unwrap().to_string();
    for (alg, expected) in [
        (HashAlg::Sha256, "77QmUPtjPfzWtF2AnpK9RQ"),
        (HashAlg::Sha384, "jtAeDp945y1dDqU3nkIVGNZP1HjH_MFs"),
        (
            HashAlg::Sha512,
            "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM",
        ),
    ] {
        let digest = hash(alg, at.as_bytes());
        let claims = j(json!({ "at_hash": expected }));
        check_at_hash(&claims, alg, &digest).unwrap();
        let wrong = j(json!({ "at_hash": &expected[1..] }));
        assert!(check_at_hash(&wrong, alg, &digest).is_err());
    }
}
