//! What the protocol core needs from the outside world, as small traits. The browser shell
//! implements them with the browser's APIs; native tests implement them with fakes.

#![allow(async_fn_in_trait)] // the core runs on one thread: no Send bounds wanted

use super::json::Json;
use super::jwks::Jwk;
use super::jws::JwsAlg;
use super::token::HttpResponse;

/// A string store with the semantics of Web Storage. Every call may fail (a blocked or full
/// storage throws in browsers); the failure text says what happened.
pub trait KeyValueStore {
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    fn remove(&self, key: &str) -> Result<(), String>;
    /// Every key currently in the store.
    fn keys(&self) -> Result<Vec<String>, String>;
}

/// Why something the browser did for a flow failed: a code the core decides on, and the
/// browser's own words for the description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// No answer within the time given.
    Timeout,
    /// The user closed the popup.
    PopupCancelled,
    /// The popup lost its link to the app (a provider's Cross-Origin-Opener-Policy) and the
    /// browser has no same-origin channel for the response to come back by.
    PopupSevered,
    /// The page's Content Security Policy refused the hidden iframe (or its return to the app).
    FrameBlocked,
    /// Anything else: offline, refused, blocked by CORS, a non-2xx status.
    Failed,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// Which window an authorization request runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// A hidden iframe (`prompt=none`).
    Frame,
    /// The popup the app opened for `loginWithPopup`.
    Popup,
}

/// What a frame or popup brought back.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowAnswer {
    /// The window landed on the redirect URI: its URL, response included.
    Url(String),
    /// The provider posted the response (`response_mode=web_message`): the message's
    /// `response` object, as the provider sent it.
    Message(Json),
}

/// An authorization request the browser runs in a window: where to send it and how to
/// recognise its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRequest<'a> {
    pub url: &'a str,
    pub state: &'a str,
    pub redirect_uri: &'a str,
    /// The provider's origin, as browsers serialize it, when the answer comes as a
    /// `web_message` from there.
    pub response_origin: Option<&'a str>,
    pub timeout_ms: f64,
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
    /// What outlives the browser session whatever `cacheLocation` says (localStorage): the
    /// session hint of `sessionCheckExpiryDays`, never a token.
    fn hints(&self) -> &dyn KeyValueStore;
    /// Replaces the address bar's URL without a new history entry (`history.replaceState`).
    /// Synchronous, as the browser's call is: nothing can come between the response and its
    /// leaving the address bar.
    fn replace_location(&self, url: &str);
    /// Starts fetching `url` without waiting for it: a `fetch_text` of it soon after takes
    /// the answer (the issuer's keys, while the token request is out). Synchronous: there is
    /// nothing to wait for.
    fn prefetch(&self, url: &str, timeout_ms: f64);
    /// GET a document, giving up after `timeout_ms`; a network failure or a non-2xx status is
    /// a `Failed` failure. `fresh`: from the server, past the browser's HTTP cache (a refetch,
    /// where what the cache holds is what failed).
    async fn fetch_text(&self, url: &str, timeout_ms: f64, fresh: bool) -> Result<String, Failure>;
    /// POSTs a form (`application/x-www-form-urlencoded`, CORS, no credentials), with a `DPoP`
    /// header when `dpop` is given, and gives the answer whatever its status: a token
    /// endpoint's errors come with 400.
    async fn post_form(
        &self,
        url: &str,
        body: &str,
        dpop: Option<&str>,
        timeout_ms: f64,
    ) -> Result<HttpResponse, Failure>;
    /// The public half (a JWK) of the DPoP key pair named `name`: made on first use as a
    /// non-extractable ES256 pair, and kept where it outlives a reload (IndexedDB) until
    /// `dpop_forget`.
    async fn dpop_key(&self, name: &str) -> Result<Json, Failure>;
    /// The ES256 signature (r and s, 64 bytes) of `input` with the private key `name`.
    async fn dpop_sign(&self, name: &str, input: &str) -> Result<Vec<u8>, Failure>;
    /// Deletes the key pair `name`: the next proof is from a new key.
    async fn dpop_forget(&self, name: &str);
    /// Verifies a JWS signature with a JWK from the issuer's set; `Ok(false)` for a bad
    /// signature, `Err` when the key cannot be used at all. The signing input is the JWS's
    /// first two segments, ASCII.
    async fn verify(
        &self,
        alg: JwsAlg,
        jwk: &Jwk,
        signing_input: &str,
        signature: &[u8],
    ) -> Result<bool, String>;
    /// Runs an authorization request in a hidden frame or the popup and waits for its answer:
    /// only an answer carrying `request.state`, from the provider's origin or the redirect URI.
    async fn window(
        &self,
        kind: WindowKind,
        request: &WindowRequest<'_>,
    ) -> Result<WindowAnswer, Failure>;
    /// Sends the browser to `url` (the app's `openUrl`, else `location.assign`); fails when the
    /// app's `openUrl` throws.
    async fn open(&self, url: &str) -> Result<(), Failure>;
    /// Takes the lock `name`, shared by the app's tabs (Web Locks), and holds it until the
    /// flow ends; where the browser has none, goes on at once. `watch` is the shared storage
    /// entry the lock guards: the last holder's write to it must be visible before this
    /// returns (browsers deliver one tab's writes to another with a delay).
    async fn lock(&self, name: &str, watch: Option<&str>);
}
