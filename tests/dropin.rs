//! What apps written for auth0-spa-js rely on, in the core: a call's own `timeoutInSeconds`,
//! `detailedResponse`'s `expires_in`, and `logoutParams.federated`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use spa_login::core::client::{CacheMode, Client};
use spa_login::core::config::{self, DEFAULT_AUTHORIZE_TIMEOUT_SECS};
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::{Failure, FailureKind, WindowKind};
use std::cell::RefCell;
use std::rc::Rc;
use support::*;

fn logged_in() -> (Client<FakePorts>, Response) {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let r = Response::valid(&state, &nonce);
    block_on(client.handle_callback(&r.url())).expect("login");
    (client, r)
}

/// Windows time out at once; returns the (kind, timeout_ms) each was given.
fn record_window_timeouts(client: &Client<FakePorts>) -> Rc<RefCell<Vec<(WindowKind, f64)>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    client.ports.answer_windows(move |_, kind, req| {
        log.borrow_mut().push((kind, req.timeout_ms));
        Err(Failure::new(FailureKind::Timeout, ""))
    });
    seen
}

#[test]
fn a_calls_timeout_in_seconds_bounds_its_silent_frame_and_popup() {
    let client = client();
    let seen = record_window_timeouts(&client);
    let e = block_on(client.get_access_token(None, CacheMode::On, Some(5))).unwrap_err();
    assert_eq!(e.code(), "timeout");
    let e = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap_err();
    assert_eq!(e.code(), "timeout");
    let e = block_on(client.login_with_popup(&j(json!({})), Some(120))).unwrap_err();
    assert_eq!(e.code(), "timeout");
    let default_ms = DEFAULT_AUTHORIZE_TIMEOUT_SECS as f64 * 1000.0;
    assert_eq!(
        *seen.borrow(),
        vec![
            (WindowKind::Frame, 5000.0),
            (WindowKind::Frame, default_ms),
            (WindowKind::Popup, 120_000.0),
        ]
    );
}

#[test]
fn a_calls_timeout_in_seconds_is_checked_like_the_options() {
    assert_eq!(
        config::seconds(Some(&j(json!(2.5))), "timeoutInSeconds", false).unwrap(),
        Some(3)
    );
    assert_eq!(
        config::seconds(Some(&j(json!(null))), "timeoutInSeconds", false).unwrap(),
        None
    );
    for bad in [json!(0), json!(-1), json!("5"), json!(1e9), json!({})] {
        let e = config::seconds(Some(&j(bad.clone())), "timeoutInSeconds", false).unwrap_err();
        assert_eq!(e.code(), "invalid_configuration", "{bad}");
        assert!(
            e.description.contains("timeoutInSeconds"),
            "{}",
            e.description
        );
    }
}

#[test]
fn detailed_response_expires_in_is_the_whole_seconds_the_token_has_left() {
    let (client, _) = logged_in();
    let token = cached(&client, None).expect("a token is cached");
    assert_eq!(client.access_token_expires_in(&token), Some(3600));
    client
        .ports
        .now_ms
        .set(client.ports.now_ms.get() + 600_500.0);
    assert_eq!(client.access_token_expires_in(&token), Some(2999));
    // Within leeway of its expiry, no longer served from the cache, but still the session's:
    // the call that renewed it may return it, and says how long it has.
    client
        .ports
        .now_ms
        .set(client.ports.now_ms.get() + 2_950_000.0);
    assert_eq!(cached(&client, None), None);
    assert_eq!(client.access_token_expires_in(&token), Some(49));
    client
        .ports
        .now_ms
        .set(client.ports.now_ms.get() + 7_200_000.0);
    assert_eq!(
        client.access_token_expires_in(&token),
        Some(0),
        "never negative"
    );
    assert_eq!(client.access_token_expires_in("another-token"), None);
}

/// A `domain` client of an Auth0-shaped provider; `end_session`: whether discovery lists an
/// end_session_endpoint.
fn auth0_client(end_session: bool) -> Client<FakePorts> {
    let ports = FakePorts::new();
    let issuer = "https://tenant.example.com/";
    let mut doc = discovery(issuer);
    if end_session {
        doc["end_session_endpoint"] = json!("https://tenant.example.com/oidc/logout");
    } else {
        doc.as_object_mut().unwrap().remove("end_session_endpoint");
    }
    ports.serve(
        "https://tenant.example.com/.well-known/openid-configuration",
        &doc.to_string(),
    );
    client_with(
        json!({ "domain": "tenant.example.com", "clientId": CLIENT_ID }),
        ports,
    )
}

#[test]
fn federated_logout_of_a_domain_client_adds_federated_to_auth0s_logout() {
    for (end_session, path) in [(false, "/v2/logout?"), (true, "/oidc/logout?")] {
        let client = auth0_client(end_session);
        let params = json!({ "returnTo": "https://app.example/", "federated": true });
        let url = logout_url(&client, Some(params), true).unwrap().unwrap();
        assert!(
            url.starts_with(&format!("https://tenant.example.com{path}")),
            "{url}"
        );
        assert_eq!(param(&url, "federated").as_deref(), Some(""), "{url}");
        assert!(!url.contains("federated=true"), "{url}");
        let url = logout_url(&client, Some(json!({ "federated": false })), true)
            .unwrap()
            .unwrap();
        assert_eq!(param(&url, "federated"), None, "{url}");
    }
}

#[test]
fn federated_logout_of_an_issuer_client_is_refused_before_anything_is_forgotten() {
    let (client, _) = logged_in();
    let e = logout_url(&client, Some(json!({ "federated": true })), true).unwrap_err();
    assert_eq!(e.code(), "invalid_configuration");
    assert!(e.description.contains("federated"), "{}", e.description);
    assert!(
        client.is_authenticated(),
        "a refused logout changes nothing"
    );
    let e = logout_url(&client, Some(json!({ "federated": "yes" })), true).unwrap_err();
    assert!(e.description.contains("true or false"), "{}", e.description);
    assert!(client.is_authenticated());
}

#[test]
fn an_organizations_login_takes_an_id_token_of_that_organization_only() {
    // Auth0 Organizations, as auth0-spa-js checks them: an id (`org_…`) is the token's org_id,
    // a name its org_name (Auth0 writes it in lower case); a request that names none checks
    // nothing.
    type Case = (
        Option<&'static str>,
        Option<(&'static str, &'static str)>,
        bool,
    );
    let cases: [Case; 8] = [
        (Some("org_abc"), Some(("org_id", "org_abc")), true),
        (Some("org_abc"), Some(("org_id", "org_other")), false),
        (Some("org_abc"), None, false),
        (Some("org_abc"), Some(("org_name", "org_abc")), false),
        (Some("Acme"), Some(("org_name", "acme")), true),
        (Some("acme"), Some(("org_name", "other")), false),
        (Some("acme"), Some(("org_id", "acme")), false),
        (None, Some(("org_id", "org_abc")), true),
    ];
    for (i, (organization, claim, accepted)) in cases.into_iter().enumerate() {
        let client = client();
        let params = organization.map(|o| json!({ "organization": o }));
        let (state, nonce) = start_login(&client, None, params);
        let mut c = claims(&nonce);
        c.insert(
            "at_hash".into(),
            json!(at_hash(HashAlg::Sha256, "at-0123456789")),
        );
        if let Some((name, value)) = claim {
            c.insert(name.into(), json!(value));
        }
        let token = sign("rsa1", JwsAlg::RS256, Some("k1"), &Value::Object(c));
        let result =
            block_on(client.handle_callback(&Response::with_id_token(&state, token).url()));
        match accepted {
            true => assert!(result.is_ok(), "case {i}: {result:?}"),
            false => {
                let e = result.unwrap_err();
                assert_eq!(e.code(), "invalid_id_token", "case {i}");
                assert!(e.to_string().contains("organization"), "case {i}: {e}");
                assert!(!client.is_authenticated(), "case {i}");
            }
        }
    }
}
