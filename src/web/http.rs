//! GET with `fetch`, for discovery and the JWKS.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let failed = |_| "the request failed (offline, blocked by CORS, or refused)".to_string();
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(failed)?
        .unchecked_into();
    if !response.ok() {
        return Err(crate::core::config::msg(&[
            "HTTP status ",
            &crate::core::json::decimal(response.status() as u64),
        ]));
    }
    let body = response.text().map_err(failed)?;
    JsFuture::from(body)
        .await
        .map_err(failed)?
        .as_string()
        .ok_or_else(|| "the body is not text".into())
}
