//! The flows of docs/API.md, written against the `Ports` traits: no browser in sight.

use super::authorize::{authorize_url, request_params, RANDOM_BYTES};
use super::base64url;
use super::cache::{self, AccessTokenEntry, IdTokenEntry, TokenCache};
use super::config::{CacheLocation, Config, ResponseType};
use super::dpop;
use super::error::{AuthError, ErrorCode, Result};
use super::expiry::Clock;
use super::id_token::{self, Expected};
use super::json::{self, Json, Members};
use super::jwks::{self, Jwks, Selection};
use super::jws::{self, HashAlg};
use super::metadata::{self, ProviderMetadata};
use super::no_drop::NoDropExt;
use super::ports::{Failure, FailureKind, Ports, WindowAnswer, WindowKind, WindowRequest};
use super::response::{self, ResponseParams};
use super::sha2;
use super::text::msg;
use super::token::{self, HttpResponse, TokenSet};
use super::transaction::{self, Transaction, TRANSACTION_TTL_MS};
use super::urls;
use super::urls::check_redirect_uri;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// After a refetch for an unknown `kid`, the next one waits this long (on the machine's clock):
/// a stream of unknown kids must not become a stream of requests. A set fetched for any other
/// reason (not cached yet) is fetched again at once for a `kid` it does not name: the provider
/// may have rotated its keys since, and that one request is what rotation needs.
pub const JWKS_REFETCH_INTERVAL_MS: f64 = 5000.0;

/// Discovery documents and key sets, shared by every client of the page and cached by the URL
/// they were fetched from: two clients of one issuer share them, while a client whose
/// `metadata` option names other endpoints gets its own (each client resolves its metadata
/// from the shared document with its own override on top).
#[derive(Default)]
pub struct ProviderCache {
    /// Discovery URL -> the document's text.
    discovery: ByUrl<Rc<str>>,
    /// `jwks_uri` -> the set, and the machine's time from which an unknown `kid` may fetch it
    /// again (0 for a set not fetched for an unknown kid).
    jwks: ByUrl<(Rc<Jwks>, f64)>,
}

/// Values kept by the URL (or origin) they belong to: a few entries, searched in order.
type ByUrl<T> = RefCell<Vec<(String, T)>>;

fn lookup<T: Clone>(entries: &ByUrl<T>, url: &str) -> Option<T> {
    entries
        .borrow()
        .iter()
        .find(|(k, _)| k == url)
        .map(|(_, v)| v.clone())
}

fn store<T>(entries: &ByUrl<T>, url: &str, value: T) {
    let mut entries = entries.borrow_mut();
    match entries.iter_mut().find(|(k, _)| k == url) {
        Some(slot) => slot.1 = value,
        None => entries.push((url.into(), value)),
    }
}

/// `getAccessToken`'s `cacheMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    On,
    Off,
    CacheOnly,
}

impl CacheMode {
    pub fn parse(s: Option<&str>) -> Result<CacheMode> {
        match s {
            None | Some("on") => Ok(CacheMode::On),
            Some("off") => Ok(CacheMode::Off),
            Some("cache-only") => Ok(CacheMode::CacheOnly),
            Some(other) => Err(AuthError::config(msg(&[
                "cacheMode must be 'on', 'off' or 'cache-only', not '",
                other,
                "'",
            ]))),
        }
    }
}

/// Which way the authorization request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The whole page goes to the provider and comes back.
    Redirect,
    /// A hidden iframe with `prompt=none`.
    Silent,
    /// A popup window.
    Popup,
}

/// An authorization request ready to go, with what the browser shell needs to catch the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizeRequest {
    pub url: String,
    pub state: String,
    pub redirect_uri: String,
    /// Set when the response comes as a `web_message` from this origin (the provider's).
    pub response_origin: Option<String>,
    pub timeout_ms: f64,
}

impl AuthorizeRequest {
    fn for_window(&self) -> WindowRequest<'_> {
        WindowRequest {
            url: &self.url,
            state: &self.state,
            redirect_uri: &self.redirect_uri,
            response_origin: self.response_origin.as_deref(),
            timeout_ms: self.timeout_ms,
        }
    }
}

/// What a successful callback gives back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// JSON text of the transaction's `appState`.
    pub app_state: Option<String>,
    /// The access token of the response, if it had one.
    pub access_token: Option<String>,
}

fn origin_of(url: &str) -> Result<String> {
    urls::parse(url)
        .map(|p| p.origin())
        .ok_or_else(|| AuthError::metadata("authorization_endpoint is not a URL"))
}

/// Provider answers to a `prompt=none` request that mean "the user is not logged in there"
/// (Core 3.1.2.6): `checkSession` settles quietly on them.
pub fn means_logged_out(code: &str) -> bool {
    matches!(
        code,
        "login_required"
            | "consent_required"
            | "interaction_required"
            | "account_selection_required"
    )
}

/// What a logout does once the session is forgotten.
struct LogoutPlan {
    return_to: Option<String>,
    /// The app's other `logoutParams`, passed on.
    extra_pairs: Vec<(String, String)>,
    id_token_hint: Option<String>,
    refresh_tokens: Vec<String>,
    /// Auth0's `federated`: log out of the upstream identity provider too.
    federated: bool,
}

/// What an ID token must match beyond the client and the clock.
pub struct Checks<'a> {
    /// The login's nonce; `None` for a refresh.
    pub nonce: Option<&'a str>,
    pub max_age: Option<u64>,
    /// Auth0 Organizations: the `organization` the request named, which the ID token's
    /// `org_id` or `org_name` must be.
    pub organization: Option<&'a str>,
    /// The access token `at_hash` is over, and whether the claim must be there (implicit) or
    /// is checked where present (token endpoint).
    pub at_hash: Option<(&'a str, bool)>,
    /// The code `c_hash` is over (hybrid flow): required.
    pub c_hash: Option<&'a str>,
}

/// What a flow brought, verified, for the cache.
struct Tokens {
    id_token: Option<IdTokenEntry>,
    access_token: Option<String>,
    expires_in: u64,
    refresh_token: Option<String>,
    /// A refresh: the refresh token it used, which `refresh_token` replaces wherever it is held
    /// (with rotation a new one; without, the same).
    refreshed_with: Option<String>,
}

impl<'a> Checks<'a> {
    /// An implicit response's ID token: the login's nonce (and `max_age`), and `at_hash`,
    /// required, when an access token came with it.
    pub fn implicit(nonce: &'a str, max_age: Option<u64>, access_token: Option<&'a str>) -> Self {
        Checks {
            nonce: Some(nonce),
            max_age,
            organization: None,
            at_hash: access_token.map(|t| (t, true)),
            c_hash: None,
        }
    }
}

/// Two ID tokens name the same subject: the same `iss` and `sub` (Core 3.3.2.12, the hybrid
/// flow's two tokens). `refreshed`: the new one came from a refresh, and Core 12.2 asks more of
/// it: the same audiences (one may be written as a string or as a list of one, RFC 7519
/// 4.1.3), the same `azp` or none where the first had none, and `auth_time`, where both have
/// it, still the time of the first authentication. Both have passed `validate_claims`.
fn same_subject(held: &Json, new: &Json, refreshed: bool) -> Result<()> {
    let differs = |claim: &str| {
        Err(AuthError::id_token(msg(&[
            "the new ID token's ",
            claim,
            " differs from the one held",
        ])))
    };
    for claim in ["iss", "sub"] {
        if held.get(claim).is_none() || held.get(claim) != new.get(claim) {
            return differs(claim);
        }
    }
    if refreshed {
        // As sets: each list within the other (a few audiences; no sort, whose code is large).
        let (first, now) = (id_token::audiences(held)?, id_token::audiences(new)?);
        let within = |a: &[String], b: &[String]| a.iter().all(|x| b.contains(x));
        if !within(&first, &now) || !within(&now, &first) {
            return differs("aud");
        }
        if held.get("azp") != new.get("azp") {
            return differs("azp");
        }
        let auth_time = |claims: &Json| claims.get("auth_time").and_then(Json::as_f64);
        if let (Some(first), Some(now)) = (auth_time(held), auth_time(new)) {
            if first != now {
                return differs("auth_time");
            }
        }
    }
    Ok(())
}

/// The code exchange's grant (RFC 6749 4.1.3, RFC 7636 4.5) but for the code, which follows
/// it last: a redirect login's page may send it before the module is ready, and the callback's
/// own body must then be the same bytes (`early_exchange`).
fn code_grant<'a>(
    redirect_uri: &'a str,
    client_id: &'a str,
    verifier: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ]
}

/// base64url(SHA-256(text)): a PKCE challenge, a DPoP `ath`.
fn sha256(text: &str) -> String {
    base64url::encode(&sha2::digest(HashAlg::Sha256, text.as_bytes()))
}

/// A failed request to the provider as the error the app sees.
fn fetch_error(what: &str, url: &str, failure: Failure) -> AuthError {
    let code = match failure.kind {
        FailureKind::Timeout => ErrorCode::Timeout,
        _ => ErrorCode::NetworkError,
    };
    AuthError::new(
        code,
        msg(&[what, " at ", url, " failed: ", &failure.message]),
    )
}

/// A frame or popup that brought no answer, as the error the app sees.
fn window_error(failure: Failure) -> AuthError {
    let (code, text) = match failure.kind {
        FailureKind::Timeout => (ErrorCode::Timeout, "the provider did not answer in time"),
        FailureKind::PopupCancelled => (
            ErrorCode::PopupCancelled,
            "the popup was closed before the login finished",
        ),
        FailureKind::PopupSevered => (
            ErrorCode::PopupSevered,
            "the popup lost its link to this window (the provider's Cross-Origin-Opener-Policy) and this browser has no same-origin channel for the response: use loginWithRedirect",
        ),
        FailureKind::FrameBlocked => (
            ErrorCode::FrameBlocked,
            "the page's Content Security Policy (frame-src) blocked the hidden iframe",
        ),
        FailureKind::Failed => (ErrorCode::NetworkError, "the login window failed"),
    };
    let mut description = String::from(text);
    if !failure.message.is_empty() {
        description.push_str(": ");
        description.push_str(&failure.message);
    }
    AuthError::new(code, description)
}

pub struct Client<P: Ports> {
    pub config: Config,
    pub ports: P,
    provider: &'static ProviderCache,
    /// This client's provider metadata, once resolved.
    metadata: RefCell<Option<Rc<ProviderMetadata>>>,
    cache: RefCell<TokenCache>,
    /// Counts logouts (here or in another tab). A flow remembers the count it started with and
    /// stores nothing if it changed meanwhile: a logout cancels every flow in flight.
    logouts: Cell<u32>,
    /// DPoP: the latest nonce each server (by origin) gave.
    dpop_nonces: ByUrl<String>,
    /// Refresh tokens this client has spent or seen refused: never sent again, also when
    /// storage could not forget them (a full or blocked localStorage keeps the session as it
    /// was, and the next sync reads it back), since a provider that detects reuse revokes the
    /// whole grant.
    spent: RefCell<Vec<String>>,
}

impl<P: Ports> Client<P> {
    pub fn new(config: Config, ports: P, provider: &'static ProviderCache) -> Self {
        let key = cache::session_key(&config.issuer, &config.client_id);
        let cache = RefCell::new(TokenCache::load(ports.tokens(), key));
        Client {
            config,
            ports,
            provider,
            metadata: RefCell::default(),
            cache,
            logouts: Cell::new(0),
            dpop_nonces: RefCell::default(),
            spent: RefCell::default(),
        }
    }

    fn clock(&self) -> Clock {
        Clock {
            now_ms: self.ports.now_ms(),
            leeway_ms: self.config.leeway_secs as f64 * 1000.0,
        }
    }

    fn http_timeout_ms(&self) -> f64 {
        self.config.http_timeout_secs as f64 * 1000.0
    }

    /// The provider's metadata: discovered when first needed (the document shared with other
    /// clients of the page), with this client's `metadata` option on top.
    pub async fn metadata(&self) -> Result<Rc<ProviderMetadata>> {
        if let Some(md) = self.metadata.borrow().clone() {
            return Ok(md);
        }
        let discovered = if self.config.metadata.is_complete() {
            None
        } else {
            let url = metadata::discovery_url(&self.config.issuer);
            match lookup(&self.provider.discovery, &url) {
                Some(text) => Some((url, text, true)),
                None => {
                    let text = self
                        .ports
                        .fetch_text(&url, self.http_timeout_ms(), false)
                        .no_drop()
                        .await
                        .map_err(|e| fetch_error("discovery", &url, e))?;
                    Some((url, text.into(), false))
                }
            }
        };
        let md = Rc::new(metadata::resolve(
            discovered.as_ref().map(|(_, text, _)| &**text),
            &self.config.metadata,
            &self.config.issuer,
        )?);
        // Kept once it made good metadata: a malformed document is fetched again next time.
        if let Some((url, text, false)) = discovered {
            store(&self.provider.discovery, &url, text);
        }
        *self.metadata.borrow_mut() = Some(md.clone());
        Ok(md)
    }

    /// Where a login left the page with its discovery document in the transaction (`carried`)
    /// and this page has none: the page takes it as if it had fetched it, and this client its
    /// metadata, if the document makes good metadata for this client (one that does not is
    /// left, and discovery asked again).
    fn adopt_discovery(&self, carried: Option<&str>) {
        let Some(text) = carried else { return };
        if self.config.metadata.is_complete() || self.discovery_text().is_some() {
            return;
        }
        if let Ok(md) = metadata::resolve(Some(text), &self.config.metadata, &self.config.issuer) {
            let url = metadata::discovery_url(&self.config.issuer);
            store(&self.provider.discovery, &url, Rc::from(text));
            *self.metadata.borrow_mut() = Some(Rc::new(md));
        }
    }

    /// The discovery document this client's metadata comes from, if the page holds it.
    fn discovery_text(&self) -> Option<Rc<str>> {
        if self.config.metadata.is_complete() {
            return None;
        }
        lookup(
            &self.provider.discovery,
            &metadata::discovery_url(&self.config.issuer),
        )
    }

    /// The issuer's key set from the document at its `jwks_uri`, kept for the page's clients.
    fn keep_jwks(&self, md: &ProviderMetadata, text: &str, next_refetch: f64) -> Result<Rc<Jwks>> {
        let set = Rc::new(jwks::parse(text).ok_or_else(|| {
            AuthError::new(
                ErrorCode::InvalidJwks,
                msg(&[
                    "the document at ",
                    &md.jwks_uri,
                    " is not a JSON Web Key Set",
                ]),
            )
        })?);
        store(
            &self.provider.jwks,
            &md.jwks_uri,
            (set.clone(), next_refetch),
        );
        Ok(set)
    }

    /// `loginWithRedirect`: stores a new transaction and sends the browser to the provider.
    pub async fn login_with_redirect(
        &self,
        app_state: Option<String>,
        overrides: Option<&Json>,
    ) -> Result<()> {
        let url = self
            .authorize_request(app_state, overrides, Flow::Redirect)
            .no_drop()
            .await?
            .url;
        self.ports
            .open(&url)
            .no_drop()
            .await
            .map_err(|f| AuthError::config(msg(&["openUrl failed: ", &f.message])))
    }

    /// Stores a new transaction and returns the URL of its authorization request.
    pub async fn login_url(
        &self,
        app_state: Option<String>,
        overrides: Option<&Json>,
    ) -> Result<String> {
        Ok(self
            .authorize_request(app_state, overrides, Flow::Redirect)
            .no_drop()
            .await?
            .url)
    }

    /// Stores a new transaction and builds the authorization request for one of the flows.
    pub async fn authorize_request(
        &self,
        app_state: Option<String>,
        overrides: Option<&Json>,
        flow: Flow,
    ) -> Result<AuthorizeRequest> {
        let mut params = request_params(&self.config, overrides)?.into_owned();
        let md = self.metadata().no_drop().await?;
        if flow == Flow::Silent {
            params.insert("prompt", "none".into());
            params.insert("redirect_uri", self.config.silent_redirect_uri.clone());
        }
        // Where the provider can post the response to the opener or parent window (Auth0 does),
        // that is the way back from frames and popups: no page of ours needs to load in them.
        let response_origin = match flow {
            Flow::Silent | Flow::Popup
                if md
                    .response_modes_supported
                    .iter()
                    .any(|m| m == "web_message") =>
            {
                params.insert("response_mode", "web_message".into());
                Some(origin_of(&md.authorization_endpoint)?)
            }
            _ => None,
        };
        let (state, nonce) = self.state_and_nonce()?;
        let leaves_page = flow == Flow::Redirect;
        let response_type = ResponseType::parse(params.at("response_type"))
            .ok_or_else(|| AuthError::config("unknown response_type"))?;
        if self.config.use_dpop && !response_type.has_code() {
            return Err(AuthError::config(
                "useDpop needs a code flow: an implicit response_type brings tokens that cannot be bound",
            ));
        }
        let code_verifier = match response_type.has_code() {
            true => {
                let (verifier, challenge) = self.pkce()?;
                params.insert("code_challenge", challenge);
                params.insert("code_challenge_method", "S256".into());
                Some(verifier)
            }
            false => None,
        };
        // Where an answer that lands on the redirect URI must come (a web_message answer is
        // posted instead, and any answer posted is taken as such).
        let response_mode = match params.get("response_mode") {
            Some(mode @ ("query" | "fragment")) => mode.to_owned(),
            _ => response_type.default_mode().into(),
        };
        let now = self.ports.now_ms();
        let redirect_uri = params.at("redirect_uri");
        let prefetch = leaves_page.then(|| {
            let early = Members::new("url", &md.jwks_uri).ms("timeoutMs", self.http_timeout_ms());
            match self.early_exchange(
                &md,
                response_type,
                &response_mode,
                redirect_uri,
                code_verifier.as_deref(),
            ) {
                Some(exchange) => early.raw("exchange", &exchange),
                None => early,
            }
            .end()
        });
        let tx = Transaction {
            issuer: self.config.issuer.clone(),
            client_id: self.config.client_id.clone(),
            state,
            nonce,
            redirect_uri: redirect_uri.into(),
            response_type: params.at("response_type").into(),
            response_mode,
            code_verifier,
            scope: params.at("scope").into(),
            audience: params.get("audience").map(str::to_owned),
            max_age: params.get("max_age").and_then(json::parse_decimal),
            organization: params.get("organization").map(str::to_owned),
            app_state,
            // For the page the provider sends the browser back to; frames and popups answer to
            // this page, which holds the document already and fetches the keys itself.
            discovery: leaves_page
                .then(|| self.discovery_text().map(|text| String::from(&*text)))
                .flatten(),
            prefetch,
            expires_at: now + TRANSACTION_TTL_MS,
        };
        let url = authorize_url(&md, &self.config.client_id, &params, &tx);
        let store = self.ports.transactions();
        transaction::sweep_expired(store, &self.config.issuer, &self.config.client_id, now);
        transaction::save(store, &tx)?;
        Ok(AuthorizeRequest {
            url,
            state: tx.state,
            redirect_uri: tx.redirect_uri,
            response_origin,
            timeout_ms: self.config.authorize_timeout_secs as f64 * 1000.0,
        })
    }

    /// A fresh PKCE pair (RFC 7636 4.1, 4.2): a verifier of 43 unreserved characters from 256
    /// random bits, and its S256 challenge, base64url(SHA-256(verifier)). Never `plain`.
    fn pkce(&self) -> Result<(String, String)> {
        let verifier = self.random_value()?;
        let challenge = sha256(&verifier);
        Ok((verifier, challenge))
    }

    /// The code exchange of a redirect login's plain success, for the callback page to send as
    /// it loads, while the module that checks the response compiles (pkg-template/effects.js,
    /// `warmUp`): the token endpoint, and the form body the callback sends but for the code,
    /// which comes last ([`code_grant`]). The page sends it only for an address that passes
    /// every check this core makes before it sends a code (`plainCode` there: the code, the
    /// state, `iss` as flagged below and `session_state`, nothing else), and the callback's own
    /// POST of that body takes it over. None where the callback's request cannot be known in
    /// advance or a check comes before it: with DPoP (a fresh proof per request), for the
    /// hybrid flow (its front ID token first), and for a response asked for in the fragment.
    fn early_exchange(
        &self,
        md: &ProviderMetadata,
        response_type: ResponseType,
        response_mode: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
    ) -> Option<String> {
        if response_type != ResponseType::Code || response_mode != "query" || self.config.use_dpop {
            return None;
        }
        let body = token::form(&code_grant(redirect_uri, &self.config.client_id, verifier?));
        // Until when the page may send it, by the browser's own clock (the page has no other
        // yet): ten minutes before the transaction expires by the app's, which may run apart.
        let until = self.ports.real_time_ms() + TRANSACTION_TTL_MS - 600_000.0;
        let mut exchange = Members::new("url", md.token_endpoint.as_deref()?)
            .str("body", &msg(&[&body, "&code="]))
            .ms("until", until);
        // RFC 9207: where the provider promises `iss`, a response without it is refused.
        if md.iss_parameter_supported {
            exchange = exchange.raw("iss", "true");
        }
        Some(exchange.end())
    }

    /// Fills `bytes` from the CSPRNG.
    fn fill_random(&self, bytes: &mut [u8]) -> Result<()> {
        self.ports
            .random(bytes)
            .map_err(|e| AuthError::config(msg(&["no secure random source: ", &e])))
    }

    /// 256 fresh random bits, base64url: a PKCE verifier, a DPoP `jti`.
    fn random_value(&self) -> Result<String> {
        let mut bytes = [0u8; RANDOM_BYTES];
        self.fill_random(&mut bytes)?;
        Ok(base64url::encode(&bytes))
    }

    /// Fresh `state` and `nonce`, 256 bits each, never equal (Core 15.5.2).
    fn state_and_nonce(&self) -> Result<(String, String)> {
        let mut bytes = [0u8; 2 * RANDOM_BYTES];
        loop {
            self.fill_random(&mut bytes)?;
            let (a, b) = bytes.split_at(RANDOM_BYTES);
            if a != b {
                return Ok((base64url::encode(a), base64url::encode(b)));
            }
        }
    }

    /// `handleRedirectCallback`: validates the whole response in `url`, then stores the tokens;
    /// on any failure nothing is stored. When the URL is the address bar's, the response leaves
    /// it first, before anything is waited for (discovery, keys): a provider that hangs must
    /// not leave tokens in the address bar and the history.
    pub async fn handle_redirect(&self, url: &str, from_location: bool) -> Result<Outcome> {
        if from_location {
            self.ports.replace_location(&response::clean_url(url));
        }
        let logouts = self.logouts.get();
        self.handle_response(
            response::params_from_url(url),
            &|| response::lone_state(url),
            logouts,
        )
        .no_drop()
        .await
    }

    /// `handleRedirectCallback(url)` with a URL that is not the address bar's.
    pub async fn handle_callback(&self, url: &str) -> Result<Outcome> {
        self.handle_redirect(url, false).no_drop().await
    }

    /// The state of a response in `url` for which this client holds no transaction here: the
    /// response of another window's flow (a popup whose opener link was cut, say).
    pub fn foreign_state(&self, url: &str) -> Option<String> {
        let state = match response::params_from_url(url) {
            Ok(params) => params.state?,
            Err(_) => response::lone_state(url)?,
        };
        let config = &self.config;
        let held = transaction::peek(
            self.ports.transactions(),
            &config.issuer,
            &config.client_id,
            &state,
        );
        held.is_none().then_some(state)
    }

    /// The response of a flow: its transaction used up, then checked and stored. `lone_state`
    /// names the state of a response that failed to decode, whose transaction is used up too.
    async fn handle_response(
        &self,
        params: Result<ResponseParams>,
        lone_state: &dyn Fn() -> Option<String>,
        logouts: u32,
    ) -> Result<Outcome> {
        let (issuer, client_id) = (&self.config.issuer, &self.config.client_id);
        let params = match params {
            Ok(params) => params,
            Err(e) => {
                let Some(state) = lone_state() else {
                    return Err(e);
                };
                let now = self.ports.now_ms();
                let store = self.ports.transactions();
                let tx = transaction::take(store, issuer, client_id, &state, now).ok();
                return Err(e.with_context(
                    Some(&state),
                    tx.as_ref().and_then(|t| t.app_state.as_deref()),
                ));
            }
        };
        let state = params.state.clone().ok_or_else(|| {
            AuthError::state("the response has no state; its tokens were dropped")
        })?;
        let tx = transaction::take(
            self.ports.transactions(),
            issuer,
            client_id,
            &state,
            self.ports.now_ms(),
        )
        .map_err(|e| e.with_context(Some(&state), None))?;
        let access_token = self
            .complete(&params, &tx, logouts)
            .no_drop()
            .await
            .map_err(|e| e.with_context(Some(&state), tx.app_state.as_deref()))?;
        Ok(Outcome {
            app_state: tx.app_state,
            access_token,
        })
    }

    /// Checks a response against its transaction and stores its tokens; returns the access
    /// token. `logouts` is the logout count when the flow started: after a logout, nothing.
    async fn complete(
        &self,
        params: &ResponseParams,
        tx: &Transaction,
        logouts: u32,
    ) -> Result<Option<String>> {
        self.adopt_discovery(tx.discovery.as_deref());
        let md = self.metadata().no_drop().await?;
        let response_type = ResponseType::parse(&tx.response_type)
            .ok_or_else(|| AuthError::state("the stored login transaction is unreadable"))?;
        // Before anything else, error responses included (RFC 9207): a code from another
        // issuer is never sent anywhere, and another issuer's error is not this one's.
        response::check_iss(
            params,
            &self.config.issuer,
            md.iss_parameter_supported,
            response_type.wants_id_token(),
        )?;
        if let Some(error) = response::provider_error(params) {
            return Err(error);
        }
        response::check_mode(params, &tx.response_mode)?;
        let tokens = if response_type.has_code() {
            self.exchange_code(params, tx, response_type, &md)
                .no_drop()
                .await?
        } else {
            let tokens = response::check_tokens(params, response_type)?;
            let id_token = match &tokens.id_token {
                Some(raw) => Some(
                    self.verify_id_token(
                        raw,
                        &Checks {
                            organization: tx.organization.as_deref(),
                            ..Checks::implicit(
                                &tx.nonce,
                                tx.max_age,
                                tokens.access_token.as_deref(),
                            )
                        },
                        &md,
                    )
                    .no_drop()
                    .await?,
                ),
                None => None,
            };
            Tokens {
                id_token,
                access_token: tokens.access_token,
                expires_in: tokens.expires_in,
                refresh_token: None,
                refreshed_with: None,
            }
        };
        // Cached under the scope asked for: a provider that grants less (or names only the
        // API's scopes) would otherwise make every later call for the same scope miss.
        self.store(tokens, tx.audience.clone(), tx.scope.clone(), logouts)
    }

    /// Stores what a flow brought; returns the access token. Checked after the flow's last
    /// wait and right before storing, with nothing in between: after a logout, nothing.
    fn store(
        &self,
        tokens: Tokens,
        audience: Option<String>,
        scope: String,
        logouts: u32,
    ) -> Result<Option<String>> {
        self.catch_up()?;
        self.still_logged_in(logouts)?;
        let clock = self.clock();
        let access_token = tokens.access_token.map(|token| AccessTokenEntry {
            access_token: token,
            audience,
            scope,
            expires_at: clock.now_ms + tokens.expires_in as f64 * 1000.0,
            refresh_token: tokens.refresh_token,
        });
        let token = access_token.as_ref().map(|t| t.access_token.clone());
        let replaced = self.cache.borrow_mut().save(
            self.ports.tokens(),
            tokens.id_token,
            access_token,
            tokens.refreshed_with.as_deref(),
            &clock,
        )?;
        if replaced {
            self.session_ended();
        }
        self.set_hint();
        Ok(token)
    }

    /// The session hint of `sessionCheckExpiryDays` (auth0-spa-js's "is authenticated"
    /// cookie), a localStorage entry: until when `checkSession` may ask the provider. Set again,
    /// that many days from now, whenever a flow stores a session. Best effort: a storage that
    /// refuses it costs a request, no more (see `session_hinted`).
    fn set_hint(&self) {
        if let Some(days) = self.config.session_check_days {
            let until = self.ports.real_time_ms() + days * 86_400_000.0;
            let _ = self
                .ports
                .hints()
                .set(&self.hint_key(), &json::decimal(until as u64));
        }
    }

    /// Removes the hint as the session ends here, whatever this client's options: another
    /// client of the same issuer and client id (an `Auth0Client` page) may have set it.
    fn drop_hint(&self) {
        let _ = self.ports.hints().remove(&self.hint_key());
    }

    /// The hint as stored (`Err`: the storage cannot be read).
    fn hint(&self) -> std::result::Result<Option<String>, String> {
        self.ports.hints().get(&self.hint_key())
    }

    /// Whether `checkSession` may ask the provider, `hint` being the stored one (with
    /// `sessionCheckExpiryDays`): while it is not past its time (by the machine's clock, as a
    /// cookie's expiry). A storage that cannot keep a hint (it throws, or it is full) is no
    /// reason not to ask: then every check asks, as without the option.
    fn session_hinted(&self, hint: &std::result::Result<Option<String>, String>) -> bool {
        match hint {
            // Read as JSON: std's float parsing would bring kilobytes of tables into the wasm.
            Ok(Some(until)) => Json::parse(until.as_bytes())
                .and_then(|until| until.as_f64())
                .is_some_and(|until| until > self.ports.real_time_ms()),
            // None kept: none was set, or none could be. A probe tells (an expired hint).
            Ok(None) => {
                let store = self.ports.hints();
                let key = self.hint_key();
                store
                    .set(&key, "0")
                    .and_then(|()| store.remove(&key))
                    .is_err()
            }
            Err(_) => true,
        }
    }

    fn hint_key(&self) -> String {
        msg(&[
            "spa-login.hint.",
            &self.config.issuer,
            " ",
            &self.config.client_id,
        ])
    }

    /// With a localStorage cache the app's tabs share one stored session, and each hears of
    /// the others' writes only later (a storage event, a channel message). Before this tab
    /// writes the session it takes in what is stored, so that its write never undoes another
    /// tab's: a logout or another user's login there ends the session this tab's flows began
    /// in (what they bring is dropped), and tokens another tab added for the same user stay.
    fn catch_up(&self) -> Result<()> {
        match self.uses_local_storage() {
            true => self.sync_from_storage(false),
            false => Ok(()),
        }
    }

    /// The session held has ended (a logout, here or in another tab, or another user's session
    /// in its place): every flow in flight for it is cancelled, and stores nothing.
    fn session_ended(&self) {
        self.logouts.set(self.logouts.get().wrapping_add(1));
    }

    /// `login_required` when the session a flow began in (when the count was `logouts`) has
    /// ended since: what the flow brings, or would change, is dropped, so that no token obtained
    /// for one user ever lands in another's session.
    fn still_logged_in(&self, logouts: u32) -> Result<()> {
        if self.logouts.get() != logouts {
            return Err(AuthError::new(
                ErrorCode::LoginRequired,
                "the session ended (a logout, or another user's login) while this flow was in flight; what it brought was dropped",
            ));
        }
        Ok(())
    }

    /// The code flows: the front-channel ID token of `code id_token` verified first (with
    /// `c_hash`), then the code exchanged with the transaction's PKCE verifier at this issuer's
    /// token endpoint, and the token response's ID token verified like any other.
    async fn exchange_code(
        &self,
        params: &ResponseParams,
        tx: &Transaction,
        response_type: ResponseType,
        md: &ProviderMetadata,
    ) -> Result<Tokens> {
        let answer = response::check_code(params, response_type)?;
        let front = match &answer.id_token {
            Some(raw) => Some(
                self.verify_id_token(
                    raw,
                    &Checks {
                        nonce: Some(&tx.nonce),
                        max_age: tx.max_age,
                        organization: tx.organization.as_deref(),
                        at_hash: None,
                        c_hash: Some(&answer.code),
                    },
                    md,
                )
                .no_drop()
                .await?,
            ),
            None => None,
        };
        let verifier = tx
            .code_verifier
            .as_deref()
            .ok_or_else(|| AuthError::state("the stored login transaction has no PKCE verifier"))?;
        let [grant_type, redirect_uri, client_id, code_verifier] =
            code_grant(&tx.redirect_uri, &self.config.client_id, verifier);
        let set = self
            .token_request(
                md,
                &[
                    grant_type,
                    redirect_uri,
                    client_id,
                    code_verifier,
                    ("code", &answer.code),
                ],
            )
            .no_drop()
            .await?;
        let wants_id_token = tx.scope.split(' ').any(|s| s == "openid");
        let id_token = match (&set.id_token, wants_id_token) {
            (Some(raw), _) => Some(
                self.verify_id_token(
                    raw,
                    &Checks {
                        nonce: Some(&tx.nonce),
                        max_age: tx.max_age,
                        organization: tx.organization.as_deref(),
                        at_hash: Some((&set.access_token, false)),
                        c_hash: None,
                    },
                    md,
                )
                .no_drop()
                .await?,
            ),
            (None, true) => {
                return Err(AuthError::response(
                    "the token response has no id_token, and openid was asked for",
                ))
            }
            (None, false) => None,
        };
        if let (Some(front), Some(back)) = (&front, &id_token) {
            same_subject(&front.claims, &back.claims, false)?;
        }
        Ok(Tokens {
            id_token: id_token.or(front),
            access_token: Some(set.access_token),
            expires_in: set.expires_in,
            // Kept only when the app renews with it: a refresh token nobody uses is only
            // something to steal (from localStorage, say). It is not revoked either: some
            // providers (oidc-provider) revoke the whole grant with it, access token included.
            refresh_token: set.refresh_token.filter(|_| self.config.use_refresh_tokens),
            refreshed_with: None,
        })
    }

    /// POSTs a grant to the token endpoint and reads the answer.
    async fn token_request(
        &self,
        md: &ProviderMetadata,
        grant: &[(&str, &str)],
    ) -> Result<TokenSet> {
        let answer = self.post_grant(md, grant).no_drop().await?;
        self.read_token_answer(&answer)
    }

    /// POSTs a grant to the token endpoint. The issuer's keys are fetched alongside, since the
    /// answer's ID token will need them.
    async fn post_grant(
        &self,
        md: &ProviderMetadata,
        grant: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let endpoint = md
            .token_endpoint
            .as_deref()
            .ok_or_else(|| AuthError::metadata("provider metadata has no token_endpoint"))?;
        if lookup(&self.provider.jwks, &md.jwks_uri).is_none() {
            self.ports.prefetch(&md.jwks_uri, self.http_timeout_ms());
        }
        self.post("the token request", endpoint, &token::form(grant))
            .no_drop()
            .await
    }

    /// The token endpoint's answer, read as this client's token type (`DPoP` with DPoP).
    fn read_token_answer(&self, answer: &HttpResponse) -> Result<TokenSet> {
        let token_type = if self.config.use_dpop {
            "DPoP"
        } else {
            "Bearer"
        };
        token::parse_response(answer, token_type)
    }

    /// POSTs a form to the provider. With DPoP, with a proof; when the provider answers
    /// `use_dpop_nonce`, once more with the nonce it gave (RFC 9449 8).
    async fn post(&self, what: &str, endpoint: &str, body: &str) -> Result<HttpResponse> {
        let mut retried = false;
        loop {
            let proof = match self.config.use_dpop {
                true => Some(
                    self.dpop_proof("POST", endpoint, None, None)
                        .no_drop()
                        .await?,
                ),
                false => None,
            };
            let answer = self
                .ports
                .post_form(endpoint, body, proof.as_deref(), self.http_timeout_ms())
                .no_drop()
                .await
                .map_err(|e| fetch_error(what, endpoint, e))?;
            if !self.config.use_dpop {
                return Ok(answer);
            }
            self.keep_dpop_nonce(endpoint, answer.dpop_nonce.as_deref());
            if retried || !dpop::provider_wants_nonce(&answer) {
                return Ok(answer);
            }
            retried = true;
        }
    }

    /// The name of this client's DPoP key pair: one per issuer and client id.
    fn dpop_key_name(&self) -> String {
        msg(&[
            "spa-login.dpop.",
            &self.config.issuer,
            " ",
            &self.config.client_id,
        ])
    }

    /// Keeps the nonce a server's answer carried for the next proof to it.
    fn keep_dpop_nonce(&self, url: &str, header: Option<&str>) {
        if let (Some(nonce), Ok(origin)) = (dpop::nonce(header), origin_of(url)) {
            store(&self.dpop_nonces, &origin, nonce.to_owned());
        }
    }

    /// A DPoP proof for a `method` request to `url`: with `nonce`, else the latest nonce that
    /// server gave, and with `ath` when it goes with `access_token`.
    async fn dpop_proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let name = self.dpop_key_name();
        let key_error = |f: Failure| {
            AuthError::storage(msg(&[
                "DPoP needs a key pair kept in IndexedDB with WebCrypto: ",
                &f.message,
            ]))
        };
        let key = dpop::public_key(
            &self
                .ports
                .dpop_key(&name)
                .no_drop()
                .await
                .map_err(key_error)?,
        )?;
        let ath = access_token.map(sha256);
        let kept = origin_of(url)
            .ok()
            .and_then(|origin| lookup(&self.dpop_nonces, &origin));
        let input = dpop::signing_input(
            &key,
            &dpop::Claims {
                htm: method,
                url,
                iat: (self.ports.now_ms() / 1000.0) as u64,
                jti: &self.random_value()?,
                nonce: nonce.or(kept.as_deref()),
                ath: ath.as_deref(),
            },
        );
        let signature = self
            .ports
            .dpop_sign(&name, &input)
            .no_drop()
            .await
            .map_err(key_error)?;
        Ok(msg(&[&input, ".", &base64url::encode(&signature)]))
    }

    /// `generateDpopProof({ url, method, accessToken?, nonce? })`, for a request the app makes
    /// itself.
    pub async fn generate_dpop_proof(&self, options: &Json) -> Result<String> {
        if !self.config.use_dpop {
            return Err(AuthError::config("generateDpopProof needs useDpop: true"));
        }
        let member = |name: &str| match options.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(AuthError::config(msg(&[
                "generateDpopProof's ",
                name,
                " must be a string",
            ]))),
        };
        let url = member("url")?
            .filter(|u| urls::parse(u).is_some_and(|p| matches!(p.scheme, "https" | "http")))
            .ok_or_else(|| AuthError::config("generateDpopProof needs an absolute http(s) url"))?;
        // RFC 9110 9.1: a method is a token.
        let method = member("method")?
            .filter(|m| {
                !m.is_empty()
                    && m.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            })
            .ok_or_else(|| AuthError::config("generateDpopProof needs a method such as 'GET'"))?;
        let nonce = member("nonce")?;
        if nonce.is_some() && dpop::nonce(nonce).is_none() {
            return Err(AuthError::config(
                "generateDpopProof's nonce has characters a DPoP nonce cannot have",
            ));
        }
        self.dpop_proof(method, url, member("accessToken")?, nonce)
            .no_drop()
            .await
    }

    /// What a resource server answered a request with a DPoP proof: keeps the nonce it gave,
    /// and says whether it asks for the request once more with it (`fetchWithAuth` retries
    /// once).
    pub fn dpop_answer(
        &self,
        url: &str,
        status: u16,
        www_authenticate: &str,
        dpop_nonce: Option<&str>,
    ) -> bool {
        self.keep_dpop_nonce(url, dpop_nonce);
        dpop::resource_wants_nonce(status, www_authenticate, dpop_nonce)
    }

    /// Forgets a refresh token that is spent or refused: at once in this client's memory, then
    /// in the session stored, which may fail.
    fn drop_refresh_token(&self, refresh_token: &str, logouts: u32) -> Result<()> {
        self.spent.borrow_mut().push(refresh_token.to_owned());
        // After a logout (here or in another tab) the session is gone: nothing to drop.
        self.catch_up()?;
        self.still_logged_in(logouts)?;
        self.cache.borrow_mut().drop_refresh_token(
            self.ports.tokens(),
            refresh_token,
            &self.clock(),
        )
    }

    /// A renewal past the cache: with `useRefreshTokens`, the refresh token of that token
    /// first (one refused with `invalid_grant` is dropped); the hidden frame when there is
    /// none or it was refused and `useRefreshTokensFallback` allows it.
    async fn renew(
        &self,
        overrides: Option<&Json>,
        timeout: Option<u64>,
        logouts: u32,
    ) -> Result<Option<String>> {
        // One call of each flow below: every await is a suspend point of this state machine.
        if self.config.use_refresh_tokens {
            let (audience, scope) = self.token_key(overrides)?;
            let held = self
                .cache
                .borrow()
                .refresh_token_for(audience.as_deref(), &scope)
                .filter(|t| !self.spent.borrow().contains(t));
            match held {
                Some(refresh_token) => match self
                    .refresh(&refresh_token, audience, scope, logouts)
                    .no_drop()
                    .await
                {
                    Err(e) if e.code() == "invalid_grant" => {
                        // After a logout: login_required, and no frame.
                        self.drop_refresh_token(&refresh_token, logouts)?;
                        if !self.config.use_refresh_tokens_fallback {
                            return Err(e);
                        }
                    }
                    other => return other,
                },
                None if !self.config.use_refresh_tokens_fallback => {
                    let mut e = AuthError::new(
                        ErrorCode::MissingRefreshToken,
                        "no refresh token is held for this audience and scope; log in again (or set useRefreshTokensFallback)",
                    );
                    // Which token, as auth0-spa-js says it ("default": no audience).
                    e.extra = vec![
                        (
                            "audience".into(),
                            Json::str(audience.as_deref().unwrap_or("default")),
                        ),
                        ("scope".into(), Json::Str(scope)),
                    ];
                    return Err(e);
                }
                None => {}
            }
        }
        let params = overrides.cloned().unwrap_or(Json::Null);
        self.frame(&params, timeout, logouts).no_drop().await
    }

    /// `grant_type=refresh_token` (RFC 6749 6). A new ID token names the same `iss`, `sub` and
    /// `aud` as the one held and passes the signature and time checks, without a nonce (Core
    /// 12.2). A rotated refresh token replaces the old one before the token is returned. Once
    /// the provider has answered with a success, the refresh token is spent (it may have been
    /// rotated away): if that answer is then refused, nothing of it is kept and the old token is
    /// dropped too, never to be sent again.
    async fn refresh(
        &self,
        refresh_token: &str,
        audience: Option<String>,
        scope: String,
        logouts: u32,
    ) -> Result<Option<String>> {
        let md = self.metadata().no_drop().await?;
        let answer = self
            .post_grant(
                &md,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("client_id", &self.config.client_id),
                ],
            )
            .no_drop()
            .await?;
        // From here on, every failure goes through `refused`.
        let refused = |e: AuthError| {
            if answer.is_success() {
                // The answer's failure is what the caller needs to hear, not a storage one.
                let _ = self.drop_refresh_token(refresh_token, logouts);
            }
            e
        };
        let set = match self.read_token_answer(&answer) {
            Ok(set) => set,
            // No token endpoint answered (a captive portal's page, say): nothing was spent.
            Err(e) if e.code() == "network_error" => return Err(e),
            Err(e) => return Err(refused(e)),
        };
        let id_token = match &set.id_token {
            Some(raw) => {
                let entry = self
                    .verify_id_token(
                        raw,
                        &Checks {
                            nonce: None,
                            max_age: None,
                            // The client's own: a refresh answers no request that named one.
                            organization: self.config.params.get("organization"),
                            at_hash: Some((&set.access_token, false)),
                            c_hash: None,
                        },
                        &md,
                    )
                    .no_drop()
                    .await
                    .map_err(refused)?;
                let held = self.cache.borrow().session().id_token.clone();
                if let Some(held) = held {
                    same_subject(&held.claims, &entry.claims, true).map_err(refused)?;
                }
                Some(entry)
            }
            None => None,
        };
        let tokens = Tokens {
            id_token,
            access_token: Some(set.access_token),
            expires_in: set.expires_in,
            refreshed_with: Some(refresh_token.to_owned()),
            // Without rotation the provider sends none: the one held stays good.
            refresh_token: set.refresh_token.or_else(|| Some(refresh_token.to_owned())),
        };
        self.store(tokens, audience, scope, logouts)
            .map_err(refused)
    }

    /// Runs an authorization request in a frame or the popup and handles its answer like a
    /// redirect callback. A window that brings no answer (timeout, closed) leaves no
    /// transaction behind: nothing can complete it later. `timeout`: the call's own limit in
    /// seconds (`timeoutInSeconds`), else `authorizeTimeoutInSeconds`.
    async fn through_window(
        &self,
        kind: WindowKind,
        params: &Json,
        flow: Flow,
        timeout: Option<u64>,
        logouts: u32,
    ) -> Result<Outcome> {
        let mut request = self
            .authorize_request(None, Some(params), flow)
            .no_drop()
            .await?;
        if let Some(secs) = timeout {
            request.timeout_ms = secs as f64 * 1000.0;
        }
        let answer = match self
            .ports
            .window(kind, &request.for_window())
            .no_drop()
            .await
        {
            Ok(answer) => answer,
            Err(failure) => {
                transaction::abandon(self.ports.transactions(), &request.state);
                return Err(window_error(failure));
            }
        };
        let params = match &answer {
            WindowAnswer::Url(url) => response::params_from_url(url),
            WindowAnswer::Message(message) => response::params_from_message(message),
        };
        // Only a message with this flow's state is handed over, so a malformed one still names
        // the transaction to use up.
        let lone_state = || match &answer {
            WindowAnswer::Url(url) => response::lone_state(url),
            WindowAnswer::Message(_) => Some(request.state.clone()),
        };
        self.handle_response(params, &lone_state, logouts)
            .no_drop()
            .await
    }

    /// A silent `prompt=none` request in a hidden frame; the new access token, if any.
    pub fn renew_silently<'a>(
        &'a self,
        params: &'a Json,
        timeout: Option<u64>,
    ) -> impl Future<Output = Result<Option<String>>> + 'a {
        self.frame(params, timeout, self.logouts.get())
    }

    /// The hidden frame's flow, for a renewal that began with `logouts`.
    async fn frame(
        &self,
        params: &Json,
        timeout: Option<u64>,
        logouts: u32,
    ) -> Result<Option<String>> {
        Ok(self
            .through_window(WindowKind::Frame, params, Flow::Silent, timeout, logouts)
            .no_drop()
            .await?
            .access_token)
    }

    /// `loginWithPopup`, in the popup the browser shell opened while the click counted. The
    /// window flow's own future, with no state machine around it.
    pub fn login_with_popup<'a>(
        &'a self,
        params: &'a Json,
        timeout: Option<u64>,
    ) -> impl Future<Output = Result<Outcome>> + 'a {
        self.through_window(
            WindowKind::Popup,
            params,
            Flow::Popup,
            timeout,
            self.logouts.get(),
        )
    }

    /// `checkSession`: a silent request when no session is held; the provider's "not logged
    /// in" answers settle quietly, anything else is reported. `hinted`: a login is known to
    /// have happened lately whatever the session hint says (another tab's message, which may
    /// come before its localStorage write does; auth0-spa-js's own cookie).
    pub async fn check_session(&self, params: &Json, hinted: bool) -> Result<()> {
        if self.is_authenticated() {
            return Ok(());
        }
        // With `sessionCheckExpiryDays`, a browser that has not logged in here lately is not
        // asked about (a hidden frame for every visitor's every page load, most of them never
        // logged in); a held refresh token still renews.
        // Read only with the option: without it, checkSession touches no localStorage (the
        // document's first access of it costs milliseconds).
        let hint = self.config.session_check_days.map(|_| self.hint());
        if !hinted
            && hint.as_ref().is_some_and(|h| !self.session_hinted(h))
            && self.cache.borrow().refresh_tokens().is_empty()
        {
            return Ok(());
        }
        // With refresh tokens, one that is held (localStorage, after a reload) renews first;
        // none held, or one refused, means "not logged in" as the provider's answers do.
        // Everything else rejects, `frame_blocked` included: a frame the page's CSP refused says
        // nothing about the provider's session (the user may well be signed in there), and
        // settling quietly would show every user as logged out while hiding the one thing the
        // app's developer must fix. It comes at once, like a failed request, not after a wait.
        // Under the renewal lock, as getAccessToken renews: a refresh token is never sent by
        // two calls or two tabs at once, and a renewal that ended meanwhile is found. A logout
        // while it waits (`login_required`) settles quietly too.
        let logouts = self.logouts.get();
        let outcome = match self.take_turn(Some(params), logouts).no_drop().await {
            Ok(()) if self.is_authenticated() => return Ok(()),
            Ok(()) => self.renew(Some(params), None, logouts).no_drop().await,
            Err(e) => Err(e),
        };
        match outcome {
            Err(e) if means_logged_out(e.code()) => {
                // The provider's "not logged in": the next page load need not ask again. Not
                // after a session ended here meanwhile (another user's stored by another tab,
                // say), nor when another tab's login has set the hint since.
                if self.logouts.get() == logouts && hint.is_some_and(|h| self.hint() == h) {
                    self.drop_hint();
                }
                Ok(())
            }
            Err(e) if matches!(e.code(), "missing_refresh_token" | "invalid_grant") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Verifies an ID token against the issuer's metadata, which it resolves first.
    pub async fn verify_id_token_with(
        &self,
        raw: &str,
        checks: &Checks<'_>,
    ) -> Result<IdTokenEntry> {
        let md = self.metadata().no_drop().await?;
        self.verify_id_token(raw, checks, &md).no_drop().await
    }

    /// Verifies an ID token: structure and header, signature with the issuer's key, claims,
    /// and the hashes `checks` asks for. The flows pass the metadata they hold already: one
    /// suspend point fewer in each.
    async fn verify_id_token(
        &self,
        raw: &str,
        checks: &Checks<'_>,
        md: &ProviderMetadata,
    ) -> Result<IdTokenEntry> {
        let jws = jws::decode(raw)?;
        if !md
            .id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == jws.alg.name())
        {
            return Err(AuthError::id_token(msg(&[
                "the ID token's alg ",
                jws.alg.name(),
                " is not one the provider lists in id_token_signing_alg_values_supported",
            ])));
        }
        self.verify_signature(&jws, md).no_drop().await?;
        id_token::validate_claims(
            &jws.claims,
            &Expected {
                issuer: &self.config.issuer,
                client_id: &self.config.client_id,
                nonce: checks.nonce,
                clock: self.clock(),
                max_age: checks.max_age,
                organization: checks.organization,
            },
        )?;
        let hash = jws.alg.hash();
        if let Some((token, required)) = checks.at_hash {
            if required || jws.claims.get("at_hash").is_some() {
                id_token::check_at_hash(&jws.claims, hash, &sha2::digest(hash, token.as_bytes()))?;
            }
        }
        if let Some(code) = checks.c_hash {
            id_token::check_c_hash(&jws.claims, hash, &sha2::digest(hash, code.as_bytes()))?;
        }
        Ok(IdTokenEntry {
            raw: raw.to_owned(),
            claims: jws.claims,
        })
    }

    async fn verify_signature(
        &self,
        jws: &jws::DecodedJws<'_>,
        md: &ProviderMetadata,
    ) -> Result<()> {
        let kid = jws.kid.as_deref();
        // Fetched when not cached; fetched again, once, when the set has no key with this kid
        // and the rate limit allows (see JWKS_REFETCH_INTERVAL_MS): the provider may have
        // rotated its keys since. (One fetch in the code, one suspend point. The keys are
        // selected once, below: selecting reads each RSA modulus.)
        let mut cached = lookup(&self.provider.jwks, &md.jwks_uri);
        let set = loop {
            let unknown_kid = match cached {
                Some((set, next_refetch))
                    if set.names(kid) || self.ports.real_time_ms() < next_refetch =>
                {
                    break set
                }
                Some(_) => true,
                None => false,
            };
            let next_refetch = match unknown_kid {
                true => self.ports.real_time_ms() + JWKS_REFETCH_INTERVAL_MS,
                false => 0.0,
            };
            let kept = self
                .ports
                // A refetch for an unknown kid goes past the browser's HTTP cache: a provider
                // that lets browsers keep its keys for hours would otherwise hand back the set
                // from before the rotation.
                .fetch_text(&md.jwks_uri, self.http_timeout_ms(), unknown_kid)
                .no_drop()
                .await
                .map_err(|e| fetch_error("the JWKS", &md.jwks_uri, e))
                .and_then(|text| self.keep_jwks(md, &text, next_refetch));
            let set = match (kept, &cached) {
                (Ok(set), _) => set,
                // A refetch that failed starts the limit too (with the keys held): a provider
                // that is down or answers garbage is not asked again for every token. Not
                // before the answer: a verification beside this one, for the same rotated key,
                // must not be refused while the refetch is on its way.
                (Err(e), Some((held, _))) if unknown_kid => {
                    store(
                        &self.provider.jwks,
                        &md.jwks_uri,
                        (held.clone(), next_refetch),
                    );
                    return Err(e);
                }
                (Err(e), _) => return Err(e),
            };
            if unknown_kid {
                break set;
            }
            cached = Some((set, next_refetch));
        };
        let candidates = match jwks::select(&set, jws.alg, kid) {
            Selection::UnknownKid => {
                return Err(AuthError::id_token(msg(&[
                    "the issuer's JWKS has no key with kid '",
                    kid.unwrap_or(""),
                    "'",
                ])))
            }
            Selection::Candidates(keys) if keys.is_empty() => {
                return Err(AuthError::id_token(msg(&[
                    "the issuer's JWKS has no key usable for ",
                    jws.alg.name(),
                ])))
            }
            Selection::Candidates(keys) => keys,
        };
        for key in candidates {
            // A key WebCrypto refuses to import is not the signer; try the next one.
            if let Ok(true) = self
                .ports
                .verify(jws.alg, key, jws.signing_input, &jws.signature)
                .no_drop()
                .await
            {
                return Ok(());
            }
        }
        Err(AuthError::id_token(
            "the ID token's signature does not verify with the issuer's keys",
        ))
    }

    /// `getAccessToken` when the cache had nothing (`cached_access_token` answers the common
    /// case without a flow): renewals of the same token take turns, in this tab and across
    /// tabs, under one lock; whoever gets it looks again, since another tab may have renewed
    /// meanwhile (with a shared localStorage cache), and only then renews. `timeout` bounds
    /// the hidden frame of this call (`timeoutInSeconds`).
    pub async fn get_access_token(
        &self,
        overrides: Option<&Json>,
        mode: CacheMode,
        timeout: Option<u64>,
    ) -> Result<Option<String>> {
        if let Some(token) = self.cached_access_token(overrides, mode)? {
            return Ok(Some(token));
        }
        if mode == CacheMode::CacheOnly {
            return Ok(None);
        }
        // Counted before the wait for the lock: a logout while this call waits cancels it too.
        let logouts = self.logouts.get();
        self.take_turn(overrides, logouts).no_drop().await?;
        if let Some(token) = self.cached_access_token(overrides, mode)? {
            return Ok(Some(token));
        }
        self.renew(overrides, timeout, logouts).no_drop().await
    }

    /// Waits for the lock renewals of the token `overrides` name take turns under (in this tab
    /// and across tabs), then reads the session again: another tab may have renewed meanwhile.
    /// The lock is held until the flow ends. Fails if the session ended while it waited.
    async fn take_turn(&self, overrides: Option<&Json>, logouts: u32) -> Result<()> {
        let shared = self.uses_local_storage().then(|| self.session_key());
        self.ports
            .lock(&self.renewal_lock(overrides)?, shared.as_deref())
            .no_drop()
            .await;
        self.sync_from_storage(false)?;
        self.still_logged_in(logouts)
    }

    /// The lock renewals of one token take turns under: this client's session, and the
    /// token's audience and scope. With refresh tokens, one lock for the session: a refresh
    /// token may serve several tokens, and is never sent twice.
    fn renewal_lock(&self, overrides: Option<&Json>) -> Result<String> {
        let (audience, scope) = match self.config.use_refresh_tokens {
            true => (None, String::new()),
            false => self.token_key(overrides)?,
        };
        Ok(msg(&[
            "spa-login.renew.",
            &self.session_key(),
            "\n",
            audience.as_deref().unwrap_or_default(),
            "\n",
            &scope,
        ]))
    }

    /// The channel the app's tabs tell each other about logins and logouts on: one per
    /// issuer and client id.
    pub fn channel_name(&self) -> String {
        msg(&[
            "spa-login:",
            &self.config.issuer,
            " ",
            &self.config.client_id,
        ])
    }

    /// `getAccessToken`'s cache step: a cached token for the (audience, scope) asked for, not
    /// within `leeway` of expiry; `None` means "renew" (or, with `cache-only`, "no token").
    pub fn cached_access_token(
        &self,
        overrides: Option<&Json>,
        mode: CacheMode,
    ) -> Result<Option<String>> {
        Ok(self
            .cached_access_token_slot(overrides, mode)?
            .and_then(|(_, index)| self.access_token_at(index)))
    }

    /// Where `cached_access_token`'s token sits: (session version, index). The same pair
    /// always names the same token text, so the browser shell can skip copying it out of the
    /// wasm again on every call.
    pub fn cached_access_token_slot(
        &self,
        overrides: Option<&Json>,
        mode: CacheMode,
    ) -> Result<Option<(u32, usize)>> {
        let params = request_params(&self.config, overrides)?;
        let gives_access = ResponseType::parse(params.at("response_type"))
            .is_some_and(ResponseType::gives_access_token);
        if !gives_access && mode != CacheMode::CacheOnly {
            return Err(AuthError::config(
                "response_type 'id_token' gives no access token; use 'id_token token' or 'code'",
            ));
        }
        if mode == CacheMode::Off {
            return Ok(None);
        }
        let cache = self.cache.borrow();
        let found = cache.find(params.get("audience"), params.at("scope"), &self.clock());
        Ok(found.map(|index| (cache.version, index)))
    }

    /// The text of the session's access token at `index`.
    pub fn access_token_at(&self, index: usize) -> Option<String> {
        let cache = self.cache.borrow();
        Some(
            cache
                .session()
                .access_tokens
                .get(index)?
                .access_token
                .clone(),
        )
    }

    /// The whole seconds the session's access token `token` has left (`expires_in` of
    /// `getAccessToken({ detailedResponse: true })`): found by its text, since the call may
    /// return a token too close to its expiry to be served from the cache again.
    pub fn access_token_expires_in(&self, token: &str) -> Option<u64> {
        let cache = self.cache.borrow();
        let entry = cache
            .session()
            .access_tokens
            .iter()
            .find(|t| t.access_token == token)?;
        Some(((entry.expires_at - self.ports.now_ms()) / 1000.0).max(0.0) as u64)
    }

    /// The (audience, scope) a `getAccessToken` call asks for.
    fn token_key(&self, overrides: Option<&Json>) -> Result<(Option<String>, String)> {
        let params = request_params(&self.config, overrides)?;
        Ok((
            params.get("audience").map(str::to_owned),
            params.at("scope").into(),
        ))
    }

    /// Reads the session again from storage (another tab logged in or out with
    /// `cacheLocation: 'localstorage'`); with the memory cache, only a logout elsewhere matters.
    /// A logout elsewhere, or another user's session stored by another tab, cancels this tab's
    /// flows in flight, as a logout here does. A storage that cannot be read leaves the session
    /// held as it is (`storage_unavailable`).
    pub fn sync_from_storage(&self, logged_out: bool) -> Result<()> {
        if logged_out {
            self.session_ended();
            // A renewal here may have set it again after that tab's logout removed it.
            self.drop_hint();
        }
        if !self.uses_local_storage() {
            if logged_out {
                self.cache.borrow_mut().clear(self.ports.tokens())?;
            }
            return Ok(());
        }
        let stored = match TokenCache::read(self.ports.tokens(), self.session_key()) {
            Ok(stored) => stored,
            // Logged out elsewhere: nothing of the session stays, whatever storage says.
            Err(_) if logged_out => TokenCache::empty(self.session_key()),
            Err(e) => return Err(e),
        };
        let mut cache = self.cache.borrow_mut();
        // Another user, or no session at all, where this tab held one: it ended elsewhere.
        let held = !cache.session().is_empty();
        if !logged_out && held && (cache.user() != stored.user() || stored.session().is_empty()) {
            self.session_ended();
        }
        let version = cache.version.wrapping_add(1);
        *cache = stored;
        cache.version = version;
        Ok(())
    }

    /// The cached ID token's claims while it is valid.
    pub fn id_token_claims(&self) -> Option<IdTokenEntry> {
        let cache = self.cache.borrow();
        let entry = cache.session().id_token.as_ref()?;
        let exp = entry.claims.get("exp").and_then(Json::as_f64)?;
        self.clock().valid(exp * 1000.0).then(|| entry.clone())
    }

    pub fn user(&self) -> Option<Json> {
        self.id_token_claims()
            .map(|e| id_token::user_claims(&e.claims))
    }

    /// Logged in: a valid ID token; a session without one (`response_type: 'token'`), a valid
    /// access token. The session's user is known only through the ID token, so once it has
    /// expired the session is over, whatever access tokens remain (they are renewed, or not).
    pub fn is_authenticated(&self) -> bool {
        let cache = self.cache.borrow();
        let session = cache.session();
        if session.id_token.is_some() {
            return self.id_token_claims().is_some();
        }
        let clock = self.clock();
        session
            .access_tokens
            .iter()
            .any(|t| clock.valid(t.expires_at))
    }

    /// `logout`: forgets this client's tokens (every flow in flight is cancelled), revokes its
    /// refresh tokens, then sends the browser to the provider's logout (its
    /// end_session_endpoint, or Auth0's `/v2/logout` for a `domain` client without one), unless
    /// `navigate` is false or the provider has none.
    pub async fn logout(&self, logout_params: Option<&Json>, navigate: bool) -> Result<()> {
        let plan = self.forget(logout_params)?;
        let leave_for = self.end_session(&plan, navigate).no_drop().await;
        let logged_in_again = {
            let cache = self.cache.borrow();
            cache.session().id_token.is_some() || !cache.session().access_tokens.is_empty()
        };
        if self.config.use_dpop && !logged_in_again {
            // After the revocation, which may carry a proof; before the page is left. The
            // next login binds a new key. Not when a login completed while the revocation
            // went on (a popup's, say): its tokens are bound to this key.
            self.ports
                .dpop_forget(&self.dpop_key_name())
                .no_drop()
                .await;
            self.dpop_nonces.borrow_mut().clear();
        }
        match leave_for? {
            Some(url) => self
                .ports
                .open(&url)
                .no_drop()
                .await
                .map_err(|f| AuthError::config(msg(&["openUrl failed: ", &f.message]))),
            None => Ok(()),
        }
    }

    /// The provider's side of a logout: the refresh tokens revoked (RFC 7009) where it has a
    /// revocation endpoint, then where to send the browser. The session is gone already: a
    /// revocation that fails changes nothing for the logout.
    async fn end_session(&self, plan: &LogoutPlan, navigate: bool) -> Result<Option<String>> {
        if !navigate && plan.refresh_tokens.is_empty() {
            return Ok(None);
        }
        let md = match self.metadata().no_drop().await {
            Ok(md) => md,
            // Only the revocation needed it: the session is gone already.
            Err(_) if !navigate => return Ok(None),
            Err(e) => return Err(e),
        };
        if let Some(endpoint) = &md.revocation_endpoint {
            for token in &plan.refresh_tokens {
                let body = token::form(&[
                    ("token", token),
                    ("token_type_hint", "refresh_token"),
                    ("client_id", &self.config.client_id),
                ]);
                let _ = self.post("the revocation", endpoint, &body).no_drop().await;
            }
        }
        Ok(navigate.then(|| self.logout_url(&md, plan)).flatten())
    }

    /// Checks `logoutParams`, then forgets this client's session: every flow in flight is
    /// cancelled (their transactions go, and whatever they bring back later is not stored).
    fn forget(&self, logout_params: Option<&Json>) -> Result<LogoutPlan> {
        let mut extra = match logout_params {
            None | Some(Json::Null) => Json::Obj(Vec::new()),
            Some(o @ Json::Obj(_)) => o.clone(),
            Some(_) => return Err(AuthError::config("logoutParams must be an object")),
        };
        let return_to = match extra.remove("returnTo") {
            None | Some(Json::Null) => None,
            Some(Json::Str(url)) => {
                check_redirect_uri("logoutParams.returnTo", &url)?;
                Some(url)
            }
            Some(_) => return Err(AuthError::config("logoutParams.returnTo must be a string")),
        };
        let federated = match extra.remove("federated") {
            None | Some(Json::Null) | Some(Json::Bool(false)) => false,
            Some(Json::Bool(true)) => true,
            Some(_) => {
                return Err(AuthError::config(
                    "logoutParams.federated must be true or false",
                ))
            }
        };
        // Refused before anything is forgotten: an app that asks to end the upstream session
        // too must not believe it did. Only Auth0 (a `domain` client) has such a logout.
        if federated && self.config.domain.is_none() {
            return Err(AuthError::config(
                "logoutParams.federated needs Auth0 (a client made with domain)",
            ));
        }
        let mut extra_pairs = Vec::new();
        for (name, value) in extra.as_object().unwrap_or_default() {
            match value {
                Json::Null => {}
                Json::Str(s) => extra_pairs.push((name.clone(), s.clone())),
                _ => {
                    return Err(AuthError::config(msg(&[
                        "logoutParams.",
                        name,
                        " must be a string",
                    ])))
                }
            }
        }
        let (id_token_hint, refresh_tokens) = {
            let cache = self.cache.borrow();
            let hint = cache.session().id_token.as_ref().map(|t| t.raw.clone());
            (hint, cache.refresh_tokens())
        };
        self.logouts.set(self.logouts.get().wrapping_add(1));
        transaction::remove_all(
            self.ports.transactions(),
            &self.config.issuer,
            &self.config.client_id,
        );
        self.cache.borrow_mut().clear(self.ports.tokens())?;
        self.drop_hint();
        Ok(LogoutPlan {
            return_to,
            extra_pairs,
            id_token_hint,
            refresh_tokens,
            federated,
        })
    }

    /// Where a logout sends the browser, or `None` when the provider has no logout.
    fn logout_url(&self, md: &ProviderMetadata, plan: &LogoutPlan) -> Option<String> {
        let client_id = self.config.client_id.as_str();
        let mut pairs = Vec::new();
        let endpoint = match (&md.end_session_endpoint, &self.config.domain) {
            (Some(endpoint), _) => {
                if let Some(hint) = &plan.id_token_hint {
                    pairs.push(("id_token_hint", hint.as_str()));
                }
                pairs.push(("client_id", client_id));
                if let Some(to) = &plan.return_to {
                    pairs.push(("post_logout_redirect_uri", to.as_str()));
                }
                endpoint.clone()
            }
            // Auth0 without OIDC logout listed: its own endpoint and parameter names.
            (None, Some(_)) => {
                pairs.push(("client_id", client_id));
                if let Some(to) = &plan.return_to {
                    pairs.push(("returnTo", to.as_str()));
                }
                let issuer = self.config.issuer.trim_end_matches('/');
                msg(&[issuer, "/v2/logout"])
            }
            (None, None) => return None,
        };
        // Valueless, as Auth0 documents it (`federated=` with an empty value, as URLs carry it).
        if plan.federated {
            pairs.push(("federated", ""));
        }
        pairs.extend(
            plan.extra_pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        Some(urls::with_query(&endpoint, &pairs))
    }

    /// Where this client's session is stored.
    pub fn session_key(&self) -> String {
        cache::session_key(&self.config.issuer, &self.config.client_id)
    }

    /// Changes whenever the stored session does.
    pub fn session_version(&self) -> u32 {
        self.cache.borrow().version
    }

    pub fn uses_local_storage(&self) -> bool {
        self.config.cache_location == CacheLocation::LocalStorage
    }
}
