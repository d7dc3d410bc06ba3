//! The login flow through the sans-IO core, natively: options, the authorization request, the
//! callback with every check that guards it, the token cache and logout.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use spa_login::core::client::CacheMode;
use spa_login::core::config::Config;
use spa_login::core::error::AuthError;
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::KeyValueStore;
use support::*;

fn callback_err(client: &spa_login::core::client::Client<FakePorts>, url: &str) -> AuthError {
    block_on(client.handle_callback(url)).expect_err("the callback must fail")
}

fn config_err(options: Value) -> AuthError {
    Config::from_options(&j(options), "https://app.example")
        .expect_err("the options must be refused")
}

// ---- options ---------------------------------------------------------------------------------

#[test]
fn options_require_client_id_and_issuer_or_domain() {
    let e = config_err(json!({ "issuer": ISSUER }));
    assert_eq!(e.code(), "invalid_configuration");
    assert!(e.description.contains("clientId"));
    let e = config_err(json!({ "clientId": "x" }));
    assert!(e.description.contains("domain or issuer"));
    assert_eq!(
        config_err(json!({ "issuer": ISSUER, "clientId": 7 })).code(),
        "invalid_configuration"
    );
}

#[test]
fn options_issuer_must_be_https_except_on_loopback() {
    let e = config_err(json!({ "issuer": "http://op.example", "clientId": "x" }));
    assert!(e.description.contains("https"), "{}", e.description);
    for ok in [
        "http://localhost:4000",
        "http://127.0.0.1:4000",
        "http://[::1]:4000",
        "https://op.example/tenant/",
    ] {
        Config::from_options(
            &j(json!({ "issuer": ok, "clientId": "x" })),
            "https://app.example/",
        )
        .expect(ok);
    }
    assert_eq!(
        config_err(json!({ "issuer": "not a url", "clientId": "x" })).code(),
        "invalid_configuration"
    );
    assert_eq!(
        config_err(json!({ "issuer": "https://op.example/?a=1", "clientId": "x" })).code(),
        "invalid_configuration"
    );
}

#[test]
fn options_domain_means_an_https_issuer_with_trailing_slash() {
    let c = Config::from_options(
        &j(json!({ "domain": "tenant.example.com", "clientId": "x" })),
        "https://app.example/",
    )
    .unwrap();
    assert_eq!(c.issuer, "https://tenant.example.com/");
    assert_eq!(c.domain.as_deref(), Some("tenant.example.com"));
}

#[test]
fn options_reject_unknown_response_type_and_bad_values_naming_them() {
    let e = config_err(
        json!({ "issuer": ISSUER, "clientId": "x", "authorizationParams": { "response_type": "code token" } }),
    );
    assert!(e.description.contains("response_type"));
    let e = config_err(json!({ "issuer": ISSUER, "clientId": "x", "cacheLocation": "cookie" }));
    assert!(e.description.contains("cacheLocation"));
    let e = config_err(json!({ "issuer": ISSUER, "clientId": "x", "leeway": -1 }));
    assert!(e.description.contains("leeway"));
    let e = config_err(
        json!({ "issuer": ISSUER, "clientId": "x", "authorizationParams": { "redirect_uri": "https://app.example/#x" } }),
    );
    assert!(e.description.contains("redirect_uri"));
    let e = config_err(
        json!({ "issuer": ISSUER, "clientId": "x", "authorizationParams": { "state": "mine" } }),
    );
    assert!(e.description.contains("state"));
    let e = config_err(
        json!({ "issuer": ISSUER, "clientId": "x", "metadata": { "jwks_uri": "http://op.example/jwks" } }),
    );
    assert!(e.description.contains("metadata.jwks_uri"));
    // The options come as JSON, where a function is absent: a nowProvider left is not one.
    for now in [json!(5), json!("Date.now"), json!({})] {
        let e = config_err(json!({ "issuer": ISSUER, "clientId": "x", "nowProvider": now }));
        assert_eq!(e.description, "nowProvider must be a function");
    }
    assert!(Config::from_options(
        &j(json!({ "issuer": ISSUER, "clientId": "x", "nowProvider": null })),
        "https://app.example/"
    )
    .is_ok());
}

#[test]
fn options_unknown_keys_are_refused_by_name() {
    for name in [
        "cachelocation",
        "useRefreshToken",
        "redirectUri",
        "cache",
        "useMrrt",
    ] {
        let mut o = json!({ "issuer": ISSUER, "clientId": "x" });
        o[name] = json!(true);
        let e = config_err(o);
        assert_eq!(e.code(), "invalid_configuration", "{name}");
        assert!(
            e.description.contains(&format!("'{name}'")),
            "{}",
            e.description
        );
    }
}

#[test]
fn options_auth0_spa_js_only_options_are_accepted_and_change_nothing() {
    let config = |options: Value| Config::from_options(&j(options), "https://app.example");
    let plain = config(json!({ "domain": "tenant.example.com", "clientId": "x" })).unwrap();
    let with_ignored = config(json!({
        "domain": "tenant.example.com",
        "clientId": "x",
        "useCookiesForTransactions": true,
        "legacySameSiteCookie": false,
        "cookieDomain": ".example.com",
        "useFormData": false,
        "workerUrl": "/worker.js",
        "auth0Client": { "name": "app", "version": "1" },
    }))
    .unwrap();
    assert_eq!(format!("{plain:?}"), format!("{with_ignored:?}"));
}

#[test]
fn options_session_check_expiry_days_is_a_number_of_days() {
    let days = |v: Value| {
        let mut o = options();
        o["sessionCheckExpiryDays"] = v;
        Config::from_options(&j(o), "https://app.example").map(|c| c.session_check_days)
    };
    assert_eq!(days(json!(null)).unwrap(), None);
    assert_eq!(days(json!(1)).unwrap(), Some(1.0));
    assert_eq!(days(json!(0.5)).unwrap(), Some(0.5));
    assert_eq!(days(json!(3650)).unwrap(), Some(3650.0));
    for bad in [
        json!(0),
        json!(-1),
        json!(3651),
        json!(1e300),
        json!("1"),
        json!(true),
        json!([1]),
    ] {
        let e = days(bad.clone()).unwrap_err();
        assert_eq!(e.code(), "invalid_configuration", "{bad}");
        assert!(
            e.description.contains("sessionCheckExpiryDays"),
            "{bad}: {}",
            e.description
        );
    }
}

// ---- discovery -------------------------------------------------------------------------------

#[test]
fn discovery_issuer_must_equal_the_configured_issuer_exactly() {
    let ports = FakePorts::new();
    ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &discovery(&format!("{ISSUER}/")).to_string(),
    );
    let client = client_with(options(), ports);
    let e = block_on(client.login_url(None, None)).unwrap_err();
    assert_eq!(e.code(), "invalid_configuration");
    assert!(e.description.contains("issuer"));
}

#[test]
fn discovery_is_fetched_once_and_a_complete_metadata_option_skips_it() {
    let client = client();
    start_login(&client, None, None);
    start_login(&client, None, None);
    assert_eq!(
        client
            .ports
            .fetch_count(&format!("{ISSUER}/.well-known/openid-configuration")),
        1
    );

    let mut o = options();
    o["metadata"] = json!({ "issuer": ISSUER, "authorization_endpoint": "https://op.example/other-authorize", "jwks_uri": "https://op.example/jwks" });
    let client = client_with(o, FakePorts::new());
    let url = block_on(client.login_url(None, None)).unwrap();
    assert!(url.starts_with("https://op.example/other-authorize?"));
    assert!(client.ports.fetched.borrow().is_empty());
}

/// The page the provider sends the user back to: a new client (and a new page cache) whose
/// sessionStorage holds what the login's page stored, and whose provider serves no discovery.
fn callback_page(
    login_page: &spa_login::core::client::Client<FakePorts>,
) -> spa_login::core::client::Client<FakePorts> {
    let ports = FakePorts::new();
    ports
        .documents
        .borrow_mut()
        .remove(&format!("{ISSUER}/.well-known/openid-configuration"));
    for k in login_page.ports.transactions.inner.keys().unwrap() {
        let v = login_page
            .ports
            .transactions
            .inner
            .get(&k)
            .unwrap()
            .unwrap();
        ports.transactions.inner.set(&k, &v).unwrap();
    }
    client_with(options(), ports)
}

fn stored_tx(client: &spa_login::core::client::Client<FakePorts>, state: &str) -> Value {
    let text = client
        .ports
        .transactions
        .inner
        .get(&format!("spa-login.tx.{state}"))
        .unwrap()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Rewrites the stored transaction of `state` with `edit`.
fn edit_tx(
    client: &spa_login::core::client::Client<FakePorts>,
    state: &str,
    edit: impl FnOnce(&mut Value),
) {
    let mut tx = stored_tx(client, state);
    edit(&mut tx);
    client
        .ports
        .transactions
        .inner
        .set(&format!("spa-login.tx.{state}"), &tx.to_string())
        .unwrap();
}

#[test]
fn a_redirect_login_carries_its_discovery_document_to_the_callback_page() {
    let login_page = client();
    let (state, nonce) = start_login(&login_page, None, None);
    let carried = stored_tx(&login_page, &state)["discovery"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(&carried).unwrap(),
        discovery(ISSUER),
        "the document as the provider served it"
    );
    // And what its page may fetch before the callback runs: the issuer's keys, with the
    // client's time limit.
    assert_eq!(
        stored_tx(&login_page, &state)["prefetch"],
        json!({ "url": format!("{ISSUER}/jwks"), "timeoutMs": 10000 })
    );

    let page = callback_page(&login_page);
    block_on(page.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    assert!(page.is_authenticated());
    assert_eq!(
        *page.ports.fetched.borrow(),
        vec![format!("{ISSUER}/jwks")],
        "the keys, and no discovery"
    );
    // The page's other logins use it too, and later ones carry it on.
    let (state, _) = start_login(&page, None, None);
    assert_eq!(
        stored_tx(&page, &state)["discovery"].as_str(),
        Some(carried.as_str())
    );
    assert_eq!(page.ports.fetched.borrow().len(), 1);

    // A client with complete metadata has no document to carry.
    let mut o = options();
    o["metadata"] = json!({ "issuer": ISSUER, "authorization_endpoint": format!("{ISSUER}/authorize"), "jwks_uri": format!("{ISSUER}/jwks") });
    let complete = client_with(o, FakePorts::new());
    let url = block_on(complete.login_url(None, None)).unwrap();
    let tx = stored_tx(&complete, &param(&url, "state").unwrap());
    assert!(tx.get("discovery").is_none(), "{tx}");
}

#[test]
fn a_transaction_without_a_good_document_fetches_discovery() {
    let login_page = client();
    let (state, nonce) = start_login(&login_page, None, None);
    edit_tx(&login_page, &state, |tx| {
        tx.as_object_mut().unwrap().remove("discovery");
    });
    let page = callback_page(&login_page);
    page.ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &discovery(ISSUER).to_string(),
    );
    block_on(page.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    assert_eq!(
        page.ports
            .fetch_count(&format!("{ISSUER}/.well-known/openid-configuration")),
        1
    );

    // A document that would not make this client's metadata (it names another issuer) is
    // left: the callback asks the provider, as it would with none.
    let (state, nonce) = start_login(&login_page, None, None);
    edit_tx(&login_page, &state, |tx| {
        tx["discovery"] = json!(discovery("https://evil.example").to_string());
    });
    let page = callback_page(&login_page);
    let e = callback_err(&page, &Response::valid(&state, &nonce).url());
    assert_eq!(e.code(), "network_error", "{e}");
    assert_eq!(stored_session(&page), None);
    assert_eq!(
        *page.ports.fetched.borrow(),
        vec![format!("{ISSUER}/.well-known/openid-configuration")]
    );
}

#[test]
fn popup_and_frame_transactions_carry_no_document_and_no_prefetch() {
    use spa_login::core::client::Flow;
    let client = client();
    for flow in [Flow::Silent, Flow::Popup] {
        let request = block_on(client.authorize_request(None, None, flow)).unwrap();
        let tx = stored_tx(&client, &request.state);
        assert!(tx.get("discovery").is_none(), "{tx}");
        assert!(tx.get("prefetch").is_none(), "{tx}");
    }
}

#[test]
fn discovery_failure_is_a_network_error() {
    let ports = FakePorts::new();
    ports.documents.borrow_mut().clear();
    let client = client_with(options(), ports);
    assert_eq!(
        block_on(client.login_url(None, None)).unwrap_err().code(),
        "network_error"
    );
}

// ---- the request -----------------------------------------------------------------------------

#[test]
fn request_carries_every_parameter_and_fresh_distinct_state_and_nonce() {
    let client = client();
    let over = json!({ "audience": "https://api.example", "prompt": "login", "max_age": 300, "login_hint": "alice", "ui_locales": "fr", "organization": "org_1", "connection": "github", "custom_thing": "yes" });
    let url = block_on(client.login_url(None, Some(&j(over)))).unwrap();
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param(&url, "response_type").as_deref(),
        Some("id_token token")
    );
    assert_eq!(param(&url, "redirect_uri").as_deref(), Some(REDIRECT_URI));
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid profile email")
    );
    for (k, v) in [
        ("audience", "https://api.example"),
        ("prompt", "login"),
        ("max_age", "300"),
        ("login_hint", "alice"),
        ("ui_locales", "fr"),
        ("organization", "org_1"),
        ("connection", "github"),
        ("custom_thing", "yes"),
    ] {
        assert_eq!(param(&url, k).as_deref(), Some(v), "{k}");
    }
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    assert_ne!(state, nonce);
    for v in [&state, &nonce] {
        let bytes = spa_login::core::base64url::decode(v).expect("base64url");
        assert!(bytes.len() * 8 >= 128);
    }
    let (state2, nonce2) = start_login(&client, None, None);
    assert_ne!(state, state2);
    assert_ne!(nonce, nonce2);
}

#[test]
fn request_scope_always_contains_openid_when_an_id_token_is_asked_for() {
    let client = client();
    let url = block_on(client.login_url(None, Some(&j(json!({ "scope": "profile" }))))).unwrap();
    assert_eq!(param(&url, "scope").as_deref(), Some("openid profile"));
    let url = block_on(client.login_url(
        None,
        Some(&j(json!({ "scope": "read", "response_type": "token" }))),
    ))
    .unwrap();
    assert_eq!(param(&url, "scope").as_deref(), Some("read"));
}

#[test]
fn transactions_are_stored_per_state_with_an_expiry() {
    let client = client();
    let (s1, _) = start_login(&client, Some("{\"a\":1}"), None);
    let (s2, _) = start_login(&client, None, None);
    let keys = client.ports.transactions.inner.keys().unwrap();
    assert!(keys.contains(&format!("spa-login.tx.{s1}")));
    assert!(keys.contains(&format!("spa-login.tx.{s2}")));
    let tx = stored_tx(&client, &s1);
    assert!(tx["expires_at"].as_f64().unwrap() > NOW_MS);
    assert_eq!(tx["app_state"], "{\"a\":1}");
}

#[test]
fn request_fails_with_storage_unavailable_when_session_storage_throws() {
    let client = client();
    client.ports.transactions.fail_writes.set(true);
    assert_eq!(
        block_on(client.login_url(None, None)).unwrap_err().code(),
        "storage_unavailable"
    );
}

// ---- the callback: success ---------------------------------------------------------------------

#[test]
fn callback_stores_verified_tokens_and_returns_app_state() {
    let client = client();
    let (state, nonce) = start_login(&client, Some("{\"returnTo\":\"/x\"}"), None);
    let r = Response::valid(&state, &nonce);
    let outcome = block_on(client.handle_callback(&r.url())).unwrap();
    assert_eq!(outcome.app_state.as_deref(), Some("{\"returnTo\":\"/x\"}"));
    assert_eq!(outcome.access_token.as_deref(), Some("at-0123456789"));
    assert!(client.is_authenticated());
    let user = client.user().unwrap();
    assert_eq!(user.str_member("sub"), Some("alice"));
    assert_eq!(user.str_member("email"), Some("alice@example.com"));
    assert!(user.get("nonce").is_none() && user.get("iss").is_none());
    assert_eq!(client.id_token_claims().unwrap().raw, r.id_token);
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::On)
            .unwrap()
            .as_deref(),
        Some("at-0123456789")
    );
}

#[test]
fn callback_accepts_id_token_only_responses() {
    let client = client();
    let (state, nonce) = start_login(&client, None, Some(json!({ "response_type": "id_token" })));
    let token = sign(
        "rsa1",
        JwsAlg::RS256,
        Some("k1"),
        &Value::Object(claims(&nonce)),
    );
    block_on(client.handle_callback(&format!("{REDIRECT_URI}#id_token={token}&state={state}")))
        .unwrap();
    assert!(client.is_authenticated());
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap(),
        None
    );
}

// ---- the callback: state -----------------------------------------------------------------------

#[test]
fn state_is_single_use_and_a_replayed_fragment_is_rejected() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let r = Response::valid(&state, &nonce);
    block_on(client.handle_callback(&r.url())).unwrap();
    let e = callback_err(&client, &r.url());
    assert_eq!(e.code(), "invalid_state");
    assert_eq!(e.state.as_deref(), Some(state.as_str()));
}

#[test]
fn state_missing_or_unknown_is_invalid_state_and_stores_nothing() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.state = "not-the-state".into();
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_state");
    let no_state = format!(
        "{REDIRECT_URI}#access_token=a&token_type=Bearer&id_token={}",
        r.id_token
    );
    assert_eq!(callback_err(&client, &no_state).code(), "invalid_state");
    assert_eq!(stored_session(&client), None);
    assert!(!client.is_authenticated());
}

#[test]
fn state_of_an_expired_transaction_is_invalid_state() {
    let client = client();
    let (state, nonce) = start_login(&client, Some("{\"k\":2}"), None);
    client.ports.now_ms.set(NOW_MS + 2.0 * 3600.0 * 1000.0);
    let e = callback_err(&client, &Response::valid(&state, &nonce).url());
    assert_eq!(e.code(), "invalid_state");
    assert_eq!(e.app_state.as_deref(), Some("{\"k\":2}"));
}

#[test]
fn transaction_is_consumed_on_failure_too() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.id_token.push('x');
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_id_token");
    assert_eq!(
        callback_err(&client, &Response::valid(&state, &nonce).url()).code(),
        "invalid_state"
    );
}

// ---- the callback: error responses -------------------------------------------------------------

#[test]
fn error_response_with_matching_state_passes_the_provider_code_through() {
    let client = client();
    let (state, _) = start_login(&client, Some("{\"p\":1}"), None);
    let url = format!("{REDIRECT_URI}#error=access_denied&error_description=The+user+said+%3Cno%3E&error_uri=https%3A%2F%2Fevil.example&state={state}");
    let e = callback_err(&client, &url);
    assert_eq!(e.code(), "access_denied");
    assert_eq!(e.description, "The user said <no>");
    assert_eq!(e.state.as_deref(), Some(state.as_str()));
    assert_eq!(e.app_state.as_deref(), Some("{\"p\":1}"));
}

#[test]
fn error_response_without_matching_state_is_invalid_state() {
    let client = client();
    start_login(&client, None, None);
    assert_eq!(
        callback_err(&client, &format!("{REDIRECT_URI}#error=login_required")).code(),
        "invalid_state"
    );
    assert_eq!(
        callback_err(
            &client,
            &format!("{REDIRECT_URI}#error=login_required&state=zzz")
        )
        .code(),
        "invalid_state"
    );
}

// ---- the callback: fragment rules --------------------------------------------------------------

#[test]
fn tokens_in_the_query_are_invalid_response() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let r = Response::valid(&state, &nonce);
    let url = format!(
        "{REDIRECT_URI}?access_token={}&token_type=Bearer&id_token={}&state={state}",
        r.access_token, r.id_token
    );
    assert_eq!(callback_err(&client, &url).code(), "invalid_response");
}

#[test]
fn repeated_parameters_and_bad_encoding_are_invalid_response() {
    for extra in [
        "&state=again",
        "&access_token=b",
        "&id_token=x",
        "&token_type=Bearer",
        "&expires_in=10",
        "&error=x&error=y",
        "&junk=%E0%A4",
        "&junk=%zz",
        "&x=%",
    ] {
        let client = client();
        let (state, nonce) = start_login(&client, None, None);
        let mut r = Response::valid(&state, &nonce);
        r.extra = extra.into();
        let e = callback_err(&client, &r.url());
        assert_eq!(e.code(), "invalid_response", "{extra}");
        assert_eq!(stored_session(&client), None);
    }
}

#[test]
fn the_apps_own_query_does_not_break_a_response_in_the_fragment() {
    // The page's address may carry the app's own query, even a malformed one: it is not the
    // response. Tokens in it are still refused.
    for (query, ok) in [
        ("?ref=50%", true),
        ("?x=%FF&x=%FF", true),
        ("?tab=1&state=other", true),
        ("?access_token=injected", false),
        // Tokens in a query that does not decode are refused all the same.
        ("?access_token=a&access_token=b", false),
        ("?id_token=%FF", false),
        ("?%61ccess_token=a&x=%zz", false),
    ] {
        let client = client();
        let (state, nonce) = start_login(&client, None, None);
        let r = Response::valid(&state, &nonce).url();
        let url = r.replacen('#', &format!("{query}#"), 1);
        let result = block_on(client.handle_callback(&url));
        assert_eq!(result.is_ok(), ok, "{query}: {:?}", result.err());
    }
}

#[test]
fn unknown_parameters_are_ignored() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&__proto__=x&constructor=y&session_state=z&__proto__=again".into();
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn token_type_must_be_bearer_in_any_case() {
    for (tt, ok) in [
        ("Bearer", true),
        ("bearer", true),
        ("BEARER", true),
        ("mac", false),
        ("", false),
    ] {
        let client = client();
        let (state, nonce) = start_login(&client, None, None);
        let r = Response::valid(&state, &nonce);
        let url = r
            .url()
            .replace("token_type=Bearer", &format!("token_type={tt}"));
        let result = block_on(client.handle_callback(&url));
        assert_eq!(result.is_ok(), ok, "{tt}");
        if !ok {
            assert_eq!(result.unwrap_err().code(), "invalid_response");
        }
    }
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let url = Response::valid(&state, &nonce)
        .url()
        .replace("token_type=Bearer&", "");
    assert_eq!(callback_err(&client, &url).code(), "invalid_response");
}

#[test]
fn expires_in_must_be_a_plain_positive_integer() {
    for bad in [
        "0",
        "-1",
        "abc",
        "1e3",
        "3600.5",
        "+3600",
        "%203600",
        "12345678901234567890",
        "",
    ] {
        let client = client();
        let (state, nonce) = start_login(&client, None, None);
        let url = Response::valid(&state, &nonce)
            .url()
            .replace("expires_in=3600", &format!("expires_in={bad}"));
        assert_eq!(
            callback_err(&client, &url).code(),
            "invalid_response",
            "{bad}"
        );
    }
    // Absent: a finite default.
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let url = Response::valid(&state, &nonce)
        .url()
        .replace("expires_in=3600&", "");
    block_on(client.handle_callback(&url)).unwrap();
    client.ports.now_ms.set(NOW_MS + 3600.0 * 1000.0);
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap(),
        None
    );
}

#[test]
fn tokens_missing_or_not_asked_for_are_invalid_response() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let r = Response::valid(&state, &nonce);
    let url = format!("{REDIRECT_URI}#id_token={}&state={state}", r.id_token);
    assert_eq!(callback_err(&client, &url).code(), "invalid_response");

    let client = support::client();
    let (state, nonce) = start_login(&client, None, Some(json!({ "response_type": "id_token" })));
    let r = Response::valid(&state, &nonce);
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_response");
}

#[test]
fn iss_parameter_must_equal_the_issuer() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&iss=https%3A%2F%2Fevil.example".into();
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_response");
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&iss=https%3A%2F%2Fop.example".into();
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn oversized_responses_are_rejected_before_decoding() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut r = Response::valid(&state, &nonce);
    r.extra = format!("&pad={}", "a".repeat(70 * 1024));
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_response");
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&p=1".repeat(120);
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_response");
}

// ---- the ID token ------------------------------------------------------------------------------

fn token_err(
    client: &spa_login::core::client::Client<FakePorts>,
    state: &str,
    id_token: String,
) -> AuthError {
    let r = Response::with_id_token(state, id_token);
    callback_err(client, &r.url())
}

fn with_claims(nonce: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims(nonce);
    c.insert(
        "at_hash".into(),
        json!(at_hash(HashAlg::Sha256, "at-0123456789")),
    );
    edit(&mut c);
    Value::Object(c)
}

/// A change made to an ID token's claims.
type ClaimsEdit = Box<dyn Fn(&mut serde_json::Map<String, Value>)>;

#[test]
fn id_token_claim_checks_reject_with_invalid_id_token_naming_the_check() {
    let now = (NOW_MS / 1000.0) as u64;
    let cases: Vec<(&str, ClaimsEdit)> = vec![
        (
            "iss",
            Box::new(|c| {
                c.insert("iss".into(), json!("https://op.example/"));
            }),
        ),
        (
            "iss",
            Box::new(|c| {
                c.remove("iss");
            }),
        ),
        (
            "sub",
            Box::new(|c| {
                c.remove("sub");
            }),
        ),
        (
            "sub",
            Box::new(|c| {
                c.insert("sub".into(), json!(""));
            }),
        ),
        (
            "aud",
            Box::new(|c| {
                c.insert("aud".into(), json!("someone-else"));
            }),
        ),
        (
            "azp",
            Box::new(|c| {
                c.insert("aud".into(), json!([CLIENT_ID, "other"]));
            }),
        ),
        (
            "azp",
            Box::new(|c| {
                c.insert("azp".into(), json!("other"));
            }),
        ),
        (
            "exp",
            Box::new(move |c| {
                c.insert("exp".into(), json!(now - 61));
            }),
        ),
        (
            "exp",
            Box::new(|c| {
                c.remove("exp");
            }),
        ),
        (
            "exp",
            Box::new(|c| {
                c.insert("exp".into(), json!("tomorrow"));
            }),
        ),
        (
            "iat",
            Box::new(|c| {
                c.remove("iat");
            }),
        ),
        (
            "iat",
            Box::new(move |c| {
                c.insert("iat".into(), json!(now + 61));
            }),
        ),
        (
            "nbf",
            Box::new(move |c| {
                c.insert("nbf".into(), json!(now + 61));
            }),
        ),
        (
            "nonce",
            Box::new(|c| {
                c.insert("nonce".into(), json!("other"));
            }),
        ),
        (
            "nonce",
            Box::new(|c| {
                c.remove("nonce");
            }),
        ),
        (
            "at_hash",
            Box::new(|c| {
                c.insert("at_hash".into(), json!("AAAAAAAAAAAAAAAAAAAAAA"));
            }),
        ),
        (
            "at_hash",
            Box::new(|c| {
                c.remove("at_hash");
            }),
        ),
    ];
    for (check, edit) in cases {
        let client = client();
        let (state, nonce) = start_login(&client, None, None);
        let token = sign(
            "rsa1",
            JwsAlg::RS256,
            Some("k1"),
            &with_claims(&nonce, |c| edit(c)),
        );
        let e = token_err(&client, &state, token);
        assert_eq!(e.code(), "invalid_id_token", "{check}");
        assert!(e.description.contains(check), "{check}: {}", e.description);
        assert_eq!(stored_session(&client), None);
    }
}

#[test]
fn id_token_within_leeway_is_accepted() {
    let now = (NOW_MS / 1000.0) as u64;
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa1",
        JwsAlg::RS256,
        Some("k1"),
        &with_claims(&nonce, |c| {
            c.insert("exp".into(), json!(now - 30));
            c.insert("iat".into(), json!(now + 30));
            c.insert("aud".into(), json!([CLIENT_ID, "api"]));
            c.insert("azp".into(), json!(CLIENT_ID));
        }),
    );
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn id_token_bad_signature_is_rejected_and_an_earlier_session_survives() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let before = stored_session(&client);

    let (state, nonce) = start_login(&client, None, None);
    let good = Response::valid(&state, &nonce).id_token;
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') {
        sig.replacen('A', "B", 1)
    } else {
        format!("A{}", &sig[1..])
    };
    let e = token_err(&client, &state, format!("{head}.{flipped}"));
    assert_eq!(e.code(), "invalid_id_token");
    assert!(e.description.contains("signature"));
    assert_eq!(stored_session(&client), before);
    assert!(client.is_authenticated());
}

#[test]
fn id_token_signed_by_another_key_is_rejected() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa2",
        JwsAlg::RS256,
        Some("k1"),
        &with_claims(&nonce, |_| {}),
    );
    assert_eq!(token_err(&client, &state, token).code(), "invalid_id_token");
}

#[test]
fn id_token_alg_none_hs256_and_unlisted_algs_are_rejected() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let body = with_claims(&nonce, |_| {}).to_string();
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"None"}"#,
        r#"{"alg":"HS256","kid":"k1"}"#,
        r#"{"alg":"RS384","kid":"k1"}"#,
    ] {
        let (state, _) = (state.clone(), ());
        let client2 = support::client();
        let (state2, nonce2) = start_login(&client2, None, None);
        let body2 = body.replace(&nonce, &nonce2);
        let e = token_err(&client2, &state2, sign_raw(header, &body2));
        assert_eq!(e.code(), "invalid_id_token", "{header}");
        assert!(e.description.contains("alg"), "{header}: {}", e.description);
        let _ = state;
    }
}

#[test]
fn id_token_structure_is_strict() {
    let client = client();
    let (_, nonce) = start_login(&client, None, None);
    let good = sign(
        "rsa1",
        JwsAlg::RS256,
        Some("k1"),
        &with_claims(&nonce, |_| {}),
    );
    let parts: Vec<&str> = good.split('.').collect();
    let dup = sign_raw(
        r#"{"alg":"RS256","kid":"k1"}"#,
        &format!(
            r#"{{"sub":"a",{}}}"#,
            &with_claims(&nonce, |_| {}).to_string()[1..]
        ),
    );
    for bad in [
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.x.y"),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
        dup,
        sign_raw(
            r#"{"alg":"RS256","kid":"k1","crit":["exp"],"exp":1}"#,
            &with_claims(&nonce, |_| {}).to_string(),
        ),
    ] {
        let client = support::client();
        let (state, nonce2) = start_login(&client, None, None);
        let bad = if bad.contains(&nonce) {
            bad
        } else {
            bad.replace(&nonce2, &nonce)
        };
        assert_eq!(token_err(&client, &state, bad).code(), "invalid_id_token");
    }
}

#[test]
fn id_token_with_unknown_kid_refetches_the_jwks_once_so_rotation_works() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let jwks_url = format!("{ISSUER}/jwks");
    assert_eq!(client.ports.fetch_count(&jwks_url), 1);

    // The provider rotates to a new key.
    client.ports.serve(
        &jwks_url,
        &json!({ "keys": [public_jwk("rsa2", Some("k2"))] }).to_string(),
    );
    client.ports.now_ms.set(NOW_MS + 5000.0);
    client.ports.real_time_ms.set(6000.0);
    let (state, nonce) = start_login(&client, None, None);
    let mut c = with_claims(&nonce, |_| {});
    c["iat"] = json!((NOW_MS / 1000.0) as u64 + 5);
    let token = sign("rsa2", JwsAlg::RS256, Some("k2"), &c);
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);

    // A kid nobody has: one refetch at most, then invalid_id_token.
    client.ports.now_ms.set(NOW_MS + 10_000.0);
    client.ports.real_time_ms.set(12_000.0);
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa2",
        JwsAlg::RS256,
        Some("k9"),
        &with_claims(&nonce, |_| {}),
    );
    let e = token_err(&client, &state, token);
    assert_eq!(e.code(), "invalid_id_token");
    assert!(e.description.contains("kid"));
    assert_eq!(client.ports.fetch_count(&jwks_url), 3);
}

#[test]
fn id_token_without_kid_uses_the_one_usable_key_among_others() {
    let ports = FakePorts::new();
    let mut enc = public_jwk("rsa2", None);
    enc["use"] = json!("enc");
    ports.serve(
        &format!("{ISSUER}/jwks"),
        &json!({ "keys": [enc, public_jwk("ec256", None), public_jwk("rsa1", None)] }).to_string(),
    );
    let client = client_with(options(), ports);
    let (state, nonce) = start_login(&client, None, None);
    let token = sign("rsa1", JwsAlg::RS256, None, &with_claims(&nonce, |_| {}));
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn a_key_whose_use_or_alg_is_not_a_string_is_not_used() {
    for (member, value) in [
        ("use", json!(["enc"])),
        ("use", json!(null)),
        ("alg", json!(5)),
        ("alg", json!(["RS256"])),
    ] {
        let ports = FakePorts::new();
        let mut key = public_jwk("rsa1", Some("k1"));
        key[member] = value.clone();
        ports.serve(
            &format!("{ISSUER}/jwks"),
            &json!({ "keys": [key] }).to_string(),
        );
        let client = client_with(options(), ports);
        let (state, nonce) = start_login(&client, None, None);
        let token = sign(
            "rsa1",
            JwsAlg::RS256,
            Some("k1"),
            &with_claims(&nonce, |_| {}),
        );
        let e = token_err(&client, &state, token);
        assert_eq!(e.code(), "invalid_id_token", "{member}: {value}");
    }
}

#[test]
fn id_token_rsa_keys_under_2048_bits_are_not_used() {
    let ports = FakePorts::new();
    ports.serve(
        &format!("{ISSUER}/jwks"),
        &json!({ "keys": [public_jwk("rsa1024", Some("k1"))] }).to_string(),
    );
    let client = client_with(options(), ports);
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa1024",
        JwsAlg::RS256,
        Some("k1"),
        &with_claims(&nonce, |_| {}),
    );
    let e = token_err(&client, &state, token);
    assert_eq!(e.code(), "invalid_id_token");
    assert!(e.description.contains("usable"));
}

#[test]
fn id_token_es256_verifies_when_the_provider_lists_it() {
    let ports = FakePorts::new();
    ports.serve(
        &format!("{ISSUER}/jwks"),
        &json!({ "keys": [public_jwk("ec256", Some("e1"))] }).to_string(),
    );
    let client = client_with(options(), ports);
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "ec256",
        JwsAlg::ES256,
        Some("e1"),
        &with_claims(&nonce, |_| {}),
    );
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn max_age_requires_a_recent_auth_time() {
    let now = (NOW_MS / 1000.0) as u64;
    for (auth_time, ok) in [
        (None, false),
        (Some(now - 10_000), false),
        (Some(now - 100), true),
    ] {
        let client = client();
        let (state, nonce) = start_login(&client, None, Some(json!({ "max_age": 300 })));
        let token = sign(
            "rsa1",
            JwsAlg::RS256,
            Some("k1"),
            &with_claims(&nonce, |c| {
                if let Some(t) = auth_time {
                    c.insert("auth_time".into(), json!(t));
                }
            }),
        );
        let r = Response::with_id_token(&state, token);
        let result = block_on(client.handle_callback(&r.url()));
        assert_eq!(result.is_ok(), ok, "{auth_time:?}");
        if !ok {
            assert!(result.unwrap_err().description.contains("auth_time"));
        }
    }
}

#[test]
fn storage_that_throws_on_save_is_storage_unavailable_and_nothing_is_half_stored() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    client.ports.tokens.fail_writes.set(true);
    let e = callback_err(&client, &Response::valid(&state, &nonce).url());
    assert_eq!(e.code(), "storage_unavailable");
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
}

// ---- the token cache ---------------------------------------------------------------------------

#[test]
fn cache_is_per_audience_and_scope_and_respects_leeway() {
    let client = client();
    let (state, nonce) = start_login(
        &client,
        None,
        Some(json!({ "audience": "https://api.example", "scope": "openid read:x" })),
    );
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let for_api = json!({ "audience": "https://api.example", "scope": "read:x" });
    assert_eq!(
        client
            .cached_access_token(Some(&j(for_api.clone())), CacheMode::On)
            .unwrap()
            .as_deref(),
        Some("at-0123456789")
    );
    // The token covers "openid read:x", so a request for the client's default scope set is a miss.
    assert_eq!(
        client
            .cached_access_token(
                Some(&j(json!({ "audience": "https://api.example" }))),
                CacheMode::CacheOnly
            )
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .cached_access_token(
                Some(&j(
                    json!({ "audience": "https://other.example", "scope": "read:x" })
                )),
                CacheMode::CacheOnly
            )
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .cached_access_token(Some(&j(for_api.clone())), CacheMode::Off)
            .unwrap(),
        None,
        "off: always renew"
    );

    client.ports.now_ms.set(NOW_MS + (3600.0 - 59.0) * 1000.0);
    assert_eq!(
        client
            .cached_access_token(Some(&j(for_api.clone())), CacheMode::CacheOnly)
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .cached_access_token(Some(&j(for_api.clone())), CacheMode::On)
            .unwrap(),
        None,
        "on: renew"
    );
}

#[test]
fn cache_in_local_storage_survives_a_new_client() {
    let mut o = options();
    o["cacheLocation"] = json!("localstorage");
    let client = client_with(o.clone(), FakePorts::new());
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let stored = stored_session(&client).unwrap();

    let ports = FakePorts::new();
    ports
        .tokens
        .inner
        .set(&format!("spa-login.session.{ISSUER} {CLIENT_ID}"), &stored)
        .unwrap();
    let again = client_with(o, ports);
    assert!(again.is_authenticated());
    assert_eq!(
        again
            .cached_access_token(None, CacheMode::On)
            .unwrap()
            .as_deref(),
        Some("at-0123456789")
    );
}

// ---- logout ------------------------------------------------------------------------------------

#[test]
fn logout_clears_tokens_and_goes_to_end_session_with_hint_and_return_to() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let r = Response::valid(&state, &nonce);
    block_on(client.handle_callback(&r.url())).unwrap();
    let url = logout_url(
        &client,
        Some(json!({ "returnTo": "https://app.example/bye" })),
        true,
    )
    .unwrap()
    .unwrap();
    assert!(url.starts_with("https://op.example/logout?"));
    assert_eq!(param(&url, "id_token_hint"), Some(r.id_token));
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param(&url, "post_logout_redirect_uri").as_deref(),
        Some("https://app.example/bye")
    );
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
    assert_eq!(
        client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap(),
        None
    );
}

#[test]
fn logout_without_navigation_is_local_and_return_to_must_be_absolute() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    assert_eq!(
        logout_url(&client, Some(json!({ "returnTo": "/relative" })), true)
            .unwrap_err()
            .code(),
        "invalid_configuration"
    );
    assert!(
        client.is_authenticated(),
        "a refused logout changes nothing"
    );
    assert_eq!(logout_url(&client, None, false).unwrap(), None);
    assert!(!client.is_authenticated());
    assert!(client
        .ports
        .fetched
        .borrow()
        .iter()
        .all(|u| !u.contains("logout")));
}

#[test]
fn logout_of_a_domain_client_without_end_session_uses_auth0_v2_logout() {
    let ports = FakePorts::new();
    let issuer = "https://tenant.example.com/";
    let mut doc = discovery(issuer);
    doc.as_object_mut().unwrap().remove("end_session_endpoint");
    ports.serve(
        "https://tenant.example.com/.well-known/openid-configuration",
        &doc.to_string(),
    );
    let client = client_with(
        json!({ "domain": "tenant.example.com", "clientId": CLIENT_ID }),
        ports,
    );
    let url = logout_url(
        &client,
        Some(json!({ "returnTo": "https://app.example/" })),
        true,
    )
    .unwrap()
    .unwrap();
    assert!(
        url.starts_with("https://tenant.example.com/v2/logout?"),
        "{url}"
    );
    assert_eq!(
        param(&url, "returnTo").as_deref(),
        Some("https://app.example/")
    );
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
}

// ---- more rules ----------------------------------------------------------------------------------

#[test]
fn token_only_response_is_stored_without_an_id_token() {
    let client = client();
    let (state, _) = start_login(
        &client,
        None,
        Some(
            json!({ "response_type": "token", "audience": "https://api.example", "scope": "read" }),
        ),
    );
    let url = format!(
        "{REDIRECT_URI}#access_token=opaque-1&token_type=Bearer&expires_in=600&state={state}"
    );
    block_on(client.handle_callback(&url)).unwrap();
    assert!(client.is_authenticated());
    assert!(client.user().is_none());
    let ask = json!({ "audience": "https://api.example", "scope": "read" });
    assert_eq!(
        client
            .cached_access_token(Some(&j(ask)), CacheMode::On)
            .unwrap()
            .as_deref(),
        Some("opaque-1")
    );
    // No JWKS is needed for it.
    assert_eq!(client.ports.fetch_count(&format!("{ISSUER}/jwks")), 0);
}

#[test]
fn token_only_response_with_an_id_token_is_invalid_response() {
    let client = client();
    let (state, nonce) = start_login(&client, None, Some(json!({ "response_type": "token" })));
    let r = Response::valid(&state, &nonce);
    assert_eq!(callback_err(&client, &r.url()).code(), "invalid_response");
}

#[test]
fn access_token_that_cannot_be_a_bearer_token_is_invalid_response() {
    let client = client();
    let (state, _) = start_login(&client, None, Some(json!({ "response_type": "token" })));
    let url = format!("{REDIRECT_URI}#access_token=a%20b&token_type=Bearer&state={state}");
    assert_eq!(callback_err(&client, &url).code(), "invalid_response");
}

#[test]
fn id_token_without_kid_tries_each_candidate_key() {
    let ports = FakePorts::new();
    ports.serve(
        &format!("{ISSUER}/jwks"),
        &json!({ "keys": [public_jwk("rsa2", None), public_jwk("rsa1", None)] }).to_string(),
    );
    let client = client_with(options(), ports);
    let (state, nonce) = start_login(&client, None, None);
    let token = sign("rsa1", JwsAlg::RS256, None, &with_claims(&nonce, |_| {}));
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
}

#[test]
fn id_token_header_keys_jwk_jku_x5u_x5c_are_never_used() {
    // Signed with rsa2, which the issuer does not publish, and rsa2's key offered in the header.
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let mut header = json!({ "alg": "RS256", "jwk": public_jwk("rsa2", None), "jku": "https://evil.example/jwks", "x5u": "https://evil.example/cert", "x5c": ["AAAA"] });
    let body = with_claims(&nonce, |_| {}).to_string();
    let token = {
        use spa_login::core::base64url::encode;
        let input = format!(
            "{}.{}",
            encode(header.to_string().as_bytes()),
            encode(body.as_bytes())
        );
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(fixture("rsa2.pem").as_bytes()).unwrap();
        let sig =
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256)
                .unwrap();
        format!("{input}.{sig}")
    };
    header["kid"] = json!("unused");
    let e = token_err(&client, &state, token);
    assert_eq!(e.code(), "invalid_id_token");
    assert!(e.description.contains("signature"));
    assert!(client
        .ports
        .fetched
        .borrow()
        .iter()
        .all(|u| !u.contains("evil")));
}

#[test]
fn unknown_claims_are_ignored() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa1",
        JwsAlg::RS256,
        Some("k1"),
        &with_claims(&nonce, |c| {
            c.insert("x-custom".into(), json!({ "deep": [1, 2] }));
        }),
    );
    let r = Response::with_id_token(&state, token);
    block_on(client.handle_callback(&r.url())).unwrap();
    assert_eq!(
        client.user().unwrap().get("x-custom").unwrap().to_text(),
        r#"{"deep":[1,2]}"#
    );
}

#[test]
fn form_decoding_plus_is_space_and_percent_2b_is_plus() {
    use spa_login::core::response::parse_params;
    let p = parse_params("state=a+b%2Bc&error_description=%C3%A9t%C3%A9").unwrap();
    assert_eq!(p.state.as_deref(), Some("a b+c"));
    assert_eq!(p.error_description.as_deref(), Some("été"));
    for bad in ["state=%", "state=%4", "state=%G0", "state=%FF", "state=%C3"] {
        assert_eq!(
            parse_params(bad).unwrap_err().code(),
            "invalid_response",
            "{bad}"
        );
    }
}

#[test]
fn error_description_is_plain_text_without_control_characters() {
    let client = client();
    let (state, _) = start_login(&client, None, None);
    let url = format!(
        "{REDIRECT_URI}#error=consent_required&error_description=line1%0Aline2%07&state={state}"
    );
    let e = callback_err(&client, &url);
    assert_eq!(e.code(), "consent_required");
    assert_eq!(e.description, "line1line2");
}

#[test]
fn error_code_with_forbidden_characters_is_invalid_response() {
    let client = client();
    let (state, _) = start_login(&client, None, None);
    let url = format!("{REDIRECT_URI}#error=bad%22code&state={state}");
    assert_eq!(callback_err(&client, &url).code(), "invalid_response");
}

#[test]
fn clean_url_removes_the_response_and_keeps_the_app_query() {
    use spa_login::core::response::clean_url;
    assert_eq!(
        clean_url("https://app.example/cb?x=1#access_token=a&state=s"),
        "https://app.example/cb?x=1"
    );
    assert_eq!(
        clean_url("https://app.example/cb?error=access_denied&state=s"),
        "https://app.example/cb"
    );
    assert_eq!(
        clean_url("https://app.example/cb?x=1&error=e&state=s&y=2"),
        "https://app.example/cb?x=1&y=2"
    );
    assert_eq!(clean_url("https://app.example/cb?access_token=a&token_type=Bearer&expires_in=1&id_token=t&scope=s"), "https://app.example/cb");
    assert_eq!(
        clean_url("https://app.example/search?scope=mine&q=1"),
        "https://app.example/search?scope=mine&q=1",
        "no response: the app's query stays"
    );
}

#[test]
fn a_malformed_response_still_uses_up_its_transaction() {
    let client = client();
    let (state, nonce) = start_login(&client, Some("{\"m\":1}"), None);
    let mut r = Response::valid(&state, &nonce);
    r.extra = "&access_token=again".into();
    let e = callback_err(&client, &r.url());
    assert_eq!(e.code(), "invalid_response");
    assert_eq!(e.state.as_deref(), Some(state.as_str()));
    assert_eq!(e.app_state.as_deref(), Some("{\"m\":1}"));
    assert_eq!(
        callback_err(&client, &Response::valid(&state, &nonce).url()).code(),
        "invalid_state"
    );
    // Its state named in percent-encoded form (decoding reads `%73tate` as `state`) too.
    let other = support::client();
    let (state, nonce) = start_login(&other, None, None);
    let url = format!("https://app.example/callback#%73tate={state}&x=%zz");
    assert_eq!(callback_err(&other, &url).code(), "invalid_response");
    assert_eq!(
        callback_err(&other, &Response::valid(&state, &nonce).url()).code(),
        "invalid_state"
    );
}

#[test]
fn jwks_refetch_for_an_unknown_kid_is_at_once_then_rate_limited_on_the_real_clock() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let jwks_url = format!("{ISSUER}/jwks");
    assert_eq!(client.ports.fetch_count(&jwks_url), 1);
    client.ports.serve(
        &jwks_url,
        &json!({ "keys": [public_jwk("rsa2", Some("k2"))] }).to_string(),
    );
    let login_with = |client: &spa_login::core::client::Client<FakePorts>, kid: &str| {
        let (state, nonce) = start_login(client, None, None);
        let token = sign(
            "rsa2",
            JwsAlg::RS256,
            Some(kid),
            &with_claims(&nonce, |_| {}),
        );
        let r = Response::with_id_token(&state, token);
        block_on(client.handle_callback(&r.url()))
    };
    // Rotated just after the set was fetched (the machine's clock has not moved): the unknown
    // kid fetches it again at once.
    login_with(&client, "k2").unwrap();
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);
    // A kid nobody has, right after that refetch: none, whatever the app's clock says.
    client.ports.now_ms.set(NOW_MS + 3_600_000.0);
    client.ports.real_time_ms.set(4999.0);
    assert_eq!(
        login_with(&client, "k9").unwrap_err().code(),
        "invalid_id_token"
    );
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);
    // Once the machine's clock has moved past the interval: one refetch, then the error.
    client.ports.now_ms.set(NOW_MS);
    client.ports.real_time_ms.set(5000.0);
    assert_eq!(
        login_with(&client, "k9").unwrap_err().code(),
        "invalid_id_token"
    );
    assert_eq!(client.ports.fetch_count(&jwks_url), 3);
    assert_eq!(
        login_with(&client, "k8").unwrap_err().code(),
        "invalid_id_token"
    );
    assert_eq!(client.ports.fetch_count(&jwks_url), 3);
}

#[test]
fn two_verifications_during_a_key_rotation_both_find_the_new_key() {
    // Two responses signed with a rotated key, checked at once (a callback beside a renewal,
    // two clients of one issuer): the second must not be refused while the first's refetch is
    // on its way.
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let jwks_url = format!("{ISSUER}/jwks");
    client.ports.serve(
        &jwks_url,
        &json!({ "keys": [public_jwk("rsa2", Some("k2"))] }).to_string(),
    );
    let url = |client: &spa_login::core::client::Client<FakePorts>| {
        let (state, nonce) = start_login(client, None, None);
        let token = sign(
            "rsa2",
            JwsAlg::RS256,
            Some("k2"),
            &with_claims(&nonce, |_| {}),
        );
        Response::with_id_token(&state, token).url()
    };
    let (first, second) = (url(&client), url(&client));
    client.ports.fetch_gate.set(false);
    let mut a = Box::pin(client.handle_callback(&first));
    let mut b = Box::pin(client.handle_callback(&second));
    assert!(
        poll_once(a.as_mut()).is_none(),
        "the first waits for its refetch"
    );
    assert!(poll_once(b.as_mut()).is_none(), "so does the second");
    client.ports.fetch_gate.set(true);
    block_on(a).unwrap();
    block_on(b).unwrap();
}

#[test]
fn a_failed_jwks_refetch_starts_the_rate_limit_too_and_keeps_the_held_keys() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    block_on(client.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    let jwks_url = format!("{ISSUER}/jwks");
    let login_with = |kid: &str| {
        let (state, nonce) = start_login(&client, None, None);
        let token = sign(
            "rsa1",
            JwsAlg::RS256,
            Some(kid),
            &with_claims(&nonce, |_| {}),
        );
        block_on(client.handle_callback(&Response::with_id_token(&state, token).url()))
    };
    // The provider's key set is down: the refetch for an unknown kid fails...
    let served = client
        .ports
        .documents
        .borrow_mut()
        .remove(&jwks_url)
        .unwrap();
    assert_eq!(login_with("k9").unwrap_err().code(), "network_error");
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);
    // ...and the next unknown kid within the interval asks nothing (not one request per token
    // while the provider is down); a known one still verifies with the keys held.
    client.ports.real_time_ms.set(4999.0);
    assert_eq!(login_with("k8").unwrap_err().code(), "invalid_id_token");
    login_with("k1").unwrap();
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);
    // Past the interval, with the provider back: one refetch.
    client.ports.serve(&jwks_url, &served);
    client.ports.real_time_ms.set(5000.0);
    assert_eq!(login_with("k7").unwrap_err().code(), "invalid_id_token");
    assert_eq!(client.ports.fetch_count(&jwks_url), 3);
}

#[test]
fn an_unknown_kid_on_a_page_with_no_keys_yet_fetches_them_then_once_more() {
    let client = client();
    let (state, nonce) = start_login(&client, None, None);
    let token = sign(
        "rsa1",
        JwsAlg::RS256,
        Some("nobody"),
        &with_claims(&nonce, |_| {}),
    );
    let e = token_err(&client, &state, token);
    assert_eq!(e.code(), "invalid_id_token");
    assert!(e.description.contains("kid"), "{}", e.description);
    let jwks_url = format!("{ISSUER}/jwks");
    assert_eq!(client.ports.fetch_count(&jwks_url), 2);
    // The first may come from the browser's HTTP cache; the refetch goes past it, since what
    // the cache holds is the set without the kid (a provider may let browsers keep it hours).
    assert_eq!(*client.ports.fresh_fetched.borrow(), [jwks_url]);
}
