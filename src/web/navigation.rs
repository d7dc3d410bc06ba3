//! The address bar: reading the callback URL, cleaning it, and leaving for the provider.

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

pub fn href() -> String {
    location().and_then(|l| l.href().ok()).unwrap_or_default()
}

pub fn origin() -> String {
    location().and_then(|l| l.origin().ok()).unwrap_or_default()
}

/// Replaces the current history entry's URL, so tokens do not stay in the address bar, the
/// history, or a bookmark.
pub fn replace_url(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(url));
    }
}

/// Sends the browser to `url`: through the app's `openUrl` when given (awaited if it returns a
/// promise), else `location.assign`.
pub async fn open(url: &str, open_url: Option<&Function>) -> Result<(), JsValue> {
    match open_url {
        Some(f) => {
            let result = f.call1(&JsValue::NULL, &JsValue::from_str(url))?;
            if result.has_type::<Promise>() {
                JsFuture::from(result.unchecked_into::<Promise>()).await?;
            }
            Ok(())
        }
        None => location()
            .ok_or(JsValue::from_str("no location"))?
            .assign(url),
    }
}
