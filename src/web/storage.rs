//! Web Storage behind the core's `KeyValueStore`, and the other browser calls the shell makes
//! synchronously (the clock, randomness). They come from `pkg-template/host.js`, which answers
//! every failure as text instead of throwing: js-sys and web-sys would bring far more into the
//! wasm than these lines use, and catching JS exceptions would bring a table of JS values.

use crate::core::json::Json;
use crate::core::ports::KeyValueStore;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/pkg-template/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(area: u8, key: &str) -> String;
    #[wasm_bindgen(js_name = storeSet)]
    fn store_set(area: u8, key: &str, value: &str) -> String;
    #[wasm_bindgen(js_name = storeRemove)]
    fn store_remove(area: u8, key: &str) -> String;
    #[wasm_bindgen(js_name = storeKeys)]
    fn store_keys(area: u8) -> String;
    #[wasm_bindgen(js_name = random)]
    fn get_random_values(buf: &mut [u8]) -> Option<String>;
    /// The app's `nowProvider` of the client with this number: NaN without one, or when it
    /// does not answer with a finite number.
    fn clock(client: u32) -> f64;
    /// `history.replaceState` to `url`, keeping the history entry's state.
    #[wasm_bindgen(js_name = replaceLocation)]
    pub fn replace_location(url: &str);
    /// Starts fetching `url` (within `timeout_ms`) for a fetch of it soon after to take over.
    pub fn prefetch(url: &str, timeout_ms: f64);
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date)]
    pub fn now() -> f64;
}

/// Fills `buf` from `crypto.getRandomValues`.
pub fn random(buf: &mut [u8]) -> Result<(), String> {
    get_random_values(buf).map_or(Ok(()), Err)
}

/// A client's clock: its `nowProvider`, else the browser's.
pub struct Clock(pub u32);

impl Clock {
    pub fn read(&self) -> f64 {
        let t = clock(self.0);
        if t.is_finite() {
            t
        } else {
            now()
        }
    }
}

/// sessionStorage (`false`) or localStorage (`true`).
pub struct WebStorage(bool);

impl WebStorage {
    pub fn session() -> WebStorage {
        WebStorage(false)
    }

    pub fn local() -> WebStorage {
        WebStorage(true)
    }
}

/// A tagged answer of host.js: '' nothing, '=' and a value, '!' and why the call failed.
fn answer(mut text: String) -> Result<Option<String>, String> {
    match text.as_bytes().first() {
        None => Ok(None),
        Some(b'=') => {
            text.remove(0);
            Ok(Some(text))
        }
        _ => {
            text.remove(0);
            Err(text)
        }
    }
}

impl KeyValueStore for WebStorage {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        answer(store_get(self.0 as u8, key))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        answer(store_set(self.0 as u8, key, value)).map(drop)
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        answer(store_remove(self.0 as u8, key)).map(drop)
    }
    fn keys(&self) -> Result<Vec<String>, String> {
        let list = answer(store_keys(self.0 as u8))?.unwrap_or_default();
        let list = Json::parse(list.as_bytes()).unwrap_or(Json::Null);
        // Web Storage keys are strings: anything else is no list of keys.
        Ok(list.strings().unwrap_or_default())
    }
}
