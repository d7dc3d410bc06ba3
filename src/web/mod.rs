//! The browser shell: implements the core's ports with web-sys and exports the JS API. It makes
//! no protocol decisions; `pkg-template/index.js` wraps it into the documented classes.

pub mod crypto;
pub mod http;
pub mod navigation;
pub mod storage;

use crate::core::cache::MemoryStore;
use crate::core::client::{CacheMode, Client, ProviderCache};
use crate::core::config::{CacheLocation, Config};
use crate::core::error::AuthError;
use crate::core::jwks::Jwk;
use crate::core::jws::{HashAlg, JwsAlg};
use crate::core::ports::{KeyValueStore, Ports};
use crate::core::response;
use js_sys::{Function, Object, Promise, Reflect};
use serde_json::Value;
use std::rc::Rc;
use storage::WebStorage;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

struct WebPorts {
    now: Option<Function>,
    transactions: WebStorage,
    tokens: Box<dyn KeyValueStore>,
}

impl Ports for WebPorts {
    fn now_ms(&self) -> f64 {
        self.now
            .as_ref()
            .and_then(|f| f.call0(&JsValue::NULL).ok())
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite())
            .unwrap_or_else(js_sys::Date::now)
    }
    fn random(&self, buf: &mut [u8]) -> Result<(), String> {
        getrandom::fill(buf).map_err(|e| e.to_string())
    }
    fn transactions(&self) -> &dyn KeyValueStore {
        &self.transactions
    }
    fn tokens(&self) -> &dyn KeyValueStore {
        self.tokens.as_ref()
    }
    async fn fetch_text(&self, url: &str) -> Result<String, String> {
        http::fetch_text(url).await
    }
    async fn verify(&self, alg: JwsAlg, jwk: &Jwk, signing_input: &[u8], signature: &[u8]) -> Result<bool, String> {
        crypto::verify(alg, jwk, signing_input, signature).await
    }
    async fn digest(&self, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>, String> {
        crypto::digest(alg, data).await
    }
}

thread_local! {
    /// Discovery and JWKS per issuer, shared by all clients of the page.
    static PROVIDERS: Rc<ProviderCache> = Rc::default();
}

/// An `AuthError` as a plain object; the JS entry turns it into the `AuthError` class.
fn to_js_error(e: AuthError) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("error", JsValue::from_str(e.code()));
    set("error_description", JsValue::from_str(&e.description));
    if let Some(state) = &e.state {
        set("state", JsValue::from_str(state));
    }
    if let Some(app_state) = &e.app_state {
        set("appState", js_sys::JSON::parse(app_state).unwrap_or(JsValue::UNDEFINED));
    }
    set("__spaLogin", JsValue::TRUE);
    o.into()
}

/// A JS value as JSON (functions and undefined members drop out, as JSON.stringify does).
fn to_json(v: &JsValue, what: &str) -> Result<Value, AuthError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| AuthError::config(format!("{what} must be serializable as JSON")))?;
    serde_json::from_str(&text).map_err(|_| AuthError::config(format!("{what} must be serializable as JSON")))
}

fn from_json(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap_or(JsValue::UNDEFINED)
}

fn get(o: &JsValue, key: &str) -> JsValue {
    if o.is_object() {
        Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// An optional function member: `Ok(None)` when absent, an error when present but no function.
fn function(o: &JsValue, key: &str, what: &str) -> Result<Option<Function>, AuthError> {
    let v = get(o, key);
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        v.dyn_into::<Function>().map(Some).map_err(|_| AuthError::config(format!("{what} must be a function")))
    }
}

/// Runs a future on the JS event loop as a promise rejecting with the plain error object.
fn promise<F>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, AuthError>> + 'static,
{
    future_to_promise(async move { f.await.map_err(to_js_error) })
}

#[wasm_bindgen(js_name = createClient)]
pub fn create_client(options: JsValue) -> Promise {
    promise(async move {
        #[cfg(debug_assertions)]
        console_error_panic_hook::set_once();
        let now = function(&options, "nowProvider", "nowProvider")?;
        let config = Config::from_options(&to_json(&options, "options")?, &(navigation::origin() + "/"))?;
        let tokens: Box<dyn KeyValueStore> = match config.cache_location {
            CacheLocation::Memory => Box::<MemoryStore>::default(),
            CacheLocation::LocalStorage => Box::new(WebStorage::local()),
        };
        let ports = WebPorts { now, transactions: WebStorage::session(), tokens };
        let client = Client::new(config, ports, PROVIDERS.with(Rc::clone));
        Ok(WasmClient(Rc::new(client)).into())
    })
}

#[wasm_bindgen]
pub struct WasmClient(Rc<Client<WebPorts>>);

#[wasm_bindgen]
impl WasmClient {
    #[wasm_bindgen(js_name = loginWithRedirect)]
    pub fn login_with_redirect(&self, options: JsValue) -> Promise {
        let client = self.0.clone();
        promise(async move {
            let open_url = function(&options, "openUrl", "openUrl")?;
            let app_state = get(&options, "appState");
            let app_state = if app_state.is_undefined() {
                None
            } else {
                Some(to_json(&app_state, "appState")?.to_string())
            };
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            let url = client.login_url(app_state, Some(&params)).await?;
            navigation::open(&url, open_url.as_ref())
                .await
                .map_err(|e| AuthError::config(format!("openUrl failed: {}", js_sys::Error::from(e).message())))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Validates the response in `url` (default: the address bar) and stores its tokens. When
    /// the URL came from the address bar, the response is removed from it, on success and on
    /// failure alike.
    #[wasm_bindgen(js_name = handleRedirectCallback)]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let client = self.0.clone();
        promise(async move {
            let from_location = url.is_none();
            let url = url.unwrap_or_else(navigation::href);
            let result = client.handle_callback(&url).await;
            if from_location {
                navigation::replace_url(&response::clean_url(&url));
            }
            let app_state = result?;
            let out = Object::new();
            if let Some(text) = app_state {
                let _ = Reflect::set(&out, &"appState".into(), &js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED));
            }
            Ok(out.into())
        })
    }

    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self, options: JsValue) -> Promise {
        let client = self.0.clone();
        promise(async move {
            let mode = get(&options, "cacheMode");
            let mode = CacheMode::parse(if mode.is_undefined() { None } else { Some(mode.as_string().unwrap_or_default()) }.as_deref())?;
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            Ok(client.cached_access_token(Some(&params), mode)?.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t)))
        })
    }

    #[wasm_bindgen(js_name = getUser)]
    pub fn get_user(&self) -> JsValue {
        self.0.user().map_or(JsValue::UNDEFINED, |u| from_json(&Value::Object(u)))
    }

    #[wasm_bindgen(js_name = getIdTokenClaims)]
    pub fn get_id_token_claims(&self) -> JsValue {
        self.0.id_token_claims().map_or(JsValue::UNDEFINED, |entry| {
            let mut claims = entry.claims;
            claims.insert("__raw".into(), Value::String(entry.raw));
            from_json(&Value::Object(claims))
        })
    }

    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.0.is_authenticated()
    }

    pub fn logout(&self, options: JsValue) -> Promise {
        let client = self.0.clone();
        promise(async move {
            let open = get(&options, "openUrl");
            let navigate = open.as_bool() != Some(false);
            let open_url = if navigate { function(&options, "openUrl", "openUrl")? } else { None };
            let params = to_json(&get(&options, "logoutParams"), "logoutParams")?;
            if let Some(url) = client.logout(Some(&params), navigate).await? {
                navigation::open(&url, open_url.as_ref())
                    .await
                    .map_err(|e| AuthError::config(format!("openUrl failed: {}", js_sys::Error::from(e).message())))?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
