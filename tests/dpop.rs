//! DPoP (RFC 9449) through the core with fake ports: every token request carries a proof that
//! verifies with the key in its header, the provider's and the API's nonces are honoured, a
//! Bearer answer to a DPoP request is refused with nothing stored, and logout forgets the key.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::Digest;
use spa_login::core::base64url;
use spa_login::core::client::{CacheMode, Client};
use spa_login::core::ports::KeyValueStore;
use support::code::*;
use support::*;

fn dpop_client() -> (Client<FakePorts>, Provider) {
    let client = code_client(
        json!({ "useDpop": true, "useRefreshTokens": true }),
        json!({}),
    );
    let provider = Provider::install(&client);
    *provider.token_type.borrow_mut() = "DPoP";
    (client, provider)
}

fn header(proof: &str) -> Value {
    serde_json::from_slice(&base64url::decode(proof.split('.').next().unwrap()).unwrap()).unwrap()
}

/// Checks a proof as a server would: the signature with the key in its own header, `typ`,
/// `alg`, a public key only; gives its claims.
fn verified(proof: &str) -> Value {
    let h = header(proof);
    assert_eq!(h["typ"], "dpop+jwt");
    assert_eq!(h["alg"], "ES256");
    let jwk = h["jwk"].as_object().unwrap();
    let mut names: Vec<&str> = jwk.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        ["crv", "kty", "x", "y"],
        "the public key and nothing else"
    );
    let key = DecodingKey::from_jwk(&serde_json::from_value(h["jwk"].clone()).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .expect("the proof verifies with its own key")
        .claims
}

/// The session as stored (the memory cache's entry).
fn stored_session(client: &Client<FakePorts>) -> Option<String> {
    client
        .ports
        .tokens
        .inner
        .get(&client.session_key())
        .unwrap()
}

fn proofs(client: &Client<FakePorts>) -> Vec<String> {
    client.ports.post_proofs.borrow().clone()
}

#[test]
fn every_token_request_carries_a_fresh_proof_for_the_token_endpoint() {
    let (client, provider) = dpop_client();
    let at = log_in(&client, &provider);
    assert_eq!(at, "at-1");
    client.ports.now_ms.set(NOW_MS + 700_000.0);
    let renewed = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap();
    assert_eq!(renewed.as_deref(), Some("at-2"));
    let sent = proofs(&client);
    assert_eq!(sent.len(), 2, "the code exchange and the refresh");
    let claims: Vec<Value> = sent.iter().map(|p| verified(p)).collect();
    for (c, now) in claims.iter().zip([NOW_MS, NOW_MS + 700_000.0]) {
        assert_eq!(c["htm"], "POST");
        assert_eq!(c["htu"], TOKEN_ENDPOINT);
        assert_eq!(c["iat"], json!((now / 1000.0) as u64), "the client's clock");
        assert!(c["jti"].as_str().unwrap().len() >= 22);
        assert!(c.get("ath").is_none() && c.get("nonce").is_none());
    }
    assert_ne!(claims[0]["jti"], claims[1]["jti"]);
    assert_eq!(
        header(&sent[0])["jwk"],
        header(&sent[1])["jwk"],
        "one key per client"
    );
    assert_eq!(header(&sent[0])["jwk"], public_jwk("ec256", None));
}

#[test]
fn a_bearer_token_in_answer_to_a_dpop_request_is_refused_and_nothing_is_stored() {
    let (client, provider) = dpop_client();
    log_in(&client, &provider);
    let id_token = client.id_token_claims().unwrap().raw;
    *provider.token_type.borrow_mut() = "Bearer";
    client.ports.now_ms.set(NOW_MS + 700_000.0);
    let e = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap_err();
    assert_eq!(e.code(), "invalid_response");
    assert!(e.description.contains("DPoP"), "{}", e.description);
    // Nothing of the answer is kept; the refresh token it spent is dropped (see code_flow.rs).
    let stored = stored_session(&client).unwrap();
    assert!(stored.contains(&id_token), "{stored}");
    assert!(
        !stored.contains("at-2") && !stored.contains("rt-2") && !stored.contains("rt-1"),
        "{stored}"
    );

    // A fresh login is refused the same way, with no session stored.
    let (client, provider) = dpop_client();
    *provider.token_type.borrow_mut() = "Bearer";
    let url = block_on(client.login_url(None, None)).unwrap();
    *provider.nonce.borrow_mut() = param(&url, "nonce").unwrap();
    let state = param(&url, "state").unwrap();
    let e = block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=c&state={state}")))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_response");
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
}

#[test]
fn the_providers_nonce_is_sent_once_more_and_kept_for_the_next_request() {
    let (client, provider) = dpop_client();
    *provider.dpop_nonce.borrow_mut() = Some("n-1".into());
    log_in(&client, &provider);
    let sent = proofs(&client);
    assert_eq!(sent.len(), 2, "once without, once with the nonce");
    assert_eq!(verified(&sent[0]).get("nonce"), None);
    assert_eq!(verified(&sent[1])["nonce"], "n-1");
    assert_ne!(verified(&sent[0])["jti"], verified(&sent[1])["jti"]);

    // The next request carries the kept nonce at once.
    client.ports.now_ms.set(NOW_MS + 700_000.0);
    block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap();
    assert_eq!(proofs(&client).len(), 3);
    assert_eq!(verified(&proofs(&client)[2])["nonce"], "n-1");

    // A provider that asks again after the retry gets its error back, not a loop.
    *provider.dpop_nonce.borrow_mut() = Some("n-2".into());
    client.ports.answer_posts(|_, _, _| {
        Ok(spa_login::core::token::HttpResponse {
            status: 400,
            body: json!({ "error": "use_dpop_nonce", "error_description": "again" }).to_string(),
            dpop_nonce: Some("n-3".into()),
        })
    });
    client.ports.now_ms.set(NOW_MS + 1_400_000.0);
    let e = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap_err();
    assert_eq!(e.code(), "use_dpop_nonce");
    assert_eq!(proofs(&client).len(), 5, "one retry only");
    assert_eq!(verified(&proofs(&client)[4])["nonce"], "n-3");
}

#[test]
fn generated_proofs_name_the_request_and_hash_the_access_token() {
    let (client, provider) = dpop_client();
    let at = log_in(&client, &provider);
    let proof = |options: Value| {
        block_on(client.generate_dpop_proof(&Json::parse(options.to_string().as_bytes()).unwrap()))
    };
    let p = proof(json!({ "url": "https://api.example/orders/7?x=1#top", "method": "PATCH", "accessToken": at })).unwrap();
    let c = verified(&p);
    assert_eq!(c["htu"], "https://api.example/orders/7");
    assert_eq!(c["htm"], "PATCH");
    assert_eq!(
        c["ath"],
        base64url::encode(&sha2::Sha256::digest(at.as_bytes()))
    );
    assert_eq!(c.get("nonce"), None);

    // An API's nonce, given by the app or kept from the API's answer (per origin).
    let p = proof(json!({ "url": "https://api.example/a", "method": "GET", "nonce": "given" }))
        .unwrap();
    assert_eq!(verified(&p)["nonce"], "given");
    assert!(client.dpop_answer(
        "https://api.example/a",
        401,
        r#"DPoP error="use_dpop_nonce", algs="ES256""#,
        Some("from-api")
    ));
    let p = proof(json!({ "url": "https://api.example/b", "method": "GET" })).unwrap();
    assert_eq!(verified(&p)["nonce"], "from-api");
    let p = proof(json!({ "url": "https://other.example/b", "method": "GET" })).unwrap();
    assert_eq!(
        verified(&p).get("nonce"),
        None,
        "another server's nonce is its own"
    );
    assert!(!client.dpop_answer(
        "https://api.example/a",
        401,
        r#"Bearer error="invalid_token""#,
        Some("n2")
    ));
    assert!(!client.dpop_answer("https://api.example/a", 200, "", Some("n3")));
    let p = proof(json!({ "url": "https://api.example/b", "method": "GET" })).unwrap();
    assert_eq!(verified(&p)["nonce"], "n3", "the latest nonce is kept");

    for bad in [
        json!({ "method": "GET" }),
        json!({ "url": "/relative", "method": "GET" }),
        json!({ "url": "ftp://api.example/", "method": "GET" }),
        json!({ "url": "https://api.example/", "method": "" }),
        json!({ "url": "https://api.example/", "method": "G ET" }),
        json!({ "url": "https://api.example/", "method": "GET", "nonce": "a\"b" }),
        json!({ "url": "https://api.example/", "method": "GET", "accessToken": 5 }),
        json!({ "url": 7, "method": "GET" }),
    ] {
        assert_eq!(
            proof(bad.clone()).unwrap_err().code(),
            "invalid_configuration",
            "{bad}"
        );
    }
    let plain = code_client(json!({}), json!({}));
    let e = block_on(plain.generate_dpop_proof(
        &Json::parse(br#"{"url":"https://api.example/","method":"GET"}"#).unwrap(),
    ))
    .unwrap_err();
    assert_eq!(e.code(), "invalid_configuration");
}

#[test]
fn logout_revokes_with_a_proof_then_forgets_the_key_before_leaving() {
    let (client, provider) = dpop_client();
    log_in(&client, &provider);
    let first_key = header(&proofs(&client)[0])["jwk"].clone();
    block_on(client.logout(None, true)).unwrap();
    let events = client.ports.events.borrow().clone();
    let revoke = events
        .iter()
        .position(|e| e == &format!("post {REVOCATION_ENDPOINT}"))
        .unwrap();
    let forget = events
        .iter()
        .position(|e| e.starts_with("dpop forget "))
        .unwrap();
    let open = events.iter().position(|e| e.starts_with("open ")).unwrap();
    assert!(revoke < forget && forget < open, "{events:?}");
    let revocation_proof = proofs(&client).last().cloned().unwrap();
    assert_eq!(verified(&revocation_proof)["htu"], REVOCATION_ENDPOINT);

    // The next login binds a new key.
    log_in(&client, &provider);
    let new_key = header(proofs(&client).last().unwrap())["jwk"].clone();
    assert_ne!(new_key, first_key);
    assert_eq!(new_key, public_jwk("ec256b", None));
}

#[test]
fn a_login_that_completes_during_a_logout_keeps_the_key_its_tokens_are_bound_to() {
    let (client, provider) = dpop_client();
    log_in(&client, &provider);
    // The logout waits for its revocation request...
    client.ports.fetch_gate.set(false);
    let mut logout = Box::pin(client.logout(None, false));
    assert!(poll_once(logout.as_mut()).is_none());
    client.ports.fetch_gate.set(true);
    // ...while a login completes (a popup's, say), with tokens bound to the key held.
    log_in(&client, &provider);
    let login_key = header(proofs(&client).last().unwrap())["jwk"].clone();
    block_on(logout).unwrap();
    assert!(client.is_authenticated());
    // Its refresh signs with that key: the provider would refuse another.
    client.ports.now_ms.set(NOW_MS + 700_000.0);
    block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    let refresh = proofs(&client).last().cloned().unwrap();
    assert_eq!(verified(&refresh)["htu"], TOKEN_ENDPOINT);
    assert_eq!(header(&refresh)["jwk"], login_key);
}

#[test]
fn without_indexed_db_dpop_fails_clearly_and_an_earlier_session_stays() {
    let (client, provider) = dpop_client();
    log_in(&client, &provider);
    let before = stored_session(&client);
    client.ports.no_indexed_db.set(true);
    client.ports.now_ms.set(NOW_MS + 700_000.0);
    let posted = client.ports.posted.borrow().len();
    let e = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap_err();
    assert_eq!(e.code(), "storage_unavailable");
    assert!(e.description.contains("IndexedDB"), "{}", e.description);
    assert_eq!(
        client.ports.posted.borrow().len(),
        posted,
        "no request without a proof"
    );
    assert_eq!(stored_session(&client), before);
}

/// `useDpop` with an implicit response_type is refused by createClient (tests/code_flow.rs);
/// so is an implicit response_type asked for by one call.
#[test]
fn dpop_needs_a_code_flow_for_every_request() {
    let (client, _) = dpop_client();
    let implicit = Json::parse(br#"{"response_type":"id_token token"}"#).unwrap();
    let e = block_on(client.login_url(None, Some(&implicit))).unwrap_err();
    assert_eq!(e.code(), "invalid_configuration");
    assert!(e.description.contains("useDpop"));
}
