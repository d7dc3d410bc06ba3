//! spa-login: OpenID Connect login for single-page apps: the implicit, code (PKCE) and hybrid
//! flows, refresh tokens, every ID token verified.
//!
//! `core` holds the protocol and never touches the browser; `web` is the thin wasm32 shell that
//! gives the core storage, fetch, WebCrypto and the address bar, and exports the JS API.

pub mod core;

#[cfg(any(target_arch = "wasm32", test))]
mod allocator;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)] // the JS API is the public face; Rust access is for the browser tests
pub mod web;
