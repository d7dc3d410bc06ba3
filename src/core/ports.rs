//! What the protocol core needs from the outside world, as small traits. The browser shell
//! implements them with web-sys; native tests implement them with fakes.

#![allow(async_fn_in_trait)] // the core runs on one thread: no Send bounds wanted

use super::jwks::Jwk;
use super::jws::{HashAlg, JwsAlg};

/// A string store with the semantics of Web Storage. Every call may fail (a blocked or full
/// storage throws in browsers); the failure text says what happened.
pub trait KeyValueStore {
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    fn remove(&self, key: &str) -> Result<(), String>;
    /// Every key currently in the store.
    fn keys(&self) -> Result<Vec<String>, String>;
}

/// Everything the flows do that is not pure computation.
pub trait Ports {
    /// Milliseconds since the epoch (the `nowProvider` option): the clock tokens are checked by.
    fn now_ms(&self) -> f64;
    /// The machine's own clock, whatever `nowProvider` says: for rate limits.
    fn real_time_ms(&self) -> f64;
    /// Fills `buf` from a CSPRNG (`crypto.getRandomValues` in browsers).
    fn random(&self, buf: &mut [u8]) -> Result<(), String>;
    /// Where transactions live between the redirect and the callback (sessionStorage).
    fn transactions(&self) -> &dyn KeyValueStore;
    /// Where tokens live (memory, or localStorage when asked for).
    fn tokens(&self) -> &dyn KeyValueStore;
    /// GET a JSON document; `Err` for a network failure or a non-2xx status.
    async fn fetch_text(&self, url: &str) -> Result<String, String>;
    /// Verifies a JWS signature with a JWK from the issuer's set; `Ok(false)` for a bad
    /// signature, `Err` when the key cannot be used at all.
    async fn verify(
        &self,
        alg: JwsAlg,
        jwk: &Jwk,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
    async fn digest(&self, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>, String>;
}
