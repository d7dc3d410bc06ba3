//! Web Storage behind the core's `KeyValueStore`. Getting a storage object can itself throw
//! (blocked cookies, sandboxed frames), so the failure is kept and reported on first use.

use crate::core::ports::KeyValueStore;
use wasm_bindgen::JsValue;
use web_sys::Storage;

pub struct WebStorage(Result<Storage, String>);

fn describe(e: JsValue) -> String {
    js_sys::Error::from(e).message().into()
}

impl WebStorage {
    pub fn session() -> WebStorage {
        WebStorage(match web_sys::window().map(|w| w.session_storage()) {
            Some(Ok(Some(s))) => Ok(s),
            Some(Err(e)) => Err(describe(e)),
            _ => Err("sessionStorage is not available".into()),
        })
    }

    pub fn local() -> WebStorage {
        WebStorage(match web_sys::window().map(|w| w.local_storage()) {
            Some(Ok(Some(s))) => Ok(s),
            Some(Err(e)) => Err(describe(e)),
            _ => Err("localStorage is not available".into()),
        })
    }

    fn storage(&self) -> Result<&Storage, String> {
        self.0.as_ref().map_err(Clone::clone)
    }
}

impl KeyValueStore for WebStorage {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.storage()?.get_item(key).map_err(describe)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.storage()?.set_item(key, value).map_err(describe)
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.storage()?.remove_item(key).map_err(describe)
    }
    fn keys(&self) -> Result<Vec<String>, String> {
        let s = self.storage()?;
        let n = s.length().map_err(describe)?;
        Ok((0..n).filter_map(|i| s.key(i).ok().flatten()).collect())
    }
}
