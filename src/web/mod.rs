//! The browser shell: gives the core its ports and exports the flows to the JS entry. It makes
//! no protocol decisions. Web Storage and randomness are called directly; everything
//! asynchronous (fetch, WebCrypto, frames, popups, leaving the page) is an *effect* that the JS
//! entry performs for a task (see `tasks`), so no promise machinery is compiled into the wasm.
//! `pkg-template/index.js` runs the tasks and wraps this into the documented classes.

pub mod effects;
pub mod storage;
pub mod tasks;

use crate::core::base64url;
use crate::core::cache::MemoryStore;
use crate::core::client::{CacheMode, Client, ProviderCache};
use crate::core::config::{self, CacheLocation, Config};
use crate::core::error::{AuthError, Result};
use crate::core::json::{self, Json, Members};
use crate::core::jwks::Jwk;
use crate::core::jws::JwsAlg;
use crate::core::no_drop::NoDropExt;
use crate::core::ports::{
    Failure, FailureKind, KeyValueStore, Ports, WindowAnswer, WindowKind, WindowRequest,
};
use crate::core::text::msg;
use crate::core::token::HttpResponse;
use effects::{perform, Effect};
use std::cell::{Cell, RefCell};
use std::future::Future;
use storage::{Clock, WebStorage};
use tasks::{error_step, start};
use wasm_bindgen::prelude::*;

type FailureOr<T> = std::result::Result<T, Failure>;

struct WebPorts {
    now: Clock,
    transactions: WebStorage,
    tokens: Box<dyn KeyValueStore>,
    hints: WebStorage,
}

impl Ports for WebPorts {
    fn now_ms(&self) -> f64 {
        self.now.read()
    }
    fn real_time_ms(&self) -> f64 {
        storage::now()
    }
    fn random(&self, buf: &mut [u8]) -> std::result::Result<(), String> {
        storage::random(buf)
    }
    fn transactions(&self) -> &dyn KeyValueStore {
        &self.transactions
    }
    fn tokens(&self) -> &dyn KeyValueStore {
        self.tokens.as_ref()
    }
    fn hints(&self) -> &dyn KeyValueStore {
        &self.hints
    }
    fn replace_location(&self, url: &str) {
        storage::replace_location(url)
    }
    fn prefetch(&self, url: &str, timeout_ms: f64) {
        storage::prefetch(url, timeout_ms)
    }
    // The asynchronous ports return the effect's wait itself (`effects::Wait`), which hands the
    // answer to a plain function: no state machine of their own.
    fn fetch_text(
        &self,
        url: &str,
        timeout_ms: f64,
        fresh: bool,
    ) -> impl Future<Output = FailureOr<String>> {
        perform(
            Effect::Fetch {
                url,
                timeout_ms,
                fresh,
            },
            |r| r,
        )
    }
    fn post_form(
        &self,
        url: &str,
        body: &str,
        dpop: Option<&str>,
        timeout_ms: f64,
    ) -> impl Future<Output = FailureOr<HttpResponse>> {
        let effect = Effect::Post {
            url,
            body,
            dpop,
            timeout_ms,
        };
        perform(effect, |answer| {
            let answer = Json::parse(answer?.as_bytes()).unwrap_or(Json::Null);
            let status = answer.get("status").and_then(Json::as_f64).unwrap_or(0.0);
            Ok(HttpResponse {
                status: status as u16,
                body: answer.str_member("body").unwrap_or_default().to_owned(),
                dpop_nonce: answer.str_member("nonce").map(str::to_owned),
            })
        })
    }
    fn dpop_key(&self, name: &str) -> impl Future<Output = FailureOr<Json>> {
        perform(Effect::DpopKey { name }, |answer| {
            Json::parse(answer?.as_bytes())
                .ok_or_else(|| Failure::new(FailureKind::Failed, "the key is not JSON"))
        })
    }
    fn dpop_sign(&self, name: &str, input: &str) -> impl Future<Output = FailureOr<Vec<u8>>> {
        perform(Effect::DpopSign { name, input }, |answer| {
            base64url::decode(&answer?)
                .ok_or_else(|| Failure::new(FailureKind::Failed, "the signature is not base64url"))
        })
    }
    fn dpop_forget(&self, name: &str) -> impl Future<Output = ()> {
        perform(Effect::DpopForget { name }, drop)
    }
    fn verify(
        &self,
        alg: JwsAlg,
        jwk: &Jwk,
        signing_input: &str,
        signature: &[u8],
    ) -> impl Future<Output = std::result::Result<bool, String>> {
        let effect = Effect::Verify {
            alg: alg.name(),
            jwk: jwk.public_jwk(),
            input: signing_input,
            signature: base64url::encode(signature),
        };
        perform(
            effect,
            |answer| Ok(answer.map_err(|f| f.message)? == "true"),
        )
    }
    /// The answer comes back as `{"url": ...}` (the window landed on the redirect URI) or
    /// `{"message": {...}}` (the provider's web_message response, as posted).
    fn window(
        &self,
        kind: WindowKind,
        request: &WindowRequest<'_>,
    ) -> impl Future<Output = FailureOr<WindowAnswer>> {
        perform(Effect::Window { kind, request }, |answer| {
            let mut answer = Json::parse(answer?.as_bytes()).unwrap_or(Json::Null);
            if let Some(Json::Str(url)) = answer.remove("url") {
                return Ok(WindowAnswer::Url(url));
            }
            match answer.remove("message") {
                Some(message) => Ok(WindowAnswer::Message(message)),
                None => Err(Failure::new(
                    FailureKind::Failed,
                    "the window gave no answer",
                )),
            }
        })
    }
    fn open(&self, url: &str) -> impl Future<Output = FailureOr<()>> {
        perform(Effect::Open { url }, |answer| answer.map(drop))
    }
    fn lock(&self, name: &str, watch: Option<&str>) -> impl Future<Output = ()> {
        perform(Effect::Lock { name, watch }, drop)
    }
}

/// Access tokens a session can hold, at most, for numbering them (one per audience and scope).
const TOKEN_SLOTS: f64 = 65536.0;

thread_local! {
    /// Discovery and JWKS per issuer, shared by all clients of the page.
    static PROVIDERS: Cell<Option<&'static ProviderCache>> = const { Cell::new(None) };
}

/// The page's provider cache, made with its first client. Like a client, it lives as long as
/// the page: leaked rather than counted.
fn providers() -> &'static ProviderCache {
    PROVIDERS.get().unwrap_or_else(|| {
        let made: &'static ProviderCache = Box::leak(Box::default());
        PROVIDERS.set(Some(made));
        made
    })
}

/// A JSON argument from the entry (`JSON.stringify` of an option); absent is null. What
/// `JSON.stringify` writes and the strict parser refuses is said in `json::REFUSED`.
fn json_arg(text: Option<String>, what: &str) -> Result<Json> {
    match text {
        None => Ok(Json::Null),
        Some(t) => {
            Json::parse(t.as_bytes()).ok_or_else(|| AuthError::config(msg(&[what, json::REFUSED])))
        }
    }
}

/// A call's `timeoutInSeconds` (JSON text from the entry), checked.
fn timeout_arg(text: Option<String>) -> Result<Option<u64>> {
    let value = json_arg(text, "timeoutInSeconds")?;
    config::seconds(Some(&value), "timeoutInSeconds", false)
}

thread_local! {
    /// The error step of the last synchronous call that failed, until the entry takes it.
    static THROWN: Cell<Option<String>> = const { Cell::new(None) };
}

/// A synchronous call's failure: its error step is kept for the entry to take (`text` op 7),
/// and the call answers NaN. Failing in band, rather than by throwing a JS value, spares the
/// wasm and the glue the machinery that hands JS values over.
fn thrown(e: AuthError) -> f64 {
    THROWN.with(|t| t.set(Some(error_step(&e))));
    f64::NAN
}

fn token_json(token: Option<String>) -> String {
    token.map_or_else(|| "null".into(), |t| Json::Str(t).to_text())
}

thread_local! {
    /// The page's clients, by number: the JS entry holds a client's number and passes it to
    /// every call. Plain exported functions cost less in the wasm and the glue than an exported
    /// class (its borrow checks, its finalizer). A client lives as long as the page, so it is
    /// leaked rather than counted: no reference counting on every call, no drop code.
    static CLIENTS: RefCell<Vec<&'static Client<WebPorts>>> = const { RefCell::new(Vec::new()) };
}

/// The client numbered `id`.
fn at(id: u32) -> &'static Client<WebPorts> {
    CLIENTS
        .with(|c| c.borrow().get(id as usize).copied())
        .unwrap_or_else(|| wasm_bindgen::throw_str("no such client"))
}

/// Validates the options and makes a client (`options`: the options as JSON; `origin`: the
/// page's; `clock`: where host.js keeps its `nowProvider`): its number, or NaN (see `thrown`).
#[wasm_bindgen(js_name = createClient)]
pub fn create_client(options: String, origin: &str, clock: u32) -> f64 {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    let config = match json_arg(Some(options), "options")
        .and_then(|options| Config::from_options(&options, origin))
    {
        Ok(config) => config,
        Err(e) => return thrown(e),
    };
    let tokens: Box<dyn KeyValueStore> = match config.cache_location {
        CacheLocation::Memory => Box::<MemoryStore>::default(),
        CacheLocation::LocalStorage => Box::new(WebStorage::local()),
    };
    let ports = WebPorts {
        now: Clock(clock),
        transactions: WebStorage::session(),
        tokens,
        hints: WebStorage::local(),
    };
    let client = Box::leak(Box::new(Client::new(config, ports, providers())));
    CLIENTS.with(|c| {
        let mut clients = c.borrow_mut();
        clients.push(client);
        clients.len() as f64 - 1.0
    })
}

// The calls of a client, each given its number first.
/// Starts a flow and returns its first step (see `tasks`). `op` names the flow (the
/// numbers of `pkg-template/index.js`); `a` and `b` are its arguments as JSON text
/// (absent: null), `timeout` the call's `timeoutInSeconds` as JSON text, `flag` its one
/// yes/no. One export for every flow keeps one task type, one argument shim and one JS
/// wrapper for all of them.
#[wasm_bindgen]
pub fn flow(
    client: u32,
    op: u8,
    a: Option<String>,
    b: Option<String>,
    timeout: Option<String>,
    flag: bool,
) -> String {
    // resume(task, ok, value): a waiting task gets its effect's answer (`client` is the
    // task's number, `flag` whether the effect succeeded, `a` its value or failure).
    if op == 7 {
        return tasks::resume(client as usize, flag, a.unwrap_or_default());
    }
    let client = at(client);
    start(async move {
        match op {
            // loginWithRedirect(appState, authorizationParams)
            0 => {
                if a.is_some() {
                    json_arg(a.clone(), "appState")?;
                }
                let params = json_arg(b, "authorizationParams")?;
                client
                    .login_with_redirect(a, Some(&params))
                    .no_drop()
                    .await?;
            }
            // handleRedirectCallback(url, from the address bar): validates the response
            // and stores its tokens; a URL from the address bar is cleaned first.
            1 => {
                let url = a.unwrap_or_default();
                let outcome = client.handle_redirect(&url, flag).no_drop().await?;
                return Ok(tasks::app_state(Members::empty(), outcome.app_state.as_deref()).end());
            }
            // getAccessToken past the cache (cacheMode, authorizationParams): the token
            // or null (see `Client::get_access_token`).
            2 => {
                let mode = CacheMode::parse(a.as_deref())?;
                let params = json_arg(b, "authorizationParams")?;
                let timeout = timeout_arg(timeout)?;
                let token = client
                    .get_access_token(Some(&params), mode, timeout)
                    .no_drop()
                    .await?;
                return Ok(token_json(token));
            }
            // checkSession(authorizationParams, asked whatever the session hint says): "not
            // logged in" settles quietly.
            3 => {
                client
                    .check_session(&json_arg(a, "authorizationParams")?, flag)
                    .no_drop()
                    .await?
            }
            // loginWithPopup(authorizationParams): the entry has opened the popup already,
            // while the click still counted.
            4 => {
                let params = json_arg(a, "authorizationParams")?;
                client
                    .login_with_popup(&params, timeout_arg(timeout)?)
                    .no_drop()
                    .await?;
            }
            // generateDpopProof({ url, method, accessToken, nonce }): the proof.
            6 => {
                let options = json_arg(a, "generateDpopProof's options")?;
                let proof = client.generate_dpop_proof(&options).no_drop().await?;
                return Ok(Json::Str(proof).to_text());
            }
            // logout(logoutParams, navigate: false for `openUrl: false`).
            _ => {
                let params = json_arg(a, "logoutParams")?;
                client.logout(Some(&params), flag).no_drop().await?;
            }
        }
        Ok("null".into())
    })
}

/// A client's state read as text (absent: undefined). `op` names what is read (the numbers of
/// `pkg-template/index.js`); `arg` is the URL of 5 and 6, `n` the slot of 4. One export for
/// every read keeps one argument shim in the wasm and one wrapper in the glue.
#[wasm_bindgen(js_name = text)]
pub fn read_text(client: u32, op: u8, arg: Option<String>, n: f64) -> Option<String> {
    let url = arg.unwrap_or_default();
    // `url` without the response it carries (fragment, response parameters of the query);
    // needs no client.
    if op == 6 {
        return Some(crate::core::response::clean_url(&url));
    }
    // The error step of the synchronous call that just answered NaN.
    if op == 7 {
        return THROWN.with(|t| t.take());
    }
    let client = at(client);
    match op {
        // getUser: the user's claims as JSON text.
        0 => client.user().map(|u| u.to_text()),
        // getIdTokenClaims: the ID token's claims plus `__raw`, as JSON text.
        1 => client.id_token_claims().map(|entry| {
            let mut claims = entry.claims;
            claims.set("__raw", Json::Str(entry.raw));
            claims.to_text()
        }),
        // The localStorage entry of this client's session, for `cacheLocation: 'localstorage'`.
        2 => client.uses_local_storage().then(|| client.session_key()),
        // The name tabs of this client talk on (BroadcastChannel).
        3 => Some(client.channel_name()),
        // The text of the token `cachedToken` named.
        4 => client.access_token_at((n % TOKEN_SLOTS) as usize),
        // The state of the response in `url` when this client holds no transaction for it in
        // this tab: the response belongs to another window's flow (see `Client::foreign_state`).
        _ => client.foreign_state(&url),
    }
}

/// A client's state read as a number, or a call answered by one; `n`, `a`, `b` and `c` are
/// the call's arguments. NaN when it failed (see `thrown`).
#[wasm_bindgen(js_name = number)]
pub fn read_number(
    client: u32,
    op: u8,
    n: f64,
    a: Option<String>,
    b: Option<String>,
    c: Option<String>,
) -> f64 {
    let client = at(client);
    match op {
        // isAuthenticated, as 1 or 0.
        0 => client.is_authenticated() as u8 as f64,
        // Changes whenever the session does (login, renewal, logout, another tab).
        1 => client.session_version() as f64,
        // The whole seconds the access token `a` has left, for `detailedResponse`.
        2 => client
            .access_token_expires_in(a.as_deref().unwrap_or_default())
            .unwrap_or(0) as f64,
        // Whether access tokens are DPoP-bound (`Authorization: DPoP`), as 1 or 0.
        3 => client.config.use_dpop as u8 as f64,
        // Another tab logged in (`n` 0) or out (1): take the session from storage, or drop it.
        4 => {
            // What cannot be read now is read at the next call that needs it.
            let _ = client.sync_from_storage(n != 0.0);
            0.0
        }
        // cachedToken(cacheMode `a`, authorizationParams `b`): where the cached access token for
        // these options is, if one is valid: the common case, before every API call, answered
        // without a task. -1 for none, else a number that names the token's text (read it
        // with `text`) for as long as the session does not change.
        5 => {
            let slot = CacheMode::parse(a.as_deref()).and_then(|mode| {
                client.cached_access_token_slot(Some(&json_arg(b, "authorizationParams")?), mode)
            });
            match slot {
                Ok(slot) => slot.map_or(-1.0, |(version, index)| {
                    version as f64 * TOKEN_SLOTS + index as f64
                }),
                Err(e) => thrown(e),
            }
        }
        // dpopAnswer(url `a`, status `n`, WWW-Authenticate `b`, DPoP-Nonce `c`): a resource
        // server's answer to a request with a DPoP proof (`fetchWithAuth`): keeps its nonce;
        // 1 when it asks for the request once more with it.
        _ => client.dpop_answer(
            a.as_deref().unwrap_or_default(),
            n as u16,
            b.as_deref().unwrap_or_default(),
            c.as_deref(),
        ) as u8 as f64,
    }
}
