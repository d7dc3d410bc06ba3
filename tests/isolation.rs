//! Session isolation and the hardening rules: a logout cancels what is in flight, another
//! user's login replaces the session whole, a client id registered at two issuers never mixes,
//! abandoned transactions go at once, the address bar is cleaned before anything is awaited,
//! every fetch has a timeout, provider documents are cached by their URL, origins compare as
//! browsers report them, and one rule for expiry.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use spa_login::core::client::{CacheMode, Client};
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::{
    Failure, FailureKind, KeyValueStore, WindowAnswer, WindowKind, WindowRequest,
};
use std::pin::pin;
use support::*;

const API: &str = "https://api.example";

fn tx_count(client: &Client<FakePorts>) -> usize {
    client
        .ports
        .transactions
        .inner
        .keys()
        .unwrap()
        .iter()
        .filter(|k| k.starts_with("spa-login.tx."))
        .count()
}

/// An `id_token token` response for `sub`, with `access_token`, for the login of `state`.
fn response_for(ports: &FakePorts, state: &str, sub: &str, access_token: &str) -> Response {
    let mut c = claims(&ports.nonce_of(state));
    c.insert("sub".into(), json!(sub));
    c.insert(
        "at_hash".into(),
        json!(at_hash(HashAlg::Sha256, access_token)),
    );
    let id_token = sign("rsa1", JwsAlg::RS256, Some("k1"), &Value::Object(c));
    let mut r = Response::with_id_token(state, id_token);
    r.access_token = access_token.into();
    r
}

/// Logs `sub` in by redirect with `access_token` for `params`.
fn log_in(client: &Client<FakePorts>, sub: &str, access_token: &str, params: Option<Value>) {
    let (state, _) = start_login(client, None, params);
    let r = response_for(&client.ports, &state, sub, access_token);
    block_on(client.handle_callback(&r.url())).expect("login");
}

/// Logs alice in by redirect with `at-alice-api`, a token for `API`.
fn alice_with_an_api_token(client: &Client<FakePorts>) {
    log_in(
        client,
        "alice",
        "at-alice-api",
        Some(json!({ "audience": API })),
    );
}

/// Frames and popups answer with a valid response of `sub` landing on the redirect URI.
fn windows_answer_as(client: &Client<FakePorts>, sub: &'static str, access_token: &'static str) {
    client.ports.answer_windows(move |ports, _, req| {
        Ok(WindowAnswer::Url(
            response_for(ports, req.state, sub, access_token).url(),
        ))
    });
}

/// A silent renewal is out in its frame when `log_out` runs; then the frame answers. What it
/// brings must be dropped with `code`, and the session stays logged out.
fn renewal_cut_by_a_logout(log_out: impl Fn(&Client<FakePorts>), code: &str) {
    let client = client();
    log_in(&client, "alice", "at-alice", None);
    windows_answer_as(&client, "alice", "at-renewed");
    client.ports.window_gate.set(false);
    let params = j(json!({ "audience": API }));
    let mut renewal = pin!(client.renew_silently(&params, None));
    assert!(poll_once(renewal.as_mut()).is_none(), "the frame is out");
    assert_eq!(tx_count(&client), 1);
    log_out(&client);
    client.ports.window_gate.set(true);
    let e = poll_once(renewal.as_mut()).expect("done").unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
    assert_eq!(
        client
            .cached_access_token(Some(&params), CacheMode::CacheOnly)
            .unwrap(),
        None
    );
}

#[test]
fn a_logout_cancels_a_silent_renewal_in_flight_and_nothing_it_brings_is_stored() {
    renewal_cut_by_a_logout(
        |client| {
            block_on(client.logout(None, false)).unwrap();
            assert_eq!(
                tx_count(client),
                0,
                "the logout takes the flow's transaction"
            );
        },
        "invalid_state",
    );
}

#[test]
fn a_logout_cancels_a_renewal_still_waiting_for_its_lock() {
    // getAccessToken was called before the logout and waits for the renewal lock (another
    // renewal holds it). Once it has the lock, it must not open a frame: the provider's
    // session may still be there (`openUrl: false`), and its tokens would log the user back in.
    let client = client();
    log_in(&client, "alice", "at-alice", None);
    windows_answer_as(&client, "alice", "at-renewed");
    let result = renewal_after_waiting_for_its_lock(&client, |client| {
        block_on(client.logout(None, false)).unwrap();
    });
    assert_dropped(&client, result);
    assert!(!client.ports.opened_a_window(), "no frame was opened");
}

/// getAccessToken for `API` waits for the renewal lock (another renewal holds it) while
/// `meanwhile` runs, then gets it. Its result.
fn renewal_after_waiting_for_its_lock(
    client: &Client<FakePorts>,
    meanwhile: impl FnOnce(&Client<FakePorts>),
) -> Result<Option<String>, spa_login::core::error::AuthError> {
    client.ports.lock_gate.set(false);
    let params = j(json!({ "audience": API }));
    let mut renewal = pin!(client.get_access_token(Some(&params), CacheMode::On, None));
    assert!(
        poll_once(renewal.as_mut()).is_none(),
        "waiting for the lock"
    );
    meanwhile(client);
    client.ports.lock_gate.set(true);
    poll_once(renewal.as_mut()).expect("done")
}

#[test]
fn a_logout_in_another_tab_cancels_this_tabs_renewal_too() {
    // Told over the channel (memory cache): this tab's transaction stays (it is in this tab's
    // sessionStorage), but what the flow brings is dropped.
    renewal_cut_by_a_logout(
        |client| client.sync_from_storage(true).unwrap(),
        "login_required",
    );
}

#[test]
fn a_callback_that_outlives_a_logout_stores_nothing_though_it_held_its_transaction() {
    // The logout comes while the ID token's keys are being fetched: the transaction was taken
    // already, so only the logout count stops the tokens.
    let fresh = client();
    // Discovery is done by the login request; the keys are fetched by the callback.
    let (state, _) = start_login(&fresh, None, None);
    let url_fresh = response_for(&fresh.ports, &state, "alice", "at-late").url();
    fresh.ports.fetch_gate.set(false);
    let mut callback = pin!(fresh.handle_callback(&url_fresh));
    assert!(
        poll_once(callback.as_mut()).is_none(),
        "waiting for the JWKS"
    );
    assert_eq!(tx_count(&fresh), 0, "the transaction is taken");
    block_on(fresh.logout(None, false)).unwrap();
    fresh.ports.fetch_gate.set(true);
    let e = poll_once(callback.as_mut()).expect("done").unwrap_err();
    assert_eq!(e.code(), "login_required", "{e}");
    assert!(!fresh.is_authenticated());
    assert_eq!(stored_session(&fresh), None);
}

#[test]
fn another_users_login_replaces_the_whole_session() {
    let client = client();
    alice_with_an_api_token(&client);
    let api = j(json!({ "audience": API }));
    assert_eq!(
        cached(&client, Some(json!({ "audience": API }))).as_deref(),
        Some("at-alice-api")
    );
    // Bob logs in (by redirect) for the default audience only.
    log_in(&client, "bob", "at-bob", None);
    assert_eq!(
        client.user().unwrap().get("sub").unwrap().as_str(),
        Some("bob")
    );
    assert_eq!(
        client
            .cached_access_token(Some(&api), CacheMode::CacheOnly)
            .unwrap(),
        None,
        "alice's token for the API is gone"
    );
    assert!(!stored_session(&client).unwrap().contains("at-alice-api"));
}

#[test]
fn another_user_by_silent_renewal_or_popup_replaces_the_whole_session_too() {
    for kind in [WindowKind::Frame, WindowKind::Popup] {
        let client = client();
        alice_with_an_api_token(&client);
        windows_answer_as(&client, "bob", "at-bob");
        match kind {
            WindowKind::Frame => {
                block_on(client.renew_silently(&j(json!({})), None)).unwrap();
            }
            WindowKind::Popup => {
                block_on(client.login_with_popup(&j(json!({})), None)).unwrap();
            }
        }
        let api = j(json!({ "audience": API }));
        assert_eq!(
            client
                .cached_access_token(Some(&api), CacheMode::CacheOnly)
                .unwrap(),
            None,
            "{kind:?}: alice's token is never returned to bob"
        );
        assert_eq!(
            client
                .cached_access_token(None, CacheMode::On)
                .unwrap()
                .as_deref(),
            Some("at-bob")
        );
    }
}

#[test]
fn the_same_user_keeps_the_tokens_of_other_apis() {
    let client = client();
    alice_with_an_api_token(&client);
    log_in(&client, "alice", "at-alice", None);
    assert_eq!(
        cached(&client, Some(json!({ "audience": API }))).as_deref(),
        Some("at-alice-api")
    );
}

const OTHER_ISSUER: &str = "https://other-op.example";

/// A client of `OTHER_ISSUER` with the same client id, sharing `with`'s storage (the same
/// page: one sessionStorage, one localStorage).
fn other_issuer_client(local: bool) -> (Client<FakePorts>, Client<FakePorts>) {
    let mut o = options();
    let mut o2 = json!({ "issuer": OTHER_ISSUER, "clientId": CLIENT_ID, "authorizationParams": { "redirect_uri": REDIRECT_URI } });
    if local {
        o["cacheLocation"] = json!("localstorage");
        o2["cacheLocation"] = json!("localstorage");
    }
    let a = client_with(o, FakePorts::new());
    let ports = FakePorts::new();
    let mut doc = discovery(OTHER_ISSUER);
    doc["authorization_endpoint"] = json!(format!("{OTHER_ISSUER}/authorize"));
    ports.serve(
        &format!("{OTHER_ISSUER}/.well-known/openid-configuration"),
        &doc.to_string(),
    );
    let b = client_with(o2, ports);
    (a, b)
}

fn copy_store(from: &FaultyStore, to: &FaultyStore) {
    for k in from.inner.keys().unwrap() {
        to.inner
            .set(&k, &from.inner.get(&k).unwrap().unwrap())
            .unwrap();
    }
}

#[test]
fn one_client_id_at_two_issuers_never_takes_the_others_transaction() {
    let (a, b) = other_issuer_client(false);
    let (state, nonce) = start_login(&a, Some("{\"to\":\"/a\"}"), None);
    copy_store(&a.ports.transactions, &b.ports.transactions);
    let url = Response::valid(&state, &nonce).url();
    let e = block_on(b.handle_callback(&url)).unwrap_err();
    assert_eq!(e.code(), "invalid_state");
    assert_eq!(
        e.app_state, None,
        "nothing of the other issuer's login is reported"
    );
    assert_eq!(
        tx_count(&b),
        1,
        "the other issuer's transaction is still there"
    );
    assert_eq!(b.foreign_state(&url).as_deref(), Some(state.as_str()));
    assert_eq!(a.foreign_state(&url), None, "a holds it");
    // b's logout and expiry sweep leave it alone too.
    block_on(b.logout(None, false)).unwrap();
    assert_eq!(tx_count(&b), 1);
    // And the login it belongs to still completes.
    assert!(block_on(a.handle_callback(&url)).is_ok());
}

#[test]
fn one_client_id_at_two_issuers_has_two_sessions() {
    let (a, b) = other_issuer_client(true);
    log_in(&a, "alice", "at-alice", None);
    copy_store(&a.ports.tokens, &b.ports.tokens);
    b.sync_from_storage(false).unwrap();
    assert!(!b.is_authenticated(), "a's session is not b's");
    assert_eq!(
        b.cached_access_token(None, CacheMode::CacheOnly).unwrap(),
        None
    );
    assert_ne!(a.session_key(), b.session_key());
}

#[test]
fn a_window_that_times_out_or_is_closed_leaves_no_transaction() {
    for (kind, failure, code) in [
        (WindowKind::Frame, FailureKind::Timeout, "timeout"),
        (WindowKind::Popup, FailureKind::Timeout, "timeout"),
        (
            WindowKind::Popup,
            FailureKind::PopupCancelled,
            "popup_cancelled",
        ),
        (
            WindowKind::Popup,
            FailureKind::PopupSevered,
            "popup_severed",
        ),
        (
            WindowKind::Frame,
            FailureKind::FrameBlocked,
            "frame_blocked",
        ),
        (WindowKind::Frame, FailureKind::Failed, "network_error"),
    ] {
        let client = client();
        client
            .ports
            .answer_windows(move |_, _, _| Err(Failure::new(failure, "the browser's words")));
        let e = match kind {
            WindowKind::Frame => block_on(client.renew_silently(&j(json!({})), None)).unwrap_err(),
            WindowKind::Popup => {
                block_on(client.login_with_popup(&j(json!({})), None)).unwrap_err()
            }
        };
        assert_eq!(e.code(), code);
        assert!(e.description.contains("the browser's words"), "{e}");
        assert_eq!(tx_count(&client), 0, "{kind:?} {failure:?}");
    }
}

#[test]
fn check_session_settles_on_logged_out_answers_and_reports_the_rest() {
    let client = client();
    client.ports.answer_windows(|_, _, req: &WindowRequest| {
        Ok(WindowAnswer::Url(format!(
            "{REDIRECT_URI}#error=login_required&state={}",
            req.state
        )))
    });
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    client
        .ports
        .answer_windows(|_, _, _| Err(Failure::new(FailureKind::Timeout, "")));
    assert_eq!(
        block_on(client.check_session(&j(json!({})), false))
            .unwrap_err()
            .code(),
        "timeout"
    );
}

#[test]
fn the_address_bar_is_cleaned_before_anything_is_awaited() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    client.ports.events.borrow_mut().clear();
    client
        .ports
        .hanging
        .borrow_mut()
        .push(format!("{ISSUER}/jwks"));
    let url = Response::valid(&state, &nonce).url();
    let e = block_on(client.handle_redirect(&url, true)).unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    let events = client.ports.events.borrow();
    assert_eq!(events[0], format!("replace {REDIRECT_URI}"), "{events:?}");
    assert!(events.iter().skip(1).all(|e| e.starts_with("fetch")));
    assert_eq!(stored_session(&client), None);
}

#[test]
fn a_url_not_from_the_address_bar_leaves_it_alone() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    client.ports.events.borrow_mut().clear();
    block_on(client.handle_redirect(&Response::valid(&state, &nonce).url(), false)).unwrap();
    assert!(!client
        .ports
        .events
        .borrow()
        .iter()
        .any(|e| e.starts_with("replace")));
}

#[test]
fn every_fetch_has_a_timeout_and_a_hanging_provider_is_a_timeout() {
    let client = client();
    start_login(&client, None, None);
    assert_eq!(*client.ports.fetch_timeouts.borrow(), vec![10_000.0]);

    let mut o = options();
    o["httpTimeoutInSeconds"] = json!(2);
    let ports = FakePorts::new();
    ports
        .hanging
        .borrow_mut()
        .push(format!("{ISSUER}/.well-known/openid-configuration"));
    let client = client_with(o, ports);
    let e = block_on(client.login_url(None, None)).unwrap_err();
    assert_eq!(e.code(), "timeout");
    assert!(e.description.contains("discovery"), "{e}");
    assert_eq!(*client.ports.fetch_timeouts.borrow(), vec![2_000.0]);
    assert_eq!(tx_count(&client), 0);
}

#[test]
fn discovery_and_keys_are_cached_by_their_url_and_metadata_options_stay_per_client() {
    use spa_login::core::client::ProviderCache;
    use spa_login::core::config::Config;
    let shared: &'static ProviderCache = Box::leak(Box::default());
    let make = |options: Value, ports: FakePorts| {
        let config = Config::from_options(&j(options), "https://app.example").unwrap();
        Client::new(config, ports, shared)
    };
    let mut o = options();
    o["metadata"] = json!({ "authorization_endpoint": "https://op.example/tenant-b/authorize" });
    let b = make(o, FakePorts::new());
    let a = make(options(), FakePorts::new());
    let url_b = block_on(b.login_url(None, None)).unwrap();
    let url_a = block_on(a.login_url(None, None)).unwrap();
    assert!(url_b.starts_with("https://op.example/tenant-b/authorize?"));
    assert!(
        url_a.starts_with("https://op.example/authorize?"),
        "b's override is b's only: {url_a}"
    );
    assert_eq!(
        a.ports
            .fetch_count(&format!("{ISSUER}/.well-known/openid-configuration")),
        0,
        "the document itself is shared"
    );

    // Two clients with different jwks_uri overrides each verify with their own set.
    let mut o = options();
    o["metadata"] = json!({ "jwks_uri": "https://op.example/keys-2" });
    let ports = FakePorts::new();
    ports.serve(
        "https://op.example/keys-2",
        &json!({ "keys": [public_jwk("rsa2", Some("k2"))] }).to_string(),
    );
    let c = make(o, ports);
    let (state, nonce) = start_login(&a, None, None);
    block_on(a.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let (state, nonce) = start_login(&c, None, None);
    let e = block_on(c.handle_callback(&Response::valid(&state, &nonce).url())).unwrap_err();
    assert_eq!(
        e.code(),
        "invalid_id_token",
        "c does not borrow a's key set: {e}"
    );
    // Its own set only: fetched, then once more for the kid it does not name.
    assert_eq!(c.ports.fetch_count("https://op.example/keys-2"), 2);
    assert_eq!(c.ports.fetch_count(&format!("{ISSUER}/jwks")), 0);
}

#[test]
fn web_message_origin_is_the_browsers_serialization() {
    let ports = FakePorts::new();
    let mut doc = discovery(ISSUER);
    doc["response_modes_supported"] = json!(["web_message"]);
    doc["authorization_endpoint"] = json!("HTTPS://Login.OP.example:443/authorize");
    ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &doc.to_string(),
    );
    let client = client_with(options(), ports);
    let seen = std::rc::Rc::new(std::cell::RefCell::new(None));
    let s = seen.clone();
    client.ports.answer_windows(move |_, _, req| {
        *s.borrow_mut() = req.response_origin.map(str::to_owned);
        Err(Failure::new(FailureKind::Timeout, ""))
    });
    let _ = block_on(client.renew_silently(&j(json!({})), None));
    assert_eq!(seen.borrow().as_deref(), Some("https://login.op.example"));
}

#[test]
fn web_message_numbers_are_read_and_other_kinds_are_invalid_response() {
    let client = client();
    client.ports.answer_windows(|ports, _, req| {
        let r = Response::valid(req.state, &ports.nonce_of(req.state));
        Ok(WindowAnswer::Message(j(json!({
            "state": req.state, "access_token": r.access_token, "token_type": "Bearer",
            "expires_in": 7200, "id_token": r.id_token, "scope": ["ignored"],
        }))))
    });
    block_on(client.renew_silently(&j(json!({})), None)).unwrap();
    client.ports.now_ms.set(NOW_MS + 7000.0 * 1000.0);
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap()
            .as_deref(),
        Some("at-0123456789"),
        "expires_in 7200 was read"
    );

    let client = support::client();
    client.ports.answer_windows(|_, _, req| {
        Ok(WindowAnswer::Message(j(json!({
            "state": req.state, "access_token": "at", "token_type": true,
        }))))
    });
    let e = block_on(client.renew_silently(&j(json!({})), None)).unwrap_err();
    assert_eq!(e.code(), "invalid_response");
    assert_eq!(tx_count(&client), 0, "the transaction is used up");
    assert_eq!(stored_session(&client), None);
}

#[test]
fn domain_logout_url_joins_the_issuer_with_one_slash() {
    for issuer in ["https://tenant.example", "https://tenant.example/"] {
        let ports = FakePorts::new();
        let mut doc = discovery(issuer);
        doc.as_object_mut().unwrap().remove("end_session_endpoint");
        ports.serve(
            "https://tenant.example/.well-known/openid-configuration",
            &doc.to_string(),
        );
        let client = client_with(
            json!({ "domain": "tenant.example", "issuer": issuer, "clientId": CLIENT_ID }),
            ports,
        );
        let url = logout_url(&client, None, true).unwrap().unwrap();
        assert!(
            url.starts_with("https://tenant.example/v2/logout?"),
            "{issuer}: {url}"
        );
    }
}

#[test]
fn one_expiry_rule_for_the_id_token_is_authenticated_and_the_cache() {
    // Tokens that expired 30 s ago by this clock, with the default 60 s leeway: the ID token is
    // accepted, so the session counts as logged in, while the access token is renewed.
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let now = (NOW_MS / 1000.0) as u64;
    let mut c = claims(&nonce);
    c.insert("exp".into(), json!(now - 30));
    c.insert("iat".into(), json!(now - 300));
    c.insert(
        "at_hash".into(),
        json!(at_hash(HashAlg::Sha256, "at-0123456789")),
    );
    let mut r = Response::with_id_token(
        &state,
        sign("rsa1", JwsAlg::RS256, Some("k1"), &Value::Object(c)),
    );
    r.extra = "&expires_in=30".into();
    let url = r.url().replace("expires_in=3600&", "");
    block_on(client.handle_callback(&url)).unwrap();
    assert!(client.is_authenticated());
    assert!(client.user().is_some());
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap(),
        None,
        "30 s left is within the leeway: renew"
    );
    // 31 s later the ID token is past its leeway: logged out, everywhere at once.
    client.ports.now_ms.set(NOW_MS + 31_000.0);
    assert!(!client.is_authenticated());
    assert!(client.user().is_none());
    assert!(client.id_token_claims().is_none());
}

#[test]
fn malformed_provider_documents_have_their_own_codes() {
    let cases: [(&str, &str, &str); 6] = [
        ("discovery", "not json", "invalid_provider_metadata"),
        ("discovery", "[1,2]", "invalid_provider_metadata"),
        (
            "discovery",
            r#"{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a"}"#,
            "invalid_provider_metadata",
        ),
        (
            "discovery",
            r#"{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","jwks_uri":"https://op.example/jwks","response_modes_supported":"fragment"}"#,
            "invalid_provider_metadata",
        ),
        ("jwks", "{\"no\":\"keys\"}", "invalid_jwks"),
        ("jwks", "<html>", "invalid_jwks"),
    ];
    for (what, body, code) in cases {
        let client = client();
        let url = match what {
            "discovery" => format!("{ISSUER}/.well-known/openid-configuration"),
            _ => format!("{ISSUER}/jwks"),
        };
        let e = if what == "discovery" {
            client.ports.serve(&url, body);
            block_on(client.login_url(None, None)).unwrap_err()
        } else {
            let (state, nonce) = start_login(&client, None, None);
            client.ports.serve(&url, body);
            block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap_err()
        };
        assert_eq!(e.code(), code, "{what} {body}: {e}");
    }
    // Unreachable is still a network failure.
    let client = client();
    client.ports.documents.borrow_mut().clear();
    assert_eq!(
        block_on(client.login_url(None, None)).unwrap_err().code(),
        "network_error"
    );
}

/// Tabs of one app with a localStorage cache share the stored session, and hear of each
/// other's writes only later (a storage event, a channel message). A tab that stores what a
/// flow brought must not undo what another tab stored meanwhile. Here this tab (`a`, alice)
/// renews silently; `elsewhere` changes the shared storage while the frame is out, before
/// this tab has heard of it; then the frame answers. Returns the renewal's result.
fn renewal_while_another_tab_writes(
    elsewhere: impl Fn(&Client<FakePorts>),
) -> (
    Client<FakePorts>,
    Result<Option<String>, spa_login::core::error::AuthError>,
) {
    let mut o = options();
    o["cacheLocation"] = json!("localstorage");
    let a = client_with(o, FakePorts::new());
    alice_with_an_api_token(&a);
    windows_answer_as(&a, "alice", "at-renewed");
    a.ports.window_gate.set(false);
    let params = j(json!({}));
    let result = {
        let mut renewal = pin!(a.renew_silently(&params, None));
        assert!(poll_once(renewal.as_mut()).is_none(), "the frame is out");
        elsewhere(&a);
        a.ports.window_gate.set(true);
        poll_once(renewal.as_mut()).expect("done")
    };
    (a, result)
}

/// Another tab of `a`'s app (same options, the same localStorage), starting from what `a`
/// stored.
fn other_tab(a: &Client<FakePorts>) -> Client<FakePorts> {
    let mut o = options();
    o["cacheLocation"] = json!("localstorage");
    let b = client_with(o, FakePorts::new());
    copy_store(&a.ports.tokens, &b.ports.tokens);
    b.sync_from_storage(false).unwrap();
    b
}

#[test]
fn a_logout_in_another_tab_not_yet_heard_of_still_drops_what_a_renewal_brings() {
    // The other tab's logout removed the stored session; its message has not arrived here.
    // Storing the renewal's tokens now would log both tabs back in.
    let (a, result) = renewal_while_another_tab_writes(|a| {
        another_tab_logs_out(a);
    });
    assert_dropped(&a, result);
    assert_eq!(cached(&a, Some(json!({ "audience": API }))), None);
}

#[test]
fn another_users_login_in_another_tab_is_not_overwritten_by_a_renewal_of_the_previous_one() {
    // The other tab logged out and bob logged in there, while alice's renewal was out here.
    let (a, result) = renewal_while_another_tab_writes(|a| {
        let b = other_tab(a);
        log_in(&b, "bob", "at-bob", None);
        copy_store(&b.ports.tokens, &a.ports.tokens);
    });
    let e = result.unwrap_err();
    assert_eq!(e.code(), "login_required", "{e}");
    let stored = stored_session(&a).unwrap();
    assert!(stored.contains("at-bob"), "bob's session stays stored");
    assert!(!stored.contains("at-renewed") && !stored.contains("at-alice-api"));
    assert_eq!(
        a.user().unwrap().get("sub").unwrap().as_str(),
        Some("bob"),
        "this tab now shows the session the storage holds"
    );
    assert_eq!(cached(&a, Some(json!({ "audience": API }))), None);
}

#[test]
fn a_renewal_keeps_the_tokens_another_tab_of_the_same_user_stored_meanwhile() {
    // The other tab got alice a token for a second API while this tab's renewal was out: both
    // tabs' tokens stay (the renewal is added to what is stored, not to this tab's older copy).
    const API2: &str = "https://api2.example";
    let (a, result) = renewal_while_another_tab_writes(|a| {
        let b = other_tab(a);
        log_in(
            &b,
            "alice",
            "at-alice-api2",
            Some(json!({ "audience": API2 })),
        );
        copy_store(&b.ports.tokens, &a.ports.tokens);
    });
    assert_eq!(result.unwrap().as_deref(), Some("at-renewed"));
    let stored = stored_session(&a).unwrap();
    for token in ["at-renewed", "at-alice-api", "at-alice-api2"] {
        assert!(stored.contains(token), "{token} is stored: {stored}");
    }
    assert_eq!(
        cached(&a, Some(json!({ "audience": API2 }))).as_deref(),
        Some("at-alice-api2")
    );
    assert_eq!(cached(&a, None).as_deref(), Some("at-renewed"));
}

#[test]
fn a_renewal_waiting_for_its_lock_stops_when_another_tab_logged_out_meanwhile() {
    // Once it has the lock it reads the stored session again: gone, so the session ended. It
    // opens no frame (the provider's session may still be there and would log the user back
    // in). A session of access tokens only (`response_type: 'token'`) has no user to compare:
    // that it held one and storage holds none is what tells.
    let mut o = options();
    o["cacheLocation"] = json!("localstorage");
    o["authorizationParams"]["response_type"] = json!("token");
    let client = client_with(o, FakePorts::new());
    let (state, _) = start_login(&client, None, None);
    let url = format!(
        "{REDIRECT_URI}#access_token=at-only&token_type=Bearer&expires_in=60&state={state}"
    );
    block_on(client.handle_callback(&url)).unwrap();
    assert!(client.is_authenticated());
    let result = renewal_after_waiting_for_its_lock(&client, another_tab_logs_out);
    assert_dropped(&client, result);
    assert!(!client.ports.opened_a_window(), "no frame was opened");
}
