//! The authorization code flow with PKCE, the hybrid flow and refresh tokens, through the core
//! with fake ports: the request, the response's checks before the code is sent anywhere, the
//! token endpoint's answer read strictly, refresh-token rotation, and revocation at logout.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Map, Value};
use sha2::Digest;
use spa_login::core::base64url;
use spa_login::core::client::{CacheMode, Client};
use spa_login::core::ports::{Failure, FailureKind, KeyValueStore, WindowAnswer};
use spa_login::core::token::HttpResponse;
use std::cell::RefCell;
use std::rc::Rc;
use support::code::*;
use support::*;

#[test]
fn the_request_carries_an_s256_challenge_of_a_fresh_verifier_and_asks_for_the_query() {
    let client = code_client(json!({}), json!({}));
    let url = block_on(client.login_url(None, None)).unwrap();
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        param(&url, "response_mode"),
        None,
        "query is code's default"
    );
    let state = param(&url, "state").unwrap();
    let tx: Value = serde_json::from_str(
        &client
            .ports
            .transactions
            .inner
            .get(&format!("spa-login.tx.{state}"))
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let verifier = tx["code_verifier"].as_str().unwrap();
    assert_eq!(verifier.len(), 43, "256 bits, base64url");
    assert!(verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let challenge = base64url::encode(&sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(param(&url, "code_challenge"), Some(challenge));
    assert_eq!(tx["response_mode"], "query");
    let again = block_on(client.login_url(None, None)).unwrap();
    assert_ne!(
        param(&again, "code_challenge"),
        param(&url, "code_challenge")
    );

    let hybrid = code_client(
        json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code id_token" } }),
        json!({}),
    );
    let url = block_on(hybrid.login_url(None, None)).unwrap();
    assert!(param(&url, "scope")
        .unwrap()
        .split(' ')
        .any(|s| s == "openid"));
    assert!(param(&url, "code_challenge").is_some());
}

#[test]
fn only_code_may_ask_for_the_query_and_the_library_owns_pkce() {
    for (rt, mode) in [("code id_token", "query"), ("id_token token", "query")] {
        let e = Config_err(json!({ "response_type": rt, "response_mode": mode }));
        assert_eq!(e, "invalid_configuration", "{rt} {mode}");
    }
    for name in ["code_challenge", "code_challenge_method"] {
        assert_eq!(Config_err(json!({ name: "x" })), "invalid_configuration");
    }
}

#[allow(non_snake_case)]
fn Config_err(params: Value) -> String {
    let mut o = support::options();
    for (k, v) in params.as_object().unwrap() {
        o["authorizationParams"][k] = v.clone();
    }
    let config = spa_login::core::config::Config::from_options(&j(o), "https://app.example");
    config.unwrap_err().code().to_string()
}

#[test]
fn the_code_is_exchanged_once_with_the_verifier_and_the_tokens_are_stored() {
    let client = code_client(json!({}), json!({}));
    let provider = Provider::install(&client);
    let token = log_in(&client, &provider);
    assert_eq!(token, "at-1");
    let posts = posts(&client);
    assert_eq!(posts.len(), 1);
    let (url, f) = &posts[0];
    assert_eq!(url, TOKEN_ENDPOINT);
    assert_eq!(f["grant_type"], "authorization_code");
    assert_eq!(f["code"], "the-code");
    assert_eq!(f["redirect_uri"], REDIRECT_URI);
    assert_eq!(f["client_id"], CLIENT_ID);
    assert_eq!(f["code_verifier"].as_str().unwrap().len(), 43);
    assert!(f.get("client_secret").is_none());
    assert!(client.is_authenticated());
    assert_eq!(cached(&client, None).as_deref(), Some("at-1"));
    // The keys were asked for before the token request went out.
    let events = client.ports.events.borrow();
    let prefetch = events
        .iter()
        .position(|e| e.starts_with("prefetch "))
        .unwrap();
    let post = events.iter().position(|e| e.starts_with("post ")).unwrap();
    assert!(prefetch < post, "{events:?}");
    assert_eq!(client.ports.transactions.inner.keys().unwrap().len(), 0);
}

/// The transaction stored under `state`.
fn tx_of(client: &Client<FakePorts>, state: &str) -> Value {
    let text = client
        .ports
        .transactions
        .inner
        .get(&format!("spa-login.tx.{state}"));
    serde_json::from_str(&text.unwrap().unwrap()).unwrap()
}

#[test]
fn a_redirect_code_login_prepares_the_very_exchange_its_callback_sends() {
    // Codes as providers write them, and ones the form body must encode: the callback's body
    // is the prepared one with the code, encoded, after it (the page sends only the former).
    for code in ["the-code", "a.b_c-d*e", "x~y", "p+q/r=", "é s"] {
        let client = code_client(json!({}), json!({}));
        let provider = Provider::install(&client);
        let url = block_on(client.login_url(None, None)).unwrap();
        let state = param(&url, "state").unwrap();
        *provider.nonce.borrow_mut() = param(&url, "nonce").unwrap();
        let exchange = tx_of(&client, &state)["prefetch"]["exchange"].clone();
        assert_eq!(exchange["url"], TOKEN_ENDPOINT);
        assert_eq!(
            exchange.get("iss"),
            None,
            "the provider does not promise iss"
        );
        // By the browser's clock: ten minutes before the transaction expires.
        let real = client.ports.real_time_ms.get();
        assert_eq!(exchange["until"].as_f64(), Some(real + 3_000_000.0));
        let prepared = exchange["body"].as_str().unwrap().to_owned();
        assert!(prepared.ends_with("&code="), "{prepared}");
        assert!(!prepared.contains("code=&") && !prepared.contains(&state));
        let query = format!(
            "code={}&state={state}",
            url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()
        );
        block_on(client.handle_callback(&format!("{REDIRECT_URI}?{query}"))).unwrap();
        let (posted_to, body) = client.ports.posted.borrow()[0].clone();
        assert_eq!(posted_to, TOKEN_ENDPOINT);
        let rest = body
            .strip_prefix(&prepared)
            .unwrap_or_else(|| panic!("{body} vs {prepared}"));
        assert_eq!(form(&format!("code={rest}"))["code"], code, "{body}");
        assert_eq!(
            rest == code,
            code.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-*".contains(&b))
        );
    }

    // Where the provider promises `iss`, the page must see it.
    let client = code_client(
        json!({}),
        json!({ "authorization_response_iss_parameter_supported": true }),
    );
    let (state, _) = start(&client);
    assert_eq!(tx_of(&client, &state)["prefetch"]["exchange"]["iss"], true);
}

#[test]
fn no_exchange_is_prepared_where_a_check_or_a_proof_comes_first() {
    let hybrid = code_client(
        json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code id_token" } }),
        json!({}),
    );
    let fragment = code_client(
        json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code", "response_mode": "fragment" } }),
        json!({}),
    );
    let dpop = code_client(json!({ "useDpop": true }), json!({}));
    for (name, client) in [("hybrid", hybrid), ("fragment", fragment), ("dpop", dpop)] {
        let (state, _) = start(&client);
        let tx = tx_of(&client, &state);
        assert!(tx["prefetch"]["url"].is_string(), "{name}: {tx}");
        assert_eq!(tx["prefetch"].get("exchange"), None, "{name}: {tx}");
    }
    // Nor for a popup or a frame, whose response the opener takes (and where no page loads
    // for the login's own tab).
    let client = code_client(json!({}), json!({}));
    for flow in [
        spa_login::core::client::Flow::Silent,
        spa_login::core::client::Flow::Popup,
    ] {
        let request = block_on(client.authorize_request(None, None, flow)).unwrap();
        assert_eq!(tx_of(&client, &request.state).get("prefetch"), None);
    }
}

/// Starts a code login and returns its state; the provider will answer with `answer`.
fn start(client: &Client<FakePorts>) -> (String, String) {
    let url = block_on(client.login_url(None, None)).unwrap();
    (param(&url, "state").unwrap(), param(&url, "nonce").unwrap())
}

fn rejected(client: &Client<FakePorts>, url: &str) -> String {
    let e = block_on(client.handle_callback(url)).unwrap_err();
    assert_eq!(stored_session(client), None, "nothing stored");
    assert_eq!(
        client.ports.transactions.inner.keys().unwrap().len(),
        0,
        "the transaction is used up"
    );
    e.code().to_string()
}

#[test]
fn a_code_in_the_query_is_read_though_a_fragment_that_is_no_response_follows() {
    // A hash router adds `#/` as the app starts, before the callback is handled; some
    // providers append `#_=_`. Neither is a response, so the query's still counts.
    for fragment in ["#/", "#_=_", "#/callback?tab=1", "#%E0"] {
        let client = code_client(json!({}), json!({}));
        let provider = Provider::install(&client);
        let (state, nonce) = start(&client);
        *provider.nonce.borrow_mut() = nonce;
        let url = format!("{REDIRECT_URI}?code=the-code&state={state}{fragment}");
        let outcome = block_on(client.handle_callback(&url)).unwrap();
        assert!(outcome.access_token.is_some(), "{fragment}");
    }
    // A fragment that is a response is the response: a code there, for a query flow, is not.
    let client = code_client(json!({}), json!({}));
    Provider::install(&client);
    let (state, _) = start(&client);
    let url = format!("{REDIRECT_URI}?code=the-code&state={state}#code=other&state={state}");
    assert_eq!(rejected(&client, &url), "invalid_response");
    assert!(client.ports.posted.borrow().is_empty());
    // So is a fragment that names a response parameter but does not decode (tokens injected
    // beside the code, made unreadable so as to be looked past): the code is never sent.
    for fragment in [
        "#access_token=evil&token_type=Bearer&%E0",
        "#id_token=a.b.c&x=%zz",
        "#access_token=a&access_token=b",
        "#%73tate=S&x=%zz",
    ] {
        let client = code_client(json!({}), json!({}));
        Provider::install(&client);
        let (state, _) = start(&client);
        let url = format!("{REDIRECT_URI}?code=the-code&state={state}{fragment}");
        let e = block_on(client.handle_callback(&url)).unwrap_err();
        assert_eq!(e.code(), "invalid_response", "{fragment}");
        assert_eq!(stored_session(&client), None, "{fragment}");
        assert!(client.ports.posted.borrow().is_empty(), "{fragment}");
    }
}

#[test]
fn a_response_that_fails_its_checks_never_sends_the_code() {
    let cases: [(&str, Value, &str); 7] = [
        (
            "?code=c&state={s}&iss=https%3A%2F%2Fevil.example",
            json!({}),
            "invalid_response",
        ),
        (
            "?code=c&state={s}",
            json!({ "authorization_response_iss_parameter_supported": true }),
            "invalid_response",
        ),
        ("#code=c&state={s}", json!({}), "invalid_response"),
        ("?code=c&code=d&state={s}", json!({}), "invalid_response"),
        ("?state={s}", json!({}), "invalid_response"),
        (
            "?code=c&state={s}&access_token=injected",
            json!({}),
            "invalid_response",
        ),
        (
            "?code=c&state={s}&id_token=x.y.z",
            json!({}),
            "invalid_response",
        ),
    ];
    for (query, extra, code) in cases {
        let client = code_client(json!({}), extra.clone());
        Provider::install(&client);
        let (state, _) = start(&client);
        let url = format!("{REDIRECT_URI}{}", query.replace("{s}", &state));
        assert_eq!(rejected(&client, &url), code, "{url} {extra}");
        assert!(
            client.ports.posted.borrow().is_empty(),
            "{url}: the code went out"
        );
    }
    // A response with an ID token may leave iss out: the ID token names the issuer.
    let client = code_client(
        json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code id_token" } }),
        json!({ "authorization_response_iss_parameter_supported": true }),
    );
    let provider = Provider::install(&client);
    let (state, nonce) = start(&client);
    *provider.nonce.borrow_mut() = nonce.clone();
    block_on(client.handle_callback(&hybrid_url(&state, &nonce, "abc", |_| {}))).unwrap();
    // With the provider's iss, all is well.
    let client = code_client(
        json!({}),
        json!({ "authorization_response_iss_parameter_supported": true }),
    );
    let provider = Provider::install(&client);
    let (state, nonce) = start(&client);
    *provider.nonce.borrow_mut() = nonce;
    let url = format!("{REDIRECT_URI}?code=c&state={state}&iss=https%3A%2F%2Fop.example");
    block_on(client.handle_callback(&url)).unwrap();
}

#[test]
fn an_access_token_in_a_fragment_code_response_is_injection() {
    let client = code_client(
        json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code", "response_mode": "fragment" } }),
        json!({}),
    );
    Provider::install(&client);
    let (state, _) = start(&client);
    let url = format!("{REDIRECT_URI}#code=c&state={state}&access_token=a&token_type=Bearer");
    assert_eq!(rejected(&client, &url), "invalid_response");
    assert!(client.ports.posted.borrow().is_empty());
}

#[test]
fn every_token_endpoint_failure_is_a_clear_error_and_an_earlier_session_stays() {
    type Answer = Box<dyn Fn(&str) -> Result<HttpResponse, Failure>>;
    let reply = |status: u16, body: &str| -> Answer {
        let body = body.to_string();
        Box::new(move |_| {
            Ok(HttpResponse {
                status,
                body: body.clone(),
                dpop_nonce: None,
            })
        })
    };
    let cases: Vec<(&str, Answer, &str)> = vec![
        (
            "error body",
            reply(
                400,
                r#"{"error":"invalid_grant","error_description":"code used"}"#,
            ),
            "invalid_grant",
        ),
        ("HTML 500", reply(500, "<html>oops"), "network_error"),
        ("HTTP 200, not JSON", reply(200, "hello"), "network_error"),
        (
            "HTTP 200, JSON cut off",
            reply(200, "{\"access_token\":\"a"),
            "invalid_response",
        ),
        (
            "duplicate keys",
            reply(
                200,
                r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#,
            ),
            "invalid_response",
        ),
        (
            "no id_token",
            reply(200, r#"{"access_token":"a","token_type":"Bearer"}"#),
            "invalid_response",
        ),
        (
            "unreachable",
            Box::new(|_| Err(Failure::new(FailureKind::Failed, "refused"))),
            "network_error",
        ),
        (
            "hanging",
            Box::new(|_| Err(Failure::new(FailureKind::Timeout, "no answer"))),
            "timeout",
        ),
        (
            "wrong nonce",
            Box::new(|_| {
                ok(
                    json!({ "access_token": "a", "token_type": "Bearer", "id_token": id_token(Some("other"), |_| {}) }),
                )
            }),
            "invalid_id_token",
        ),
        (
            "bad at_hash",
            Box::new(|_| {
                ok(
                    json!({ "access_token": "a", "token_type": "Bearer", "id_token": id_token(None, |c| { c.insert("at_hash".into(), json!("AAAAAAAAAAAAAAAAAAAAAA")); }) }),
                )
            }),
            "invalid_id_token",
        ),
        (
            "bad signature",
            Box::new(|nonce| {
                ok(
                    json!({ "access_token": "a", "token_type": "Bearer", "id_token": format!("{}x", id_token(Some(nonce), |_| {})) }),
                )
            }),
            "invalid_id_token",
        ),
    ];
    for (label, answer, code) in cases {
        let client = code_client(json!({}), json!({}));
        let provider = Provider::install(&client);
        log_in(&client, &provider);
        let before = stored_session(&client);
        let (state, nonce) = start(&client);
        client.ports.answer_posts(move |_, _, _| answer(&nonce));
        let e = block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=c&state={state}")))
            .unwrap_err();
        assert_eq!(e.code(), code, "{label}: {e}");
        assert_eq!(
            stored_session(&client),
            before,
            "{label}: the earlier session stays"
        );
        assert_eq!(cached(&client, None).as_deref(), Some("at-1"));
    }
}

#[test]
fn an_id_token_without_at_hash_from_the_token_endpoint_is_accepted() {
    let client = code_client(json!({}), json!({}));
    let (state, nonce) = start(&client);
    client.ports.answer_posts(move |_, _, _| {
        ok(json!({ "access_token": "at-x", "token_type": "bearer", "expires_in": 60, "id_token": id_token(Some(&nonce), |_| {}) }))
    });
    let out =
        block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=c&state={state}"))).unwrap();
    assert_eq!(out.access_token.as_deref(), Some("at-x"));
}

/// A hybrid login's front-channel response for `state`, its ID token made by `edit`.
fn hybrid_url(
    state: &str,
    nonce: &str,
    code: &str,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let c_hash = {
        let h = sha2::Sha256::digest(code.as_bytes());
        base64url::encode(&h[..16])
    };
    let token = id_token(Some(nonce), |c| {
        c.insert("c_hash".into(), json!(c_hash));
        edit(c);
    });
    format!("{REDIRECT_URI}#code={code}&id_token={token}&state={state}")
}

#[test]
fn the_hybrid_flow_checks_c_hash_first_and_the_two_id_tokens_name_one_subject() {
    let hybrid = || {
        let client = code_client(
            json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": "code id_token" } }),
            json!({}),
        );
        let provider = Provider::install(&client);
        (client, provider)
    };
    let (client, provider) = hybrid();
    let (state, nonce) = start(&client);
    *provider.nonce.borrow_mut() = nonce.clone();
    let out = block_on(client.handle_callback(&hybrid_url(&state, &nonce, "abc", |_| {}))).unwrap();
    assert_eq!(out.access_token.as_deref(), Some("at-1"));
    assert_eq!(posts(&client)[0].1["code"], "abc");

    for (label, edit) in [
        (
            "no c_hash",
            Box::new(|c: &mut Map<String, Value>| {
                c.remove("c_hash");
            }) as Box<dyn FnOnce(&mut Map<String, Value>)>,
        ),
        (
            "wrong c_hash",
            Box::new(|c: &mut Map<String, Value>| {
                c.insert("c_hash".into(), json!("AAAAAAAAAAAAAAAAAAAAAA"));
            }),
        ),
        (
            "wrong nonce",
            Box::new(|c: &mut Map<String, Value>| {
                c.insert("nonce".into(), json!("n"));
            }),
        ),
    ] {
        let (client, _) = hybrid();
        let (state, nonce) = start(&client);
        assert_eq!(
            rejected(&client, &hybrid_url(&state, &nonce, "abc", edit)),
            "invalid_id_token",
            "{label}"
        );
        assert!(
            client.ports.posted.borrow().is_empty(),
            "{label}: the code went out"
        );
    }
    // The front ID token is for another subject than the token endpoint's.
    let (client, provider) = hybrid();
    let (state, nonce) = start(&client);
    *provider.nonce.borrow_mut() = nonce.clone();
    let url = hybrid_url(&state, &nonce, "abc", |c| {
        c.insert("sub".into(), json!("mallory"));
    });
    assert_eq!(rejected(&client, &url), "invalid_id_token");
    // No ID token in the fragment at all.
    let (client, _) = hybrid();
    let (state, _) = start(&client);
    assert_eq!(
        rejected(&client, &format!("{REDIRECT_URI}#code=abc&state={state}")),
        "invalid_response"
    );
}

fn refreshing_client(fallback: bool) -> (Client<FakePorts>, Provider) {
    let client = code_client(
        json!({ "useRefreshTokens": true, "useRefreshTokensFallback": fallback }),
        json!({}),
    );
    let provider = Provider::install(&client);
    (client, provider)
}

/// The refresh tokens the client sent, in order.
fn refresh_tokens_sent(client: &Client<FakePorts>) -> Vec<String> {
    posts(client)
        .iter()
        .filter(|(_, f)| f["grant_type"] == "refresh_token")
        .map(|(_, f)| f["refresh_token"].as_str().unwrap().to_string())
        .collect()
}

/// The token endpoint's answer to a refresh token it refuses.
fn invalid_grant() -> Result<HttpResponse, Failure> {
    Ok(HttpResponse {
        status: 400,
        body: r#"{"error":"invalid_grant"}"#.into(),
        dpop_nonce: None,
    })
}

/// Past the access token's life (600 s), the ID token still valid.
fn later(client: &Client<FakePorts>, seconds: f64) {
    client
        .ports
        .now_ms
        .set(client.ports.now_ms.get() + seconds * 1000.0);
}

#[test]
fn refresh_tokens_rotate_and_none_is_ever_sent_twice() {
    let (client, provider) = refreshing_client(false);
    let url = block_on(client.login_url(None, None)).unwrap();
    assert!(param(&url, "scope")
        .unwrap()
        .split(' ')
        .any(|s| s == "offline_access"));
    log_in(&client, &provider);
    later(&client, 600.0);
    assert_eq!(cached(&client, None), None);
    let t2 = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(t2.as_deref(), Some("at-2"));
    later(&client, 600.0);
    let t3 = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(t3.as_deref(), Some("at-3"));
    let sent = refresh_tokens_sent(&client);
    assert_eq!(sent, ["rt-1", "rt-2"], "each rotated token used once");
    assert!(stored_session(&client).unwrap().contains("rt-3"));
    assert!(!stored_session(&client).unwrap().contains("\"rt-2\""));
    assert!(!client.ports.opened_a_window());
    assert_eq!(*provider.issued.borrow(), 3);
}

#[test]
fn with_refresh_tokens_a_calls_own_scope_asks_for_offline_access_too() {
    let (client, _) = refreshing_client(false);
    let own = j(json!({ "scope": "openid profile" }));
    let url = block_on(client.login_url(None, Some(&own))).unwrap();
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid profile offline_access")
    );
    // A client without refresh tokens asks for what the call says.
    let client = code_client(json!({}), json!({}));
    Provider::install(&client);
    let url = block_on(client.login_url(None, Some(&own))).unwrap();
    assert_eq!(param(&url, "scope").as_deref(), Some("openid profile"));
}

#[test]
fn a_rotated_refresh_token_is_replaced_in_every_entry_that_held_it() {
    // Two access tokens from one grant: the login's, and one for a narrower scope that a refresh
    // brought (with a new refresh token). The login's entry must not send the old one again.
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    let narrower = j(json!({ "scope": "openid profile" }));
    let t2 = block_on(client.get_access_token(Some(&narrower), CacheMode::Off, None)).unwrap();
    assert_eq!(t2.as_deref(), Some("at-2"));
    let t3 = block_on(client.get_access_token(None, CacheMode::Off, None)).unwrap();
    assert_eq!(t3.as_deref(), Some("at-3"));
    let sent = refresh_tokens_sent(&client);
    assert_eq!(
        sent,
        ["rt-1", "rt-2"],
        "rt-1 was rotated away: never sent again"
    );
    let stored = stored_session(&client).unwrap();
    assert!(
        !stored.contains("\"rt-1\"") && !stored.contains("\"rt-2\""),
        "{stored}"
    );
}

#[test]
fn a_refreshed_id_token_of_another_subject_or_audience_is_refused_and_nothing_is_stored() {
    for (claim, value) in [
        ("sub", json!("mallory")),
        ("iss", json!("https://evil.example")),
        ("aud", json!([CLIENT_ID, "other"])),
    ] {
        let (client, provider) = refreshing_client(false);
        log_in(&client, &provider);
        later(&client, 600.0);
        let id_token_before = client.id_token_claims().unwrap().raw;
        client.ports.answer_posts(move |_, _, _| {
            let v = value.clone();
            ok(json!({ "access_token": "at-bad", "token_type": "Bearer", "refresh_token": "rt-bad",
                "id_token": id_token(None, |c| { c.insert(claim.into(), v); c.insert("azp".into(), json!(CLIENT_ID)); }) }))
        });
        let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
        assert_eq!(e.code(), "invalid_id_token", "{claim}: {e}");
        let stored = stored_session(&client).unwrap();
        assert!(
            !stored.contains("at-bad") && !stored.contains("rt-bad"),
            "{claim}: nothing of the refused answer is kept: {stored}"
        );
        assert_eq!(client.id_token_claims().unwrap().raw, id_token_before);
        assert!(
            stored.contains(&id_token_before),
            "{claim}: the session stays"
        );
        // The provider took rt-1 (and may have rotated it away): it is never sent again.
        assert!(!stored.contains("\"rt-1\""), "{claim}: {stored}");
        let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
        assert_eq!(e.code(), "missing_refresh_token", "{claim}");
        assert_eq!(refresh_tokens_sent(&client), ["rt-1"], "{claim}");
    }
}

/// Logs in with the code flow (as `log_in`), the ID token's claims changed by `edit`.
fn log_in_with(client: &Client<FakePorts>, edit: fn(&mut Map<String, Value>)) {
    let url = block_on(client.login_url(None, None)).unwrap();
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    client.ports.answer_posts(move |_, _, _| {
        ok(
            json!({ "access_token": "at-1", "token_type": "Bearer", "expires_in": 600,
            "refresh_token": "rt-1", "id_token": id_token(Some(&nonce), edit) }),
        )
    });
    block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=the-code&state={state}")))
        .unwrap();
}

#[test]
fn a_refreshed_id_token_keeps_the_first_ones_audiences_azp_and_auth_time() {
    // Core 12.2. The audiences compare as a set: one may be a string or a list of one, and a
    // list may come in another order. Where the first token had no auth_time, the new one's
    // cannot be compared with anything.
    const AUTH_TIME: u64 = 1_700_000_000;
    type Edit = fn(&mut Map<String, Value>);
    let one: Edit = |c| {
        c.insert("azp".into(), json!(CLIENT_ID));
        c.insert("auth_time".into(), json!(AUTH_TIME));
    };
    let two: Edit = |c| {
        c.insert("aud".into(), json!([CLIENT_ID, "api"]));
        c.insert("azp".into(), json!(CLIENT_ID));
    };
    let cases: [(Edit, Edit, Option<&str>); 7] = [
        (
            one,
            |c| {
                c.insert("aud".into(), json!([CLIENT_ID]));
                c.insert("azp".into(), json!(CLIENT_ID));
                c.insert("auth_time".into(), json!(AUTH_TIME));
            },
            None,
        ),
        (
            two,
            |c| {
                c.insert("aud".into(), json!(["api", CLIENT_ID]));
                c.insert("azp".into(), json!(CLIENT_ID));
                c.insert("auth_time".into(), json!(AUTH_TIME));
            },
            None,
        ),
        (
            one,
            |c| {
                c.insert("azp".into(), json!(CLIENT_ID));
                c.insert("auth_time".into(), json!(AUTH_TIME + 600));
            },
            Some("auth_time"),
        ),
        (
            one,
            |c| {
                c.insert("auth_time".into(), json!(AUTH_TIME));
            },
            Some("azp"),
        ),
        (
            |_| {},
            |c| {
                c.insert("azp".into(), json!(CLIENT_ID));
            },
            Some("azp"),
        ),
        (
            two,
            |c| {
                c.insert("aud".into(), json!([CLIENT_ID]));
                c.insert("azp".into(), json!(CLIENT_ID));
            },
            Some("aud"),
        ),
        (
            two,
            |c| {
                c.insert("aud".into(), json!([CLIENT_ID, "api", "other"]));
                c.insert("azp".into(), json!(CLIENT_ID));
            },
            Some("aud"),
        ),
    ];
    for (i, (first, refreshed, refused)) in cases.into_iter().enumerate() {
        let (client, _) = refreshing_client(false);
        log_in_with(&client, first);
        later(&client, 600.0);
        client.ports.answer_posts(move |_, _, _| {
            ok(
                json!({ "access_token": "at-2", "token_type": "Bearer", "expires_in": 600,
                "refresh_token": "rt-2", "id_token": id_token(None, refreshed) }),
            )
        });
        let result = block_on(client.get_access_token(None, CacheMode::On, None));
        let stored = stored_session(&client).unwrap();
        match refused {
            None => {
                assert_eq!(result.unwrap().as_deref(), Some("at-2"), "case {i}");
                assert!(
                    stored.contains("rt-2"),
                    "case {i}: the rotated token is kept"
                );
            }
            Some(claim) => {
                let e = result.unwrap_err();
                assert_eq!(e.code(), "invalid_id_token", "case {i}: {e}");
                assert!(e.to_string().contains(claim), "case {i}: {e}");
                assert!(
                    !stored.contains("at-2") && !stored.contains("rt-2"),
                    "case {i}: {stored}"
                );
            }
        }
    }
}

#[test]
fn a_refresh_answer_refused_after_rotation_spends_the_old_token_and_a_failed_request_does_not() {
    // The provider rotates rt-1 and answers with an ID token that fails its time check: the
    // answer is refused, and rt-1, rotated away, is never sent again.
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.answer_posts(|ports, _, _| {
        ok(json!({ "access_token": "at-x", "token_type": "Bearer", "expires_in": 600,
            "refresh_token": "rt-2", "id_token": id_token_at(ports.now_ms.get() - 3.0 * 3600.0 * 1000.0, None, |_| {}) }))
    });
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "invalid_id_token");
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "missing_refresh_token");
    // Which token, as auth0-spa-js's MissingRefreshTokenError says it.
    let extra: Vec<(&str, Option<&str>)> = e
        .extra
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        extra,
        [
            ("audience", Some("default")),
            ("scope", Some("openid profile email offline_access"))
        ]
    );
    assert_eq!(refresh_tokens_sent(&client), ["rt-1"]);
    assert!(!stored_session(&client).unwrap().contains("rt-2"));
    // A request that reached no token endpoint (a 503 from a proxy, no answer) spends nothing:
    // the next renewal sends the same refresh token.
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.answer_posts(|_, _, _| {
        Ok(HttpResponse {
            status: 503,
            body: String::new(),
            dpop_nonce: None,
        })
    });
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "network_error");
    // Nor does a success status with a page that is no token response (a captive portal's).
    client.ports.answer_posts(|_, _, _| {
        Ok(HttpResponse {
            status: 200,
            body: "<html>sign in to the hotel wifi</html>".into(),
            dpop_nonce: None,
        })
    });
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "network_error");
    Provider::install(&client);
    block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(refresh_tokens_sent(&client), ["rt-1", "rt-1", "rt-1"]);
}

#[test]
fn a_spent_refresh_token_is_never_sent_again_when_storage_cannot_take_the_rotation() {
    for location in ["memory", "localstorage"] {
        let client = code_client(
            json!({ "useRefreshTokens": true, "cacheLocation": location }),
            json!({}),
        );
        let provider = Provider::install(&client);
        log_in(&client, &provider);
        later(&client, 600.0);
        // The provider rotates rt-1 into rt-2, and storage refuses the session that holds it
        // (full, or blocked since the login): the stored session still names rt-1.
        client.ports.tokens.fail_writes.set(true);
        let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
        assert_eq!(e.code(), "storage_unavailable", "{location}");
        client.ports.tokens.fail_writes.set(false);
        // rt-1 is spent: the next renewal has no refresh token to send, rather than sending it
        // again (which a provider that detects reuse punishes by revoking the grant).
        let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
        assert_eq!(e.code(), "missing_refresh_token", "{location}");
        assert_eq!(refresh_tokens_sent(&client), ["rt-1"], "{location}");
    }
}

#[test]
fn invalid_grant_drops_the_refresh_token_and_then_it_is_missing_unless_the_frame_may_help() {
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.answer_posts(|_, _, _| invalid_grant());
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "invalid_grant");
    assert!(
        !stored_session(&client).unwrap().contains("rt-1"),
        "never sent again"
    );
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "missing_refresh_token");
    assert_eq!(
        client.ports.posted.borrow().len(),
        2,
        "the second call sent nothing"
    );

    // With the fallback, the frame renews instead.
    let (client, provider) = refreshing_client(true);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.answer_posts(|_, url, body| {
        if form(body)["grant_type"] == "refresh_token" {
            return invalid_grant();
        }
        assert_eq!(url, TOKEN_ENDPOINT);
        Err(Failure::new(FailureKind::Failed, "not in this test"))
    });
    client.ports.answer_windows(|_, _, req| {
        Ok(WindowAnswer::Url(format!(
            "{REDIRECT_URI}?error=login_required&state={}",
            req.state
        )))
    });
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "login_required", "the frame was tried: {e}");
    assert!(client.ports.opened_a_window());
}

#[test]
fn a_calls_scope_without_openid_still_asks_for_an_id_token_so_another_user_cannot_join_the_session()
{
    // createClient's call scope replaces the client's. A client whose own scope has openid
    // keeps asking for it in a code flow: an access token that came with no ID token could not
    // say whose it is, and would join the session of whoever is logged in here.
    for sub in ["alice", "bob"] {
        let client = code_client(json!({}), json!({}));
        let provider = Provider::install(&client);
        let alices = log_in(&client, &provider);
        let nonce = Rc::new(RefCell::new(String::new()));
        let (asked, seen) = (Rc::new(RefCell::new(String::new())), nonce.clone());
        let scope = asked.clone();
        client.ports.answer_windows(move |ports, _, req| {
            *seen.borrow_mut() = ports.nonce_of(req.state);
            *scope.borrow_mut() = param(req.url, "scope").unwrap();
            Ok(WindowAnswer::Url(format!(
                "{REDIRECT_URI}?code=c2&state={}",
                req.state
            )))
        });
        client.ports.answer_posts(move |_, _, _| {
            ok(json!({ "access_token": "at-read", "token_type": "Bearer", "expires_in": 600,
                "id_token": id_token(Some(&nonce.borrow()), |c| { c.insert("sub".into(), json!(sub)); }) }))
        });
        let call = j(json!({ "scope": "read:x" }));
        let token = block_on(client.get_access_token(Some(&call), CacheMode::On, None)).unwrap();
        assert_eq!(token.as_deref(), Some("at-read"), "{sub}");
        assert_eq!(*asked.borrow(), "openid read:x", "{sub}: openid asked for");
        assert_eq!(
            client.user().unwrap().get("sub").unwrap().as_str(),
            Some(sub)
        );
        let first = client
            .cached_access_token(None, CacheMode::CacheOnly)
            .unwrap();
        match sub {
            "alice" => assert_eq!(first, Some(alices), "the same user keeps her tokens"),
            _ => assert_eq!(first, None, "alice's tokens are never returned to bob"),
        }
    }
    // A client whose own scope has no openid is plain OAuth, and its calls too.
    let mut options = options_for("code");
    options["authorizationParams"]["scope"] = json!("read:x");
    let client = code_client(
        json!({ "authorizationParams": options["authorizationParams"] }),
        json!({}),
    );
    let url = block_on(client.login_url(None, Some(&j(json!({ "scope": "write:x" }))))).unwrap();
    assert_eq!(param(&url, "scope").as_deref(), Some("write:x"));
}

#[test]
fn a_logout_during_a_refresh_drops_what_it_brings() {
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.fetch_gate.set(false); // the token endpoint does not answer yet
    let mut renewal = std::pin::pin!(client.get_access_token(None, CacheMode::On, None));
    assert!(poll_once(renewal.as_mut()).is_none(), "the refresh is out");
    // The logout's revocation goes through the same closed gate: let it out after.
    let mut logout = std::pin::pin!(client.logout(None, false));
    assert!(poll_once(logout.as_mut()).is_none(), "revoking");
    assert!(
        !client.is_authenticated(),
        "the session is gone before the revocation"
    );
    client.ports.fetch_gate.set(true);
    poll_once(logout.as_mut()).expect("done").unwrap();
    let e = poll_once(renewal.as_mut()).expect("done").unwrap_err();
    assert_eq!(e.code(), "login_required", "{e}");
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
}

/// A localStorage client with refresh tokens, logged in, its access token past its time.
fn local_refreshing_client_past_its_token() -> Client<FakePorts> {
    let client = code_client(
        json!({ "useRefreshTokens": true, "cacheLocation": "localstorage" }),
        json!({}),
    );
    let provider = Provider::install(&client);
    log_in(&client, &provider);
    later(&client, 600.0);
    client
}

#[test]
fn a_logout_in_another_tab_during_a_refused_refresh_writes_nothing_back() {
    // localStorage: the other tab's logout removed the stored session (and revoked the refresh
    // token, so the provider refuses it) while this tab's refresh was out; this tab has not
    // heard of it. Dropping the refused token must not write the session back.
    let client = local_refreshing_client_past_its_token();
    client.ports.answer_posts(|_, _, _| invalid_grant());
    client.ports.fetch_gate.set(false); // the token endpoint does not answer yet
    let mut renewal = std::pin::pin!(client.get_access_token(None, CacheMode::On, None));
    assert!(poll_once(renewal.as_mut()).is_none(), "the refresh is out");
    another_tab_logs_out(&client);
    client.ports.fetch_gate.set(true);
    assert_dropped(&client, poll_once(renewal.as_mut()).expect("done"));
}

#[test]
fn a_logout_during_a_refused_refresh_writes_nothing_back_and_opens_no_frame() {
    let (client, provider) = refreshing_client(true);
    log_in(&client, &provider);
    later(&client, 600.0);
    client.ports.answer_posts(|_, _, _| invalid_grant());
    client.ports.fetch_gate.set(false); // the token endpoint does not answer yet
    let mut renewal = std::pin::pin!(client.get_access_token(None, CacheMode::On, None));
    assert!(poll_once(renewal.as_mut()).is_none(), "the refresh is out");
    let mut logout = std::pin::pin!(client.logout(None, false));
    assert!(poll_once(logout.as_mut()).is_none(), "revoking");
    client.ports.fetch_gate.set(true);
    poll_once(logout.as_mut()).expect("done").unwrap();
    assert_eq!(stored_session(&client), None);
    let e = poll_once(renewal.as_mut()).expect("done").unwrap_err();
    assert_eq!(e.code(), "login_required", "{e}");
    assert_eq!(stored_session(&client), None, "nothing written back");
    assert!(!client.is_authenticated());
    assert!(
        !client.ports.opened_a_window(),
        "the fallback frame was not opened after the logout"
    );
}

#[test]
fn logout_revokes_the_refresh_token_and_a_failed_revocation_changes_nothing() {
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    block_on(client.logout(None, false)).unwrap();
    let revoked: Vec<_> = posts(&client)
        .into_iter()
        .filter(|(u, _)| u == REVOCATION_ENDPOINT)
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].1["token"], "rt-1");
    assert_eq!(revoked[0].1["token_type_hint"], "refresh_token");
    assert_eq!(revoked[0].1["client_id"], CLIENT_ID);
    assert!(!client.is_authenticated());

    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    client
        .ports
        .answer_posts(|_, _, _| Err(Failure::new(FailureKind::Timeout, "down")));
    block_on(client.logout(None, true)).unwrap();
    assert!(!client.is_authenticated());
    assert_eq!(stored_session(&client), None);
    assert!(
        client
            .ports
            .events
            .borrow()
            .last()
            .unwrap()
            .starts_with("open "),
        "it still navigates"
    );
}

#[test]
fn check_session_renews_with_a_held_refresh_token_and_settles_without_one() {
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 3600.0 + 61.0); // the ID token too is past its leeway
    assert!(!client.is_authenticated());
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    assert!(client.is_authenticated(), "renewed with the refresh token");
    assert!(!client.ports.opened_a_window());

    let (client, _) = refreshing_client(false);
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    assert!(!client.is_authenticated());
}

#[test]
fn check_session_renews_with_a_held_refresh_token_whatever_the_session_hint() {
    // sessionCheckExpiryDays keeps checkSession from asking the provider's session in a browser
    // with no recent login; a refresh token held (here in memory) is asked about all the same.
    let client = code_client(
        json!({ "useRefreshTokens": true, "sessionCheckExpiryDays": 1 }),
        json!({}),
    );
    let provider = Provider::install(&client);
    log_in(&client, &provider);
    let key = format!("spa-login.hint.{ISSUER} {CLIENT_ID}");
    assert!(
        client.ports.hints.inner.get(&key).unwrap().is_some(),
        "the login left a hint"
    );
    client.ports.hints.inner.remove(&key).unwrap();
    later(&client, 3600.0 + 61.0);
    assert!(!client.is_authenticated());
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    assert!(client.is_authenticated(), "renewed with the refresh token");
    assert_eq!(refresh_tokens_sent(&client).len(), 1);
    assert!(!client.ports.opened_a_window());
}

#[test]
fn no_refresh_token_or_one_refused_is_no_answer_of_the_provider_session_and_keeps_the_hint() {
    let key = format!("spa-login.hint.{ISSUER} {CLIENT_ID}");
    let hinted = |client: &Client<FakePorts>| client.ports.hints.inner.get(&key).unwrap();
    // None held (a reload with the memory cache): missing_refresh_token, settled.
    let client = code_client(
        json!({ "useRefreshTokens": true, "sessionCheckExpiryDays": 1 }),
        json!({}),
    );
    client.ports.hints.inner.set(&key, "9999999999999").unwrap();
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    assert_eq!(hinted(&client).as_deref(), Some("9999999999999"));
    // One refused: invalid_grant, settled.
    let client = code_client(
        json!({ "useRefreshTokens": true, "sessionCheckExpiryDays": 1 }),
        json!({}),
    );
    let provider = Provider::install(&client);
    log_in(&client, &provider);
    let set = hinted(&client).expect("the login's hint");
    later(&client, 3600.0 + 61.0);
    client.ports.answer_posts(|_, _, _| invalid_grant());
    block_on(client.check_session(&j(json!({})), false)).unwrap();
    assert_eq!(refresh_tokens_sent(&client).len(), 1);
    assert_eq!(hinted(&client), Some(set));
}

#[test]
fn refresh_tokens_and_dpop_need_a_code_flow() {
    for (options, what) in [
        (json!({ "useRefreshTokens": true }), "useRefreshTokens"),
        (json!({ "useDpop": true }), "useDpop"),
        (
            json!({ "useRefreshTokens": "yes", "authorizationParams": { "response_type": "code" } }),
            "useRefreshTokens",
        ),
    ] {
        let mut o = support::options();
        for (k, v) in options.as_object().unwrap() {
            if k == "authorizationParams" {
                o[k]["response_type"] = v["response_type"].clone();
            } else {
                o[k] = v.clone();
            }
        }
        let e = spa_login::core::config::Config::from_options(&j(o), "https://app.example")
            .unwrap_err();
        assert_eq!(e.code(), "invalid_configuration");
        assert!(e.description.contains(what), "{e}");
    }
}

#[test]
fn a_refresh_token_the_app_did_not_ask_for_is_not_kept() {
    let client = code_client(json!({}), json!({}));
    let provider = Provider::install(&client);
    log_in(&client, &provider);
    assert!(!stored_session(&client).unwrap().contains("rt-1"));
    block_on(client.logout(None, false)).unwrap();
    assert!(
        posts(&client).iter().all(|(u, _)| u != REVOCATION_ENDPOINT),
        "nothing held, nothing to revoke"
    );
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    assert!(stored_session(&client).unwrap().contains("rt-1"));
}

#[test]
fn an_error_response_names_the_issuer_too() {
    for (extra, iss, code) in [
        (
            json!({}),
            Some("https%3A%2F%2Fevil.example"),
            "invalid_response",
        ),
        (
            json!({ "authorization_response_iss_parameter_supported": true }),
            None,
            "invalid_response",
        ),
        (
            json!({ "authorization_response_iss_parameter_supported": true }),
            Some("https%3A%2F%2Fop.example"),
            "access_denied",
        ),
        (json!({}), None, "access_denied"),
    ] {
        let client = code_client(json!({}), extra.clone());
        let (state, _) = start(&client);
        let iss = iss.map(|i| format!("&iss={i}")).unwrap_or_default();
        let url = format!("{REDIRECT_URI}?error=access_denied&state={state}{iss}");
        assert_eq!(rejected(&client, &url), code, "{extra} {iss}");
    }
    // Where iss is promised, an id_token parameter does not excuse an error response without
    // it (it has no ID token to lean on), nor a response whose flow asked for no ID token.
    let promised = json!({ "authorization_response_iss_parameter_supported": true });
    for response_type in ["code id_token", "code"] {
        let client = code_client(
            json!({ "authorizationParams": { "redirect_uri": REDIRECT_URI, "response_type": response_type } }),
            promised.clone(),
        );
        let (state, _) = start(&client);
        let url = format!("{REDIRECT_URI}#error=access_denied&state={state}&id_token=x.y.z");
        assert_eq!(
            rejected(&client, &url),
            "invalid_response",
            "{response_type}"
        );
    }
}

#[test]
fn check_session_renews_under_the_renewal_lock_so_a_refresh_token_is_sent_once() {
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    // The ID token and the access token have expired: not logged in, a refresh token held.
    later(&client, 3600.0 + 61.0);
    assert!(!client.is_authenticated());
    client.ports.fetch_gate.set(false);
    let mut renewal = std::pin::pin!(client.get_access_token(None, CacheMode::On, None));
    assert!(poll_once(renewal.as_mut()).is_none(), "its refresh is out");
    // The renewal holds the lock: checkSession waits for it (the fake lock's gate closed).
    client.ports.lock_gate.set(false);
    let params = j(json!({}));
    let mut check = std::pin::pin!(client.check_session(&params, false));
    assert!(poll_once(check.as_mut()).is_none());
    assert_eq!(
        refresh_tokens_sent(&client),
        ["rt-1"],
        "checkSession sent nothing yet"
    );
    client.ports.fetch_gate.set(true);
    assert!(poll_once(renewal.as_mut()).unwrap().unwrap().is_some());
    client.ports.lock_gate.set(true);
    poll_once(check.as_mut()).unwrap().unwrap();
    let locks = client
        .ports
        .events
        .borrow()
        .iter()
        .filter(|e| e.starts_with("lock "))
        .count();
    assert_eq!(locks, 2, "checkSession took the lock too");
    assert_eq!(refresh_tokens_sent(&client), ["rt-1"], "rt-1 sent once");
    assert!(
        client.is_authenticated(),
        "checkSession found the renewed session"
    );

    // A logout (here, another tab's) while checkSession waits for the lock: it settles
    // quietly, as "not logged in", and sends nothing.
    let (client, provider) = refreshing_client(false);
    log_in(&client, &provider);
    later(&client, 3600.0 + 61.0);
    client.ports.lock_gate.set(false);
    let mut check = std::pin::pin!(client.check_session(&params, false));
    assert!(poll_once(check.as_mut()).is_none());
    client.sync_from_storage(true).unwrap();
    client.ports.lock_gate.set(true);
    poll_once(check.as_mut()).unwrap().unwrap();
    assert!(!client.is_authenticated());
    assert!(refresh_tokens_sent(&client).is_empty());
}

#[test]
fn a_refresh_for_the_previous_user_never_lands_in_the_next_users_session() {
    let client = code_client(json!({ "useRefreshTokens": true }), json!({}));
    let nonce = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let user = std::rc::Rc::new(std::cell::RefCell::new("alice".to_string()));
    let (n, u) = (nonce.clone(), user.clone());
    client.ports.answer_posts(move |ports, _, body| {
        if form(body)["grant_type"] == "refresh_token" {
            return ok(json!({ "access_token": "at-refreshed-for-alice", "token_type": "Bearer",
                "expires_in": 600, "refresh_token": "rt-alice-2" }));
        }
        let who = u.borrow().clone();
        let nonce = n.borrow().clone();
        ok(json!({ "access_token": format!("at-{who}"), "token_type": "Bearer", "expires_in": 600,
            "refresh_token": format!("rt-{who}-1"),
            "id_token": id_token_at(ports.now_ms.get(), Some(&nonce), |c| { c.insert("sub".into(), json!(who)); }) }))
    });
    let log_in_as = |who: &str| {
        *user.borrow_mut() = who.into();
        let url = block_on(client.login_url(None, None)).unwrap();
        *nonce.borrow_mut() = param(&url, "nonce").unwrap();
        let state = param(&url, "state").unwrap();
        block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=c&state={state}"))).unwrap();
    };
    log_in_as("alice");
    later(&client, 600.0);
    client.ports.fetch_gate.set(false);
    let mut renewal = std::pin::pin!(client.get_access_token(None, CacheMode::On, None));
    assert!(
        poll_once(renewal.as_mut()).is_none(),
        "alice's refresh is out"
    );
    client.ports.fetch_gate.set(true);
    log_in_as("bob"); // a popup, or another tab's login
    let e = poll_once(renewal.as_mut()).unwrap().unwrap_err();
    assert_eq!(e.code(), "login_required");
    assert_eq!(client.user().unwrap().str_member("sub"), Some("bob"));
    assert_eq!(cached(&client, None).as_deref(), Some("at-bob"));
    let stored = stored_session(&client).unwrap();
    assert!(!stored.contains("alice"), "{stored}");
    assert!(
        stored.contains("rt-bob-1"),
        "bob's refresh token stays: {stored}"
    );
}

#[test]
fn a_storage_that_cannot_be_read_under_the_lock_is_storage_unavailable_and_the_session_stays() {
    let client = local_refreshing_client_past_its_token();
    let before = stored_session(&client);
    client.ports.tokens.fail_reads.set(true);
    let e = block_on(client.get_access_token(None, CacheMode::On, None)).unwrap_err();
    assert_eq!(e.code(), "storage_unavailable");
    assert!(refresh_tokens_sent(&client).is_empty(), "nothing was sent");
    client.ports.tokens.fail_reads.set(false);
    assert_eq!(stored_session(&client), before);
    assert!(client.is_authenticated(), "the session held stays");
    // Once reads work again, the renewal goes on with the refresh token held.
    block_on(client.get_access_token(None, CacheMode::On, None)).unwrap();
    assert_eq!(refresh_tokens_sent(&client), ["rt-1"]);
}
