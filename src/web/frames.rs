//! The hidden iframe, the popup and Web Locks, from `frames.js`: window plumbing in JS, every
//! decision about the response in the core.

use crate::core::client::AuthorizeRequest;
use crate::core::error::{AuthError, ErrorCode};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/frames.js")]
extern "C" {
    #[wasm_bindgen(js_name = runSilentFrame, catch)]
    async fn run_silent_frame(
        url: &str,
        origin: Option<String>,
        state: &str,
        redirect_uri: &str,
        timeout_ms: f64,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = openPopup)]
    fn open_popup_js(popup: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = runPopup, catch)]
    async fn run_popup(
        popup: &JsValue,
        url: &str,
        origin: Option<String>,
        state: &str,
        redirect_uri: &str,
        timeout_ms: f64,
    ) -> Result<JsValue, JsValue>;
    /// True inside the frame or popup of a flow run by another window of this app.
    #[wasm_bindgen(js_name = isResponseWindow)]
    pub fn is_response_window() -> bool;
    #[wasm_bindgen(js_name = withLock)]
    fn with_lock_js(name: &str, task: &Function) -> Promise;
}

fn flow_error(e: JsValue) -> AuthError {
    let code = js_sys::Reflect::get(&e, &"error".into())
        .ok()
        .and_then(|c| c.as_string());
    match code.as_deref() {
        Some("timeout") => {
            AuthError::new(ErrorCode::Timeout, "the provider did not answer in time")
        }
        Some("popup_cancelled") => AuthError::new(
            ErrorCode::PopupCancelled,
            "the popup was closed before the login finished",
        ),
        _ => AuthError::network("the login window failed"),
    }
}

/// The answer of a frame or popup flow as a callback URL, or its failure as an AuthError.
fn answer(result: Result<JsValue, JsValue>) -> Result<String, AuthError> {
    Ok(result.map_err(flow_error)?.as_string().unwrap_or_default())
}

/// Sends `request` through a hidden iframe; the response as a callback URL.
pub async fn silent(r: &AuthorizeRequest) -> Result<String, AuthError> {
    let origin = r.response_origin.clone();
    answer(run_silent_frame(&r.url, origin, &r.state, &r.redirect_uri, r.timeout_ms).await)
}

/// Opens the popup (or takes the app's own `popup` window) now, while the click that asked for
/// it still counts: browsers block popups opened later.
pub fn open_popup(given: &JsValue) -> Result<JsValue, AuthError> {
    let popup = open_popup_js(given);
    if popup.is_null() || popup.is_undefined() {
        return Err(AuthError::new(
            ErrorCode::PopupBlocked,
            "the browser blocked the login popup",
        ));
    }
    Ok(popup)
}

pub async fn popup(window: &JsValue, r: &AuthorizeRequest) -> Result<String, AuthError> {
    let origin = r.response_origin.clone();
    answer(
        run_popup(
            window,
            &r.url,
            origin,
            &r.state,
            &r.redirect_uri,
            r.timeout_ms,
        )
        .await,
    )
}

/// Runs `task` holding the Web Lock `name`, so tabs do not renew the same token at once.
pub fn with_lock(name: &str, task: impl FnOnce() -> Promise + 'static) -> Promise {
    let task = Closure::once_into_js(task);
    with_lock_js(name, task.unchecked_ref())
}
