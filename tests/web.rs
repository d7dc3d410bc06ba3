//! The browser shell in headless Chromium: Web Storage, the task executor, and the effects
//! module the JS entry performs for it (WebCrypto, fetch, the address bar), driven the way
//! `pkg-template/index.js` drives them.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use serde_json::{json, Value};
use spa_login::core::ports::KeyValueStore;
use spa_login::web::{self, create_client, storage::WebStorage, tasks};
use wasm_bindgen::prelude::*;
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

#[wasm_bindgen(module = "/pkg-template/effects.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn perform(effect: JsValue, ctx: JsValue) -> Result<JsValue, JsValue>;
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap()
}

fn js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

/// Why an effect failed, as the entry reports it to the task.
fn reason(e: JsValue) -> String {
    let code = get(&e, "error");
    if let Some(code) = code.as_string() {
        return code;
    }
    get(&e, "message").as_string().unwrap_or_default()
}

/// Performs one effect: its answer, or why it failed.
async fn effect(e: Value) -> Result<String, String> {
    perform(js(&e), Object::new().into())
        .await
        .map(|v| v.as_string().unwrap())
        .map_err(reason)
}

/// Runs a flow from its first step to its end as the JS entry does: the `done` value, or the
/// error step.
async fn run(first: String, ctx: &JsValue) -> Result<Value, Value> {
    let mut text = first;
    loop {
        let step: Value = serde_json::from_str(&text).unwrap();
        let Some(e) = step.get("effect") else {
            return if step.get("error").is_some() {
                Err(step)
            } else {
                Ok(step["done"].clone())
            };
        };
        let (ok, value) = match perform(js(e), ctx.clone()).await {
            Ok(v) => (true, v.as_string().unwrap()),
            Err(e) => (false, reason(e)),
        };
        text = tasks::resume(step["task"].as_u64().unwrap() as usize, ok, value);
    }
}

/// The cached access token, as the entry reads it: where it is, then its text.
fn cached(client: u32, mode: Option<&str>) -> Option<String> {
    let slot = web::read_number(client, 5, 0.0, mode.map(str::to_owned), None, None);
    assert!(!slot.is_nan(), "cachedToken failed");
    (slot >= 0.0).then(|| web::read_text(client, 4, None, slot).unwrap())
}

fn is_authenticated(client: u32) -> bool {
    web::read_number(client, 0, 0.0, None, None, None) == 1.0
}

fn href() -> String {
    web_sys::window().unwrap().location().href().unwrap()
}

fn set_address(url: &str) {
    let window = web_sys::window().unwrap();
    let history: JsValue = get(&window, "history");
    let replace: js_sys::Function = get(&history, "replaceState").dyn_into().unwrap();
    replace
        .call3(&history, &JsValue::NULL, &"".into(), &url.into())
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

fn new_client(issuer: &str, extra: Value) -> u32 {
    let mut options = json!({ "issuer": issuer, "clientId": "web-test", "authorizationParams": { "redirect_uri": format!("{}/", origin()) } });
    for (k, v) in extra.as_object().unwrap() {
        options[k] = v.clone();
    }
    let id = create_client(options.to_string(), &origin(), 0);
    assert!(!id.is_nan(), "createClient failed");
    id as u32
}

/// Runs loginWithRedirect with an openUrl that captures the URL; returns (state, nonce).
async fn login(client: u32, app_state: Value) -> (String, String) {
    let captured = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let c2 = captured.clone();
    let open = Closure::<dyn Fn(String)>::new(move |url: String| *c2.borrow_mut() = url);
    let ctx = Object::new();
    Reflect::set(&ctx, &"openUrl".into(), open.as_ref()).unwrap();
    run(
        web::flow(client, 0, Some(app_state.to_string()), None, None, false),
        &ctx.into(),
    )
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
    let jwk: Value =
        serde_json::from_str(&setup_provider(issuer).await.as_string().unwrap()).unwrap();
    let token = sign_rs256(issuer, r#"{"sub":"x"}"#)
        .await
        .as_string()
        .unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let verify = |alg: &str, sig: &str| json!({ "op": "verify", "alg": alg, "jwk": jwk, "input": input, "sig": sig });
    assert_eq!(effect(verify("RS256", sig)).await.as_deref(), Ok("true"));
    let mut bytes = spa_login::core::base64url::decode(sig).unwrap();
    bytes[10] ^= 1;
    let changed = spa_login::core::base64url::encode(&bytes);
    assert_eq!(
        effect(verify("RS256", &changed)).await.as_deref(),
        Ok("false")
    );
    // The same key cannot verify an ES256 signature: WebCrypto refuses the import.
    assert!(effect(verify("ES256", sig)).await.is_err());
}

/// The core hashes in the wasm (no WebCrypto digest): the FIPS 180 examples, one and two
/// blocks, on the wasm32 target itself.
#[wasm_bindgen_test]
fn sha2_in_the_wasm_matches_the_fips_180_vectors() {
    use spa_login::core::jws::HashAlg;
    use spa_login::core::sha2::digest;
    let hex = |alg, data: &str| -> String {
        digest(alg, data.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(
        hex(HashAlg::Sha256, "abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(
            HashAlg::Sha256,
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        ),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(
        hex(HashAlg::Sha384, "abc"),
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
    );
    assert_eq!(
        hex(HashAlg::Sha512, "abc"),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    assert_eq!(
        hex(HashAlg::Sha512, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
    );
}

#[wasm_bindgen_test]
async fn a_failed_effect_fails_its_flow_and_unknown_tasks_are_refused() {
    let client = new_client("https://down.test", json!({}));
    let stored = storage_keys(false);
    let first: Value =
        serde_json::from_str(&web::flow(client, 0, None, None, None, false)).unwrap();
    assert_eq!(first["effect"]["op"], "fetch");
    assert_eq!(
        first["effect"]["url"],
        "https://down.test/.well-known/openid-configuration"
    );
    let task = first["task"].as_u64().unwrap() as usize;
    let failure = json!({ "code": "failed", "message": "offline" }).to_string();
    let end: Value = serde_json::from_str(&tasks::resume(task, false, failure)).unwrap();
    assert_eq!(end["error"], "network_error");
    assert!(end["error_description"]
        .as_str()
        .unwrap()
        .contains("offline"));
    // The task is finished: resuming it again is refused.
    let again: Value = serde_json::from_str(&tasks::resume(task, true, "{}".into())).unwrap();
    assert_eq!(again["error"], "invalid_configuration");
    assert_eq!(
        storage_keys(false),
        stored,
        "no transaction is stored when discovery fails"
    );
}

#[wasm_bindgen_test]
async fn callback_from_the_address_bar_verifies_stores_and_cleans_the_url() {
    let issuer = "https://flow.test";
    setup_provider(issuer).await;
    let client = new_client(issuer, json!({}));
    let (state, nonce) = login(client, json!({ "returnTo": "/orders/7" })).await;
    assert!(
        storage_keys(false).iter().any(|k| k.ends_with(&state)),
        "the transaction is in sessionStorage"
    );
    let (fragment, _) = id_token_response(issuer, &state, &nonce).await;
    set_address(&format!("/?keep=1#{fragment}"));
    take_requests();

    let result = run(
        web::flow(client, 1, Some(href()), None, None, true),
        &JsValue::UNDEFINED,
    )
    .await
    .expect("callback");
    assert_eq!(result, json!({ "appState": { "returnTo": "/orders/7" } }));
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
    assert!(is_authenticated(client));
    let user: Value = serde_json::from_str(&web::read_text(client, 0, None, 0.0).unwrap()).unwrap();
    assert_eq!(user["name"], "Alice");
    assert_eq!(cached(client, None).as_deref(), Some("browser-at-1"));
}

#[wasm_bindgen_test]
async fn tampered_callback_is_rejected_stores_nothing_and_cleans_the_url() {
    let issuer = "https://tamper.test";
    setup_provider(issuer).await;
    let client = new_client(issuer, json!({}));
    let (state, nonce) = login(client, json!(1)).await;
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

    let err = run(
        web::flow(client, 1, Some(href()), None, None, true),
        &JsValue::UNDEFINED,
    )
    .await
    .expect_err("must reject");
    assert_eq!(err["error"], "invalid_id_token");
    assert!(err["error_description"]
        .as_str()
        .unwrap()
        .contains("signature"));
    assert_eq!(err["state"], state.as_str());
    assert_eq!(err["appState"], 1);
    assert_eq!(href(), format!("{}/", origin()));
    assert!(!is_authenticated(client));
    assert_eq!(cached(client, Some("cache-only")), None);
}

#[wasm_bindgen_test]
async fn localstorage_cache_holds_the_session_until_a_local_logout() {
    let issuer = "https://local.test";
    setup_provider(issuer).await;
    let client = new_client(issuer, json!({ "cacheLocation": "localstorage" }));
    let (state, nonce) = login(client, json!(null)).await;
    let (fragment, _) = id_token_response(issuer, &state, &nonce).await;
    run(
        web::flow(
            client,
            1,
            Some(format!("{}/#{fragment}", origin())),
            None,
            None,
            false,
        ),
        &JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    assert_eq!(
        storage_keys(true),
        vec!["spa-login.session.https://local.test web-test".to_string()]
    );

    // A second client (a reload) reads the session back.
    let again = new_client(issuer, json!({ "cacheLocation": "localstorage" }));
    assert_eq!(cached(again, None).as_deref(), Some("browser-at-1"));

    run(
        web::flow(again, 5, None, None, None, false),
        &JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    assert!(storage_keys(true).is_empty());
    assert!(!is_authenticated(again));
}

#[wasm_bindgen_test]
fn bad_options_are_refused_with_invalid_configuration() {
    // A synchronous call that fails answers NaN and keeps its error step for the entry.
    let refused = |options: Value| -> Value {
        let id = create_client(options.to_string(), &origin(), 0);
        assert!(id.is_nan(), "must be refused");
        serde_json::from_str(&web::read_text(0, 7, None, 0.0).unwrap()).unwrap()
    };
    let err = refused(json!({ "issuer": "http://op.example", "clientId": "x" }));
    assert_eq!(err["error"], "invalid_configuration");
    assert!(err["error_description"].as_str().unwrap().contains("https"));
    let err = refused(json!({ "issuer": "https://op.example", "clientId": "x", "nowProvider": 5 }));
    assert_eq!(err["error"], "invalid_configuration");
    assert!(err["error_description"]
        .as_str()
        .unwrap()
        .contains("nowProvider"));
    // The step is taken once.
    assert_eq!(web::read_text(0, 7, None, 0.0), None);
    // A bad cache mode fails cachedToken the same way.
    let client = new_client("https://op.example", json!({}));
    let slot = web::read_number(client, 5, 0.0, Some("sometimes".into()), None, None);
    assert!(slot.is_nan());
    let err: Value = serde_json::from_str(&web::read_text(0, 7, None, 0.0).unwrap()).unwrap();
    assert_eq!(err["error"], "invalid_configuration");
}
