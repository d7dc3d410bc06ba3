//! The browser shell in headless Chromium: Web Storage, WebCrypto verification and digests,
//! fetch, and the address bar, through the same exports the JS entry wraps.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::json;
use spa_login::core::jwks;
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::KeyValueStore;
use spa_login::web::{crypto, storage::WebStorage};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = setupProvider)]
    async fn setup_provider(issuer: &str) -> JsValue;
    #[wasm_bindgen(js_name = signRs256)]
    async fn sign_rs256(issuer: &str, claims: &str) -> JsValue;
    #[wasm_bindgen(js_name = atHash)]
    async fn at_hash(access_token: &str) -> JsValue;
    #[wasm_bindgen(js_name = takeRequests)]
    fn take_requests() -> Array;
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap()
}

/// Calls `obj.method(...args)` and awaits the promise it returns.
async fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(obj, method).dyn_into().unwrap();
    let result = f.apply(obj, &args.iter().collect::<Array>())?;
    match result.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await,
        Err(v) => Ok(v),
    }
}

fn js(value: serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

fn href() -> String {
    web_sys::window().unwrap().location().href().unwrap()
}

fn set_address(url: &str) {
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some(url))
        .unwrap();
}

fn origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}

fn storage_keys(local: bool) -> Vec<String> {
    let s = if local {
        WebStorage::local()
    } else {
        WebStorage::session()
    };
    s.keys()
        .unwrap()
        .into_iter()
        .filter(|k| k.starts_with("spa-login."))
        .collect()
}

async fn client(issuer: &str, extra: serde_json::Value) -> JsValue {
    let mut options = json!({ "issuer": issuer, "clientId": "web-test", "authorizationParams": { "redirect_uri": format!("{}/", origin()) } });
    for (k, v) in extra.as_object().unwrap() {
        options[k] = v.clone();
    }
    JsFuture::from(spa_login::web::create_client(js(options)))
        .await
        .expect("createClient")
}

/// Runs loginWithRedirect with an openUrl that captures the URL; returns (state, nonce).
async fn login(client: &JsValue, app_state: serde_json::Value) -> (String, String) {
    let captured = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let c2 = captured.clone();
    let open = Closure::<dyn Fn(String)>::new(move |url: String| *c2.borrow_mut() = url);
    let options = Object::new();
    Reflect::set(&options, &"appState".into(), &js(app_state)).unwrap();
    Reflect::set(&options, &"openUrl".into(), open.as_ref()).unwrap();
    call(client, "loginWithRedirect", &[options.into()])
        .await
        .expect("loginWithRedirect");
    let url = url::Url::parse(&captured.borrow()).unwrap();
    let p = |n: &str| {
        url.query_pairs()
            .find(|(k, _)| k == n)
            .unwrap()
            .1
            .into_owned()
    };
    (p("state"), p("nonce"))
}

async fn id_token_response(issuer: &str, state: &str, nonce: &str) -> (String, String) {
    let access_token = "browser-at-1";
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let claims = json!({
        "iss": issuer, "sub": "alice", "aud": "web-test", "exp": now + 600, "iat": now, "nonce": nonce,
        "name": "Alice", "at_hash": at_hash(access_token).await.as_string().unwrap(),
    });
    let id_token = sign_rs256(issuer, &claims.to_string())
        .await
        .as_string()
        .unwrap();
    let fragment = format!("access_token={access_token}&token_type=Bearer&expires_in=600&id_token={id_token}&state={state}");
    (fragment, id_token)
}

#[wasm_bindgen_test]
fn web_storage_round_trips_and_lists_keys() {
    for store in [WebStorage::session(), WebStorage::local()] {
        store.set("spa-login.test.k", "v").unwrap();
        assert_eq!(store.get("spa-login.test.k").unwrap().as_deref(), Some("v"));
        assert!(store
            .keys()
            .unwrap()
            .contains(&"spa-login.test.k".to_string()));
        store.remove("spa-login.test.k").unwrap();
        assert_eq!(store.get("spa-login.test.k").unwrap(), None);
    }
}

#[wasm_bindgen_test]
async fn webcrypto_verifies_rs256_and_rejects_a_changed_signature() {
    let issuer = "https://verify.test";
    let jwk_text = setup_provider(issuer).await.as_string().unwrap();
    let set = jwks::parse(&format!("{{\"keys\":[{jwk_text}]}}")).unwrap();
    let token = sign_rs256(issuer, r#"{"sub":"x"}"#)
        .await
        .as_string()
        .unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = spa_login::core::base64url::decode(sig).unwrap();
    assert!(
        crypto::verify(JwsAlg::RS256, &set.keys[0], input.as_bytes(), &sig)
            .await
            .unwrap()
    );
    sig[10] ^= 1;
    assert!(
        !crypto::verify(JwsAlg::RS256, &set.keys[0], input.as_bytes(), &sig)
            .await
            .unwrap()
    );
    // The same key cannot verify an ES256 signature: WebCrypto refuses the import.
    assert!(
        crypto::verify(JwsAlg::ES256, &set.keys[0], input.as_bytes(), &sig)
            .await
            .is_err()
    );
}

#[wasm_bindgen_test]
async fn webcrypto_digest_matches_the_fips_180_vectors() {
    let d = crypto::digest(HashAlg::Sha256, b"abc").await.unwrap();
    assert_eq!(
        spa_login::core::base64url::encode(&d),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
    assert_eq!(
        crypto::digest(HashAlg::Sha384, b"abc").await.unwrap().len(),
        48
    );
    assert_eq!(
        crypto::digest(HashAlg::Sha512, b"abc").await.unwrap().len(),
        64
    );
}

#[wasm_bindgen_test]
async fn callback_from_the_address_bar_verifies_stores_and_cleans_the_url() {
    let issuer = "https://flow.test";
    setup_provider(issuer).await;
    let client = client(issuer, json!({})).await;
    let (state, nonce) = login(&client, json!({ "returnTo": "/orders/7" })).await;
    assert!(
        storage_keys(false).iter().any(|k| k.ends_with(&state)),
        "the transaction is in sessionStorage"
    );
    let (fragment, _) = id_token_response(issuer, &state, &nonce).await;
    set_address(&format!("/?keep=1#{fragment}"));
    take_requests();

    let result = call(&client, "handleRedirectCallback", &[])
        .await
        .expect("callback");
    assert_eq!(
        js_sys::JSON::stringify(&get(&result, "appState")).unwrap(),
        r#"{"returnTo":"/orders/7"}"#
    );
    assert_eq!(
        href(),
        format!("{}/?keep=1", origin()),
        "the response is gone from the address bar"
    );
    let requests: Vec<String> = take_requests()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(
        requests,
        vec![format!("{issuer}/jwks")],
        "discovery was cached at login; the JWKS is fetched once"
    );
    assert!(
        !storage_keys(false).iter().any(|k| k.ends_with(&state)),
        "the transaction was consumed"
    );
    assert!(
        storage_keys(true).is_empty(),
        "the memory cache writes nothing to localStorage"
    );
    assert_eq!(
        call(&client, "isAuthenticated", &[]).await.unwrap(),
        JsValue::TRUE
    );
    assert_eq!(
        get(&call(&client, "getUser", &[]).await.unwrap(), "name"),
        "Alice"
    );
    assert_eq!(
        call(&client, "getAccessToken", &[JsValue::UNDEFINED])
            .await
            .unwrap(),
        "browser-at-1"
    );
}

#[wasm_bindgen_test]
async fn tampered_callback_is_rejected_stores_nothing_and_cleans_the_url() {
    let issuer = "https://tamper.test";
    setup_provider(issuer).await;
    let client = client(issuer, json!({})).await;
    let (state, nonce) = login(&client, json!(1)).await;
    let (fragment, id_token) = id_token_response(issuer, &state, &nonce).await;
    let sig_start = id_token.rfind('.').unwrap() + 1;
    let flipped = if &id_token[sig_start..sig_start + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = fragment.replace(
        &id_token,
        &format!(
            "{}{flipped}{}",
            &id_token[..sig_start],
            &id_token[sig_start + 1..]
        ),
    );
    set_address(&format!("/#{tampered}"));

    let err = call(&client, "handleRedirectCallback", &[])
        .await
        .expect_err("must reject");
    assert_eq!(get(&err, "error"), "invalid_id_token");
    assert!(get(&err, "error_description")
        .as_string()
        .unwrap()
        .contains("signature"));
    assert_eq!(get(&err, "state"), JsValue::from_str(&state));
    assert_eq!(get(&err, "appState"), JsValue::from_f64(1.0));
    assert_eq!(href(), format!("{}/", origin()));
    assert_eq!(
        call(&client, "isAuthenticated", &[]).await.unwrap(),
        JsValue::FALSE
    );
    let opts = js(json!({ "cacheMode": "cache-only" }));
    assert_eq!(
        call(&client, "getAccessToken", &[opts]).await.unwrap(),
        JsValue::UNDEFINED
    );
}

#[wasm_bindgen_test]
async fn localstorage_cache_holds_the_session_until_a_local_logout() {
    let issuer = "https://local.test";
    setup_provider(issuer).await;
    let client = client(issuer, json!({ "cacheLocation": "localstorage" })).await;
    let (state, nonce) = login(&client, json!(null)).await;
    let (fragment, _) = id_token_response(issuer, &state, &nonce).await;
    call(
        &client,
        "handleRedirectCallback",
        &[JsValue::from_str(&format!("{}/#{fragment}", origin()))],
    )
    .await
    .unwrap();
    assert_eq!(
        storage_keys(true),
        vec!["spa-login.session.web-test".to_string()]
    );

    // A second client (a reload) reads the session back.
    let again = client_for_reload(issuer).await;
    assert_eq!(
        call(&again, "getAccessToken", &[JsValue::UNDEFINED])
            .await
            .unwrap(),
        "browser-at-1"
    );

    call(&again, "logout", &[js(json!({ "openUrl": false }))])
        .await
        .unwrap();
    assert!(storage_keys(true).is_empty());
    assert_eq!(
        call(&again, "isAuthenticated", &[]).await.unwrap(),
        JsValue::FALSE
    );
}

async fn client_for_reload(issuer: &str) -> JsValue {
    client(issuer, json!({ "cacheLocation": "localstorage" })).await
}

#[wasm_bindgen_test]
async fn bad_options_reject_with_invalid_configuration() {
    let err = JsFuture::from(spa_login::web::create_client(js(
        json!({ "issuer": "http://op.example", "clientId": "x" }),
    )))
    .await
    .expect_err("must reject");
    assert_eq!(get(&err, "error"), "invalid_configuration");
    let bad_now = js(json!({ "issuer": "https://op.example", "clientId": "x", "nowProvider": 5 }));
    let err = JsFuture::from(spa_login::web::create_client(bad_now))
        .await
        .expect_err("must reject");
    assert!(get(&err, "error_description")
        .as_string()
        .unwrap()
        .contains("nowProvider"));
}
