//! The browser shell: implements the core's ports with web-sys and exports the JS API. It makes
//! no protocol decisions; `pkg-template/index.js` wraps it into the documented classes.

pub mod crypto;
pub mod frames;
pub mod http;
pub mod navigation;
pub mod storage;

use crate::core::cache::MemoryStore;
use crate::core::client::{means_logged_out, CacheMode, Client, Flow, ProviderCache};
use crate::core::config::msg;
use crate::core::config::{CacheLocation, Config};
use crate::core::error::AuthError;
use crate::core::json::Json;
use crate::core::jwks::Jwk;
use crate::core::jws::{HashAlg, JwsAlg};
use crate::core::ports::{KeyValueStore, Ports};
use crate::core::response;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::collections::HashMap;
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
    fn real_time_ms(&self) -> f64 {
        js_sys::Date::now()
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
    async fn verify(
        &self,
        alg: JwsAlg,
        jwk: &Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
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
        set(
            "appState",
            js_sys::JSON::parse(app_state).unwrap_or(JsValue::UNDEFINED),
        );
    }
    set("__spaLogin", JsValue::TRUE);
    o.into()
}

/// A JS value as JSON (functions and undefined members drop out, as JSON.stringify does).
fn to_json(v: &JsValue, what: &str) -> Result<Json, AuthError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Json::Null);
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|text| Json::parse(text.as_bytes()))
        .ok_or_else(|| AuthError::config(msg(&[what, " must be serializable as JSON"])))
}

fn from_json(v: &Json) -> JsValue {
    js_sys::JSON::parse(&v.to_text()).unwrap_or(JsValue::UNDEFINED)
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
        v.dyn_into::<Function>()
            .map(Some)
            .map_err(|_| AuthError::config(msg(&[what, " must be a function"])))
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
        let config = Config::from_options(
            &to_json(&options, "options")?,
            &(navigation::origin() + "/"),
        )?;
        let tokens: Box<dyn KeyValueStore> = match config.cache_location {
            CacheLocation::Memory => Box::<MemoryStore>::default(),
            CacheLocation::LocalStorage => Box::new(WebStorage::local()),
        };
        let ports = WebPorts {
            now,
            transactions: WebStorage::session(),
            tokens,
        };
        let client = Client::new(config, ports, PROVIDERS.with(Rc::clone));
        Ok(WasmClient {
            client: Rc::new(client),
            renewals: Rc::default(),
        }
        .into())
    })
}

#[wasm_bindgen]
pub struct WasmClient {
    client: Rc<Client<WebPorts>>,
    /// Renewals in flight per (audience, scope): concurrent calls share one.
    renewals: Rc<RefCell<HashMap<String, Promise>>>,
}

fn rejected(e: AuthError) -> Promise {
    Promise::reject(&to_js_error(e))
}

fn open_failed(e: JsValue) -> AuthError {
    AuthError::config(msg(&[
        "openUrl failed: ",
        &String::from(js_sys::Error::from(e).message()),
    ]))
}

/// A silent `prompt=none` request through a hidden iframe, its response handled like a
/// redirect callback. Returns the new access token, if the response had one.
async fn renew(client: Rc<Client<WebPorts>>, params: Json) -> Result<Option<String>, AuthError> {
    let request = client
        .authorize_request(None, Some(&params), Flow::Silent)
        .await?;
    let url = frames::silent(&request).await?;
    Ok(client.handle_callback(&url).await?.access_token)
}

#[wasm_bindgen]
impl WasmClient {
    #[wasm_bindgen(js_name = loginWithRedirect)]
    pub fn login_with_redirect(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let open_url = function(&options, "openUrl", "openUrl")?;
            let app_state = get(&options, "appState");
            let app_state = if app_state.is_undefined() {
                None
            } else {
                Some(to_json(&app_state, "appState")?.to_text())
            };
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            let url = client.login_url(app_state, Some(&params)).await?;
            navigation::open(&url, open_url.as_ref())
                .await
                .map_err(open_failed)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Validates the response in `url` (default: the address bar) and stores its tokens. When
    /// the URL came from the address bar, the response is removed from it, on success and on
    /// failure alike. Inside the frame or popup of a flow run by another window, it does
    /// nothing: that window reads the response.
    #[wasm_bindgen(js_name = handleRedirectCallback)]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let out = Object::new();
            if url.is_none() && frames::is_response_window() {
                return Ok(out.into());
            }
            let from_location = url.is_none();
            let url = url.unwrap_or_else(navigation::href);
            let result = client.handle_callback(&url).await;
            if from_location {
                navigation::replace_url(&response::clean_url(&url));
            }
            if let Some(text) = result?.app_state {
                let _ = Reflect::set(
                    &out,
                    &"appState".into(),
                    &js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED),
                );
            }
            Ok(out.into())
        })
    }

    /// A cached token, else a silent renewal shared by concurrent calls for the same audience
    /// and scope and serialized across tabs by a Web Lock.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self, options: JsValue) -> Promise {
        let prepared = (|| {
            let mode = get(&options, "cacheMode");
            let mode = CacheMode::parse(
                if mode.is_undefined() {
                    None
                } else {
                    Some(mode.as_string().unwrap_or_default())
                }
                .as_deref(),
            )?;
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            let cached = self.client.cached_access_token(Some(&params), mode)?;
            Ok::<_, AuthError>((mode, params, cached))
        })();
        let (mode, params, cached) = match prepared {
            Ok(p) => p,
            Err(e) => return rejected(e),
        };
        // The common case, before every API call: a cached token, at once.
        match (cached, mode) {
            (Some(token), _) => return Promise::resolve(&JsValue::from_str(&token)),
            (None, CacheMode::CacheOnly) => return Promise::resolve(&JsValue::UNDEFINED),
            _ => {}
        }
        let key = match self.client.token_key(Some(&params)) {
            Ok((audience, scope)) => msg(&[&audience.unwrap_or_default(), "\n", &scope]),
            Err(e) => return rejected(e),
        };
        if let Some(pending) = self.renewals.borrow().get(&key) {
            return pending.clone();
        }
        let client = self.client.clone();
        let renewals = self.renewals.clone();
        let lock = msg(&["spa-login.renew.", &client.config.client_id, ".", &key]);
        let task_key = key.clone();
        let renewal = frames::with_lock(&lock, move || {
            promise(async move {
                let result = async {
                    // Another tab may have renewed while this one waited for the lock.
                    client.sync_from_storage(false);
                    match client.cached_access_token(Some(&params), CacheMode::On)? {
                        Some(token) if mode == CacheMode::On => Ok(Some(token)),
                        _ => renew(client, params).await,
                    }
                }
                .await;
                // Settled either way: the next call starts afresh (a failure is not shared).
                renewals.borrow_mut().remove(&task_key);
                Ok(result?.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t)))
            })
        });
        self.renewals.borrow_mut().insert(key, renewal.clone());
        renewal
    }

    /// Restores a session with a silent request when none is held; "not logged in" answers of
    /// the provider settle quietly.
    #[wasm_bindgen(js_name = checkSession)]
    pub fn check_session(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            if frames::is_response_window() || client.is_authenticated() {
                return Ok(JsValue::UNDEFINED);
            }
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            match renew(client, params).await {
                Err(e) if means_logged_out(e.code()) => Ok(JsValue::UNDEFINED),
                other => other.map(|_| JsValue::UNDEFINED),
            }
        })
    }

    #[wasm_bindgen(js_name = loginWithPopup)]
    pub fn login_with_popup(&self, options: JsValue) -> Promise {
        let window = match frames::open_popup(&get(&options, "popup")) {
            Ok(w) => w,
            Err(e) => return rejected(e),
        };
        let client = self.client.clone();
        promise(async move {
            let params = to_json(&get(&options, "authorizationParams"), "authorizationParams")?;
            let request = match client
                .authorize_request(None, Some(&params), Flow::Popup)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = Reflect::get(&window, &"close".into())
                        .ok()
                        .and_then(|f| f.dyn_into::<Function>().ok())
                        .map(|f| f.call0(&window));
                    return Err(e);
                }
            };
            let url = frames::popup(&window, &request).await?;
            client.handle_callback(&url).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = getUser)]
    pub fn get_user(&self) -> JsValue {
        self.client
            .user()
            .map_or(JsValue::UNDEFINED, |u| from_json(&u))
    }

    #[wasm_bindgen(js_name = getIdTokenClaims)]
    pub fn get_id_token_claims(&self) -> JsValue {
        self.client
            .id_token_claims()
            .map_or(JsValue::UNDEFINED, |entry| {
                let mut claims = entry.claims;
                claims.set("__raw", Json::Str(entry.raw));
                from_json(&claims)
            })
    }

    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.client.is_authenticated()
    }

    /// Another tab logged in or out: take the session from storage (or drop it).
    #[wasm_bindgen(js_name = syncFromStorage)]
    pub fn sync_from_storage(&self, logged_out: bool) {
        self.client.sync_from_storage(logged_out);
    }

    /// Changes whenever the session does (login, renewal, logout, another tab).
    #[wasm_bindgen(getter, js_name = sessionVersion)]
    pub fn session_version(&self) -> u32 {
        self.client.session_version()
    }

    /// The localStorage entry of this client's session, for `cacheLocation: 'localstorage'`.
    #[wasm_bindgen(getter, js_name = storageKey)]
    pub fn storage_key(&self) -> Option<String> {
        self.client
            .uses_local_storage()
            .then(|| self.client.session_key())
    }

    /// The name tabs of this client talk on (BroadcastChannel).
    #[wasm_bindgen(getter, js_name = channelName)]
    pub fn channel_name(&self) -> String {
        msg(&[
            "spa-login:",
            &self.client.config.issuer,
            ":",
            &self.client.config.client_id,
        ])
    }

    pub fn logout(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let open = get(&options, "openUrl");
            let navigate = open.as_bool() != Some(false);
            let open_url = if navigate {
                function(&options, "openUrl", "openUrl")?
            } else {
                None
            };
            let params = to_json(&get(&options, "logoutParams"), "logoutParams")?;
            if let Some(url) = client.logout(Some(&params), navigate).await? {
                navigation::open(&url, open_url.as_ref())
                    .await
                    .map_err(open_failed)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
