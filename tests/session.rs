//! The session lifecycle through the sans-IO core: the requests of silent renewal and popup
//! login, what their answers mean, and the cache across tabs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use spa_login::core::client::{means_logged_out, CacheMode, Client, Flow};
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::{Failure, FailureKind, KeyValueStore, WindowAnswer};
use support::*;

#[test]
fn silent_request_asks_for_prompt_none_at_the_silent_redirect_uri() {
    let mut o = options();
    o["silentRedirectUri"] = json!("https://app.example/silent.html");
    let client = client_with(o, FakePorts::new());
    let req = block_on(client.authorize_request(
        None,
        Some(&j(json!({ "audience": "https://api.example" }))),
        Flow::Silent,
    ))
    .unwrap();
    assert_eq!(param(&req.url, "prompt").as_deref(), Some("none"));
    assert_eq!(
        param(&req.url, "redirect_uri").as_deref(),
        Some("https://app.example/silent.html")
    );
    assert_eq!(
        param(&req.url, "audience").as_deref(),
        Some("https://api.example")
    );
    assert_eq!(
        param(&req.url, "state").as_deref(),
        Some(req.state.as_str())
    );
    assert_eq!(req.redirect_uri, "https://app.example/silent.html");
    assert_eq!(
        req.response_origin, None,
        "the provider lists no web_message"
    );
    assert_eq!(req.timeout_ms, 60_000.0);
}

#[test]
fn web_message_is_used_where_the_provider_lists_it_and_only_from_its_origin() {
    let ports = FakePorts::new();
    let mut doc = discovery(ISSUER);
    doc["response_modes_supported"] = json!(["query", "fragment", "web_message"]);
    doc["authorization_endpoint"] = json!("https://login.op.example:8443/authorize");
    ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &doc.to_string(),
    );
    let client = client_with(options(), ports);
    for flow in [Flow::Silent, Flow::Popup] {
        let req = block_on(client.authorize_request(None, None, flow)).unwrap();
        assert_eq!(
            param(&req.url, "response_mode").as_deref(),
            Some("web_message")
        );
        assert_eq!(
            req.response_origin.as_deref(),
            Some("https://login.op.example:8443")
        );
    }
    let req = block_on(client.authorize_request(None, None, Flow::Redirect)).unwrap();
    assert_eq!(
        param(&req.url, "response_mode"),
        None,
        "a redirect login comes back in the fragment"
    );
    assert_eq!(req.response_origin, None);
}

#[test]
fn popup_request_keeps_the_redirect_uri_and_has_no_prompt() {
    let client = client();
    let req = block_on(client.authorize_request(None, None, Flow::Popup)).unwrap();
    assert_eq!(param(&req.url, "prompt"), None);
    assert_eq!(
        param(&req.url, "redirect_uri").as_deref(),
        Some(REDIRECT_URI)
    );
}

#[test]
fn silent_response_is_validated_like_any_callback() {
    let client = client();
    let req = block_on(client.authorize_request(None, None, Flow::Silent)).unwrap();
    let tx = client
        .ports
        .transactions
        .inner
        .get(&format!("spa-login.tx.{}", req.state))
        .unwrap()
        .unwrap();
    let nonce = serde_json::from_str::<serde_json::Value>(&tx).unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_string();
    let r = Response::valid(&req.state, &nonce);
    let outcome = block_on(client.handle_callback(&r.url())).unwrap();
    assert_eq!(outcome.access_token.as_deref(), Some("at-0123456789"));
    assert!(client.is_authenticated());
}

#[test]
fn login_required_and_its_siblings_mean_logged_out() {
    for code in [
        "login_required",
        "consent_required",
        "interaction_required",
        "account_selection_required",
    ] {
        assert!(means_logged_out(code), "{code}");
    }
    for code in ["access_denied", "invalid_state", "timeout", "server_error"] {
        assert!(!means_logged_out(code), "{code}");
    }
    let client = client();
    let req = block_on(client.authorize_request(None, None, Flow::Silent)).unwrap();
    let e = block_on(client.handle_callback(&format!(
        "{REDIRECT_URI}#error=login_required&state={}",
        req.state
    )))
    .unwrap_err();
    assert_eq!(e.code(), "login_required");
}

#[test]
fn get_access_token_needs_a_response_type_with_an_access_token() {
    let mut o = options();
    o["authorizationParams"]["response_type"] = json!("id_token");
    let client = client_with(o, FakePorts::new());
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::On)
            .unwrap_err()
            .code(),
        "invalid_configuration"
    );
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap(),
        None,
        "cache-only resolves undefined"
    );
}

#[test]
fn another_tabs_login_is_read_from_local_storage_and_its_logout_clears_memory() {
    let (tab_a, tab_b) = two_tabs_one_logged_in();
    share_tokens(&tab_a, &tab_b);
    assert!(!tab_b.is_authenticated());
    let v = tab_b.session_version();
    tab_b.sync_from_storage(false).unwrap();
    assert!(tab_b.is_authenticated());
    assert_ne!(
        tab_b.session_version(),
        v,
        "observers learn about the change"
    );

    // With the memory cache, a logout elsewhere clears this tab's tokens.
    let memory = client();
    let (state, nonce) = start_login(&memory, None, None);
    block_on(memory.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    memory.sync_from_storage(false).unwrap();
    assert!(
        memory.is_authenticated(),
        "another tab's login changes nothing here"
    );
    memory.sync_from_storage(true).unwrap();
    assert!(!memory.is_authenticated());
}

#[test]
fn session_version_changes_on_login_and_logout_only() {
    let client = client();
    let v0 = client.session_version();
    let (state, nonce) = start_login(&client, None, None);
    assert_eq!(client.session_version(), v0);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let v1 = client.session_version();
    assert_ne!(v1, v0);
    client.cached_access_token(None, CacheMode::On).unwrap();
    assert_eq!(client.session_version(), v1, "a cache read is no change");
    block_on(client.logout(None, false)).unwrap();
    assert_ne!(client.session_version(), v1);
}

#[test]
fn a_token_granted_fewer_scopes_is_cached_under_the_scope_asked_for() {
    let client = client();
    let ask = json!({ "audience": "https://api.example", "scope": "openid read:messages write:messages" });
    let (state, nonce) = start_login(&client, None, Some(ask.clone()));
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&scope=read%3Amessages".into();
    block_on(client.handle_callback(&r.url())).unwrap();
    // Without this, every call for the same scope would miss and renew in an iframe.
    assert_eq!(
        client
            .cached_access_token(Some(&j(ask)), CacheMode::On)
            .unwrap()
            .as_deref(),
        Some("at-0123456789")
    );
}

#[test]
fn get_access_token_looks_again_under_the_renewal_lock_before_it_renews() {
    let (other, tab) = two_tabs_one_logged_in();
    // The other tab's tokens reach this tab's storage while it waits for the lock.
    share_tokens(&other, &tab);
    assert_eq!(tab.cached_access_token(None, CacheMode::On).unwrap(), None);
    let token = block_on(tab.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(token.as_deref(), Some("at-0123456789"));
    let events = tab.ports.events.borrow();
    assert_eq!(
        events.as_slice(),
        [format!(
            "lock spa-login.renew.spa-login.session.{ISSUER} {CLIENT_ID}\n\nopenid profile email watching spa-login.session.{ISSUER} {CLIENT_ID}"
        )],
        "one lock per client and token, guarding the shared session, and no renewal"
    );
}

#[test]
fn get_access_token_renews_in_a_frame_when_the_cache_has_nothing_and_cache_only_never_does() {
    let client = client();
    assert_eq!(
        block_on(client.get_access_token(None, CacheMode::CacheOnly, None)).unwrap(),
        None
    );
    assert!(client.ports.events.borrow().is_empty());
    client.ports.answer_windows(|ports, kind, req| {
        assert_eq!(kind, spa_login::core::ports::WindowKind::Frame);
        let r = Response::valid(req.state, &ports.nonce_of(req.state));
        Ok(spa_login::core::ports::WindowAnswer::Url(r.url()))
    });
    let token = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(token.as_deref(), Some("at-0123456789"));
    let events = client.ports.events.borrow();
    assert!(
        events[0].starts_with("lock ") && !events[0].contains("watching"),
        "memory: nothing shared to watch"
    );
    assert!(events
        .iter()
        .any(|e| e.starts_with("window ") && e.contains("prompt=none")));
    drop(events);
    // cacheMode 'off' renews although a token is cached.
    client.ports.events.borrow_mut().clear();
    block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap();
    assert!(client.ports.opened_a_window());
}

#[test]
fn login_and_logout_navigate_through_the_ports() {
    let client = client();
    block_on(client.login_with_redirect(None, None)).unwrap();
    assert!(client
        .ports
        .events
        .borrow()
        .last()
        .unwrap()
        .starts_with(&format!("open {ISSUER}/authorize?")));
    block_on(client.logout(None, true)).unwrap();
    assert!(client
        .ports
        .events
        .borrow()
        .last()
        .unwrap()
        .starts_with(&format!("open {ISSUER}/logout?")));
    client.ports.events.borrow_mut().clear();
    block_on(client.logout(None, false)).unwrap();
    assert!(
        client.ports.events.borrow().is_empty(),
        "a local logout goes nowhere"
    );
}

#[test]
fn the_channel_and_the_default_redirect_uri_come_from_the_core() {
    let client = client_with(
        json!({ "issuer": ISSUER, "clientId": CLIENT_ID }),
        FakePorts::new(),
    );
    assert_eq!(
        client.channel_name(),
        format!("spa-login:{ISSUER} {CLIENT_ID}")
    );
    let url = block_on(client.login_url(None, None)).unwrap();
    assert_eq!(
        param(&url, "redirect_uri").as_deref(),
        Some("https://app.example"),
        "window.location.origin, exactly"
    );
}

#[test]
fn check_session_rejects_when_the_page_blocks_its_frame() {
    // A frame the page's CSP refused says nothing about the provider's session: not the quiet
    // "logged out" of login_required, but an error naming what the app must fix.
    let client = client();
    client
        .ports
        .answer_windows(|_, _, _| Err(Failure::new(FailureKind::FrameBlocked, "frame-src")));
    let e = block_on(client.check_session(&j(json!({})), false)).unwrap_err();
    assert_eq!(e.code(), "frame_blocked");
    assert!(e.description.contains("Content Security Policy"), "{e}");
    assert!(!client.is_authenticated());
}

const DAY_MS: f64 = 86_400_000.0;

/// A client with `sessionCheckExpiryDays` (as `createAuth0Client` makes one) in a browser whose
/// localStorage holds `hint` and whose machine clock reads `real_ms`; its frames answer with a
/// valid response, or with `login_required` when `logged_out`.
fn hinted_client(hint: Option<&str>, real_ms: f64, logged_out: bool) -> Client<FakePorts> {
    let mut o = options();
    o["sessionCheckExpiryDays"] = json!(1);
    let client = client_with(o, FakePorts::new());
    client.ports.real_time_ms.set(real_ms);
    if let Some(hint) = hint {
        client.ports.hints.inner.set(&hint_key(), hint).unwrap();
    }
    client.ports.answer_windows(move |ports, _, req| {
        Ok(WindowAnswer::Url(match logged_out {
            true => format!("{REDIRECT_URI}#error=login_required&state={}", req.state),
            false => Response::valid(req.state, &ports.nonce_of(req.state)).url(),
        }))
    });
    client
}

fn hint(client: &Client<FakePorts>) -> Option<String> {
    client.ports.hints.inner.get(&hint_key()).unwrap()
}

fn hint_key() -> String {
    format!("spa-login.hint.{ISSUER} {CLIENT_ID}")
}

#[test]
fn with_session_check_expiry_days_check_session_asks_only_a_browser_that_logged_in_lately() {
    let check =
        |client: &Client<FakePorts>| block_on(client.check_session(&j(json!({})), false)).unwrap();
    let t0 = 1_000_000.0;
    // A browser that never logged in here is not asked about.
    let client = hinted_client(None, t0, false);
    check(&client);
    assert!(!client.ports.opened_a_window(), "no frame");
    assert!(!client.is_authenticated());
    // Unless a login is known to have happened (another tab's message, which may come before
    // its localStorage write; auth0-spa-js's cookie): then it asks whatever the hint says.
    let told = hinted_client(None, t0, true);
    block_on(told.check_session(&j(json!({})), true)).unwrap();
    assert!(told.ports.opened_a_window(), "asked");
    // A login leaves the hint: until a day later by the machine's clock.
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let until = hint(&client).expect("the hint");
    assert_eq!(until, format!("{}", (t0 + DAY_MS) as u64));

    // A reload within the day (memory cache: nothing held) asks, and the session comes back;
    // that renewal moves the hint on.
    let reloaded = hinted_client(Some(&until), t0 + DAY_MS - 1.0, false);
    check(&reloaded);
    assert!(reloaded.ports.opened_a_window(), "the frame asked");
    assert!(reloaded.is_authenticated());
    assert_eq!(
        hint(&reloaded),
        Some(format!("{}", (t0 + 2.0 * DAY_MS - 1.0) as u64))
    );

    // Past it, or with a hint that is no number: not asked.
    for stale in [until.as_str(), "soon"] {
        let later = hinted_client(Some(stale), t0 + DAY_MS, false);
        check(&later);
        assert!(!later.ports.opened_a_window(), "{stale}: no frame");
    }

    // The provider says "not logged in": the hint goes, and the next load does not ask.
    let logged_out = hinted_client(Some(&until), t0, true);
    check(&logged_out);
    assert!(logged_out.ports.opened_a_window());
    assert_eq!(hint(&logged_out), None);

    // A logout removes it.
    let leaving = hinted_client(Some(&until), t0, false);
    check(&leaving);
    assert!(leaving.is_authenticated());
    block_on(leaving.logout(None, false)).unwrap();
    assert_eq!(hint(&leaving), None);

    // A localStorage that cannot be read: asked, as without the option.
    let blocked = hinted_client(None, t0, false);
    blocked.ports.hints.fail_reads.set(true);
    check(&blocked);
    assert!(blocked.ports.opened_a_window());

    // Without the option (createClient's default) every browser is asked, and no hint is kept.
    let plain = support::client();
    plain.ports.answer_windows(|ports, _, req| {
        Ok(WindowAnswer::Url(
            Response::valid(req.state, &ports.nonce_of(req.state)).url(),
        ))
    });
    check(&plain);
    assert!(plain.ports.opened_a_window());
    assert!(plain.is_authenticated());
    assert_eq!(
        plain.ports.hints.inner.keys().unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn a_session_that_ends_here_while_check_session_runs_keeps_the_hint() {
    // localStorage cache: alice's ID token here has expired; another tab has logged bob in
    // (this tab has not heard yet). checkSession finds bob's session under its lock, so alice's
    // ended: login_required, settled quietly, but not the provider's answer: the hint (the
    // browser did log in lately) stays, and no frame is opened.
    let local = |now_ms: f64| {
        let mut o = options();
        o["sessionCheckExpiryDays"] = json!(1);
        o["cacheLocation"] = json!("localstorage");
        let c = client_with(o, FakePorts::new());
        c.ports.now_ms.set(now_ms);
        c
    };
    let alice = local(NOW_MS);
    let (state, nonce) = start_login(&alice, None, None);
    block_on(alice.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let bob = local(NOW_MS);
    let (state, nonce) = start_login(&bob, None, None);
    let mut r = Response::with_id_token(&state, {
        let mut c = claims(&nonce);
        c.insert("sub".into(), json!("bob"));
        c.insert("at_hash".into(), json!(at_hash(HashAlg::Sha256, "at-bob")));
        sign(
            "rsa1",
            JwsAlg::RS256,
            Some("k1"),
            &serde_json::Value::Object(c),
        )
    });
    r.access_token = "at-bob".into();
    block_on(bob.handle_callback(&r.url())).unwrap();
    let key = bob.session_key();
    alice
        .ports
        .tokens
        .inner
        .set(&key, &bob.ports.tokens.inner.get(&key).unwrap().unwrap())
        .unwrap();
    alice.ports.now_ms.set(NOW_MS + 2.0 * 3_600_000.0);
    assert!(!alice.is_authenticated(), "alice's ID token has expired");
    assert!(hint(&alice).is_some());
    block_on(alice.check_session(&j(json!({})), false)).unwrap();
    assert!(!alice.ports.opened_a_window());
    assert!(hint(&alice).is_some(), "the hint stays");
}

#[test]
fn the_session_hint_stays_or_goes_by_what_happened() {
    let t0 = 1_000_000.0;
    let until = format!("{}", (t0 + DAY_MS) as u64);
    let check =
        |client: &Client<FakePorts>| block_on(client.check_session(&j(json!({})), false)).unwrap();
    // A localStorage that cannot keep a hint (full): every check asks, as without the option.
    let full = hinted_client(None, t0, true);
    full.ports.hints.fail_writes.set(true);
    check(&full);
    assert!(full.ports.opened_a_window(), "asked");

    // Another tab's login sets the hint while this frame is out, which then says "not logged
    // in": that login's hint stays.
    let raced = hinted_client(Some(&until), t0, true);
    raced.ports.answer_windows(|ports, _, req| {
        ports.hints.inner.set(&hint_key(), "9999999999999").unwrap();
        Ok(WindowAnswer::Url(format!(
            "{REDIRECT_URI}#error=login_required&state={}",
            req.state
        )))
    });
    check(&raced);
    assert_eq!(hint(&raced).as_deref(), Some("9999999999999"));

    // A client without the option (createClient on another page of the app) removes the hint
    // an Auth0Client page set when it logs out; so does a logout told by another tab.
    let plain = support::client();
    plain.ports.hints.inner.set(&hint_key(), &until).unwrap();
    block_on(plain.logout(None, false)).unwrap();
    assert_eq!(hint(&plain), None);
    let told = hinted_client(Some(&until), t0, false);
    told.sync_from_storage(true).unwrap();
    assert_eq!(hint(&told), None);
}
