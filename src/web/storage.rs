//! Web Storage behind the core's `KeyValueStore`, and the few other browser calls the shell
//! makes synchronously (the clock, randomness), imported straight from the page's globals:
//! js-sys and web-sys would bring far more into the wasm than these lines use. Reading a
//! storage object can itself throw (blocked cookies, sandboxed frames), so the failure is kept
//! and reported on first use.

use crate::core::ports::KeyValueStore;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    pub type Storage;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &Storage, key: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &Storage, key: &str, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item(this: &Storage, key: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn key(this: &Storage, index: u32) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, getter)]
    fn length(this: &Storage) -> Result<u32, JsValue>;

    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: JsValue;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn global(target: &JsValue, name: &str) -> Result<JsValue, JsValue>;
    /// `String(e)`: an exception as text ("SecurityError: ...").
    #[wasm_bindgen(js_name = String)]
    fn describe(e: &JsValue) -> String;

    #[wasm_bindgen(js_namespace = Date)]
    pub fn now() -> f64;
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// The app's `nowProvider`.
    pub type Clock;
    #[wasm_bindgen(method, catch)]
    fn call(this: &Clock) -> Result<JsValue, JsValue>;
}

/// Fills `buf` from `crypto.getRandomValues`.
pub fn random(buf: &mut [u8]) -> Result<(), String> {
    get_random_values(buf).map(|_| ()).map_err(|e| describe(&e))
}

impl Clock {
    /// What the app's clock says, if it answers with a finite number.
    pub fn read(&self) -> Option<f64> {
        self.call().ok()?.as_f64().filter(|v| v.is_finite())
    }
}

pub struct WebStorage(Result<Storage, String>);

impl WebStorage {
    fn named(name: &str) -> WebStorage {
        WebStorage(match GLOBAL.with(|g| global(g, name)) {
            Ok(s) if s.is_object() => Ok(s.unchecked_into()),
            Ok(_) => Err(crate::core::text::msg(&[name, " is not available"])),
            Err(e) => Err(describe(&e)),
        })
    }

    pub fn session() -> WebStorage {
        WebStorage::named("sessionStorage")
    }

    pub fn local() -> WebStorage {
        WebStorage::named("localStorage")
    }

    fn storage(&self) -> Result<&Storage, String> {
        self.0.as_ref().map_err(Clone::clone)
    }
}

impl KeyValueStore for WebStorage {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.storage()?.get_item(key).map_err(|e| describe(&e))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.storage()?
            .set_item(key, value)
            .map_err(|e| describe(&e))
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.storage()?.remove_item(key).map_err(|e| describe(&e))
    }
    fn keys(&self) -> Result<Vec<String>, String> {
        let s = self.storage()?;
        let n = s.length().map_err(|e| describe(&e))?;
        Ok((0..n).filter_map(|i| s.key(i).ok().flatten()).collect())
    }
}
