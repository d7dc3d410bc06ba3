//! The flows of API.md, written against the `Ports` traits: no browser in sight.

use super::authorize::{authorize_url, request_params, RANDOM_BYTES};
use super::base64url;
use super::cache::{AccessTokenEntry, IdTokenEntry, TokenCache};
use super::config::{check_redirect_uri, msg, CacheLocation, Config, ResponseType};
use super::error::{AuthError, Result};
use super::id_token::{self, Expected};
use super::json::{self, Json};
use super::jwks::{self, Jwks, Selection};
use super::jws;
use super::metadata::{self, ProviderMetadata};
use super::ports::Ports;
use super::response;
use super::transaction::{self, Transaction, TRANSACTION_TTL_MS};
use super::urls;
use std::cell::RefCell;
use std::rc::Rc;

/// A JWKS younger than this (on the machine's clock) is not fetched again for an unknown `kid`:
/// key rotation is rare and providers publish new keys ahead of use, while a stream of unknown
/// kids must not become a stream of requests.
pub const JWKS_REFETCH_INTERVAL_MS: f64 = 5000.0;

/// Discovery documents and key sets, per issuer, shared by every client of the page.
#[derive(Default)]
pub struct ProviderCache {
    metadata: RefCell<Vec<(String, Rc<ProviderMetadata>)>>,
    /// The set, and when it was fetched.
    jwks: RefCell<Vec<(String, (Rc<Jwks>, f64))>>,
}

fn lookup<T: Clone>(entries: &RefCell<Vec<(String, T)>>, issuer: &str) -> Option<T> {
    entries
        .borrow()
        .iter()
        .find(|(k, _)| k == issuer)
        .map(|(_, v)| v.clone())
}

fn store<T>(entries: &RefCell<Vec<(String, T)>>, issuer: &str, value: T) {
    let mut entries = entries.borrow_mut();
    entries.retain(|(k, _)| k != issuer);
    entries.push((issuer.into(), value));
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
        .ok_or_else(|| AuthError::network("authorization_endpoint is not a URL"))
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

pub struct Client<P: Ports> {
    pub config: Config,
    pub ports: P,
    provider: Rc<ProviderCache>,
    cache: RefCell<TokenCache>,
}

impl<P: Ports> Client<P> {
    pub fn new(config: Config, ports: P, provider: Rc<ProviderCache>) -> Self {
        let cache = RefCell::new(TokenCache::load(ports.tokens(), &config.client_id));
        Client {
            config,
            ports,
            provider,
            cache,
        }
    }

    fn now_secs(&self) -> f64 {
        self.ports.now_ms() / 1000.0
    }

    fn leeway_ms(&self) -> f64 {
        self.config.leeway_secs as f64 * 1000.0
    }

    /// The provider's metadata: cached per issuer, discovered when first needed.
    pub async fn metadata(&self) -> Result<Rc<ProviderMetadata>> {
        let issuer = &self.config.issuer;
        if let Some(md) = lookup(&self.provider.metadata, issuer) {
            return Ok(md);
        }
        let discovered =
            if self.config.metadata.is_complete() {
                None
            } else {
                let url = metadata::discovery_url(issuer);
                Some(self.ports.fetch_text(&url).await.map_err(|e| {
                    AuthError::network(msg(&["discovery at ", &url, " failed: ", &e]))
                })?)
            };
        let md = Rc::new(metadata::resolve(
            discovered.as_deref(),
            &self.config.metadata,
            issuer,
        )?);
        store(&self.provider.metadata, issuer, md.clone());
        Ok(md)
    }

    async fn fetch_jwks(&self, md: &ProviderMetadata) -> Result<Rc<Jwks>> {
        let text = self.ports.fetch_text(&md.jwks_uri).await.map_err(|e| {
            AuthError::network(msg(&[
                "the JWKS at ",
                &md.jwks_uri,
                " could not be fetched: ",
                &e,
            ]))
        })?;
        let set = Rc::new(
            jwks::parse(&text)
                .ok_or_else(|| AuthError::network("the JWKS is not a JSON Web Key Set"))?,
        );
        store(
            &self.provider.jwks,
            &self.config.issuer,
            (set.clone(), self.ports.real_time_ms()),
        );
        Ok(set)
    }

    /// `loginWithRedirect`: stores a new transaction and returns the URL to send the browser to.
    pub async fn login_url(
        &self,
        app_state: Option<String>,
        overrides: Option<&Json>,
    ) -> Result<String> {
        Ok(self
            .authorize_request(app_state, overrides, Flow::Redirect)
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
        let md = self.metadata().await?;
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
        let now = self.ports.now_ms();
        let tx = Transaction {
            state,
            nonce,
            redirect_uri: params.at("redirect_uri").into(),
            response_type: params.at("response_type").into(),
            scope: params.at("scope").into(),
            audience: params.get("audience").map(str::to_owned),
            max_age: params.get("max_age").and_then(json::parse_decimal),
            app_state,
            expires_at: now + TRANSACTION_TTL_MS,
        };
        let url = authorize_url(&md, &self.config.client_id, &params, &tx);
        let store = self.ports.transactions();
        transaction::sweep_expired(store, &self.config.client_id, now);
        transaction::save(store, &self.config.client_id, &tx)?;
        Ok(AuthorizeRequest {
            url,
            state: tx.state,
            redirect_uri: tx.redirect_uri,
            response_origin,
            timeout_ms: self.config.authorize_timeout_secs as f64 * 1000.0,
        })
    }

    /// Fresh `state` and `nonce`, 256 bits each, never equal (Core 15.5.2).
    fn state_and_nonce(&self) -> Result<(String, String)> {
        let mut bytes = [0u8; 2 * RANDOM_BYTES];
        loop {
            self.ports
                .random(&mut bytes)
                .map_err(|e| AuthError::config(msg(&["no secure random source: ", &e])))?;
            let (a, b) = bytes.split_at(RANDOM_BYTES);
            if a != b {
                return Ok((base64url::encode(a), base64url::encode(b)));
            }
        }
    }

    /// `handleRedirectCallback`: validates the whole response, then stores the tokens; on any
    /// failure nothing is stored.
    pub async fn handle_callback(&self, url: &str) -> Result<Outcome> {
        let params = match response::params_from_url(url) {
            Ok(params) => params,
            Err(e) => {
                // Unreadable, but if it names one state, that transaction is used up too.
                let Some(state) = response::lone_state(url) else {
                    return Err(e);
                };
                let now = self.ports.now_ms();
                let tx = transaction::take(
                    self.ports.transactions(),
                    &self.config.client_id,
                    &state,
                    now,
                )
                .ok();
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
            &self.config.client_id,
            &state,
            self.ports.now_ms(),
        )
        .map_err(|e| e.with_context(Some(&state), None))?;
        let access_token = self
            .complete(&params, &tx)
            .await
            .map_err(|e| e.with_context(Some(&state), tx.app_state.as_deref()))?;
        Ok(Outcome {
            app_state: tx.app_state,
            access_token,
        })
    }

    /// Checks a response against its transaction and stores its tokens; returns the access token.
    async fn complete(
        &self,
        params: &response::ResponseParams,
        tx: &Transaction,
    ) -> Result<Option<String>> {
        if let Some(error) = response::provider_error(params) {
            return Err(error);
        }
        let response_type = ResponseType::parse(&tx.response_type)
            .ok_or_else(|| AuthError::state("the stored login transaction is unreadable"))?;
        let tokens = response::check_tokens(params, response_type, &self.config.issuer)?;
        let id_token = match &tokens.id_token {
            Some(raw) => {
                let claims = self
                    .verify_id_token(raw, tx, tokens.access_token.as_deref())
                    .await?;
                Some(IdTokenEntry {
                    raw: raw.clone(),
                    claims,
                })
            }
            None => None,
        };
        let now = self.ports.now_ms();
        let access_token = tokens.access_token.map(|token| AccessTokenEntry {
            access_token: token,
            audience: tx.audience.clone(),
            // Cached under the scope asked for: a provider that grants less (or names only the
            // API's scopes) would otherwise make every later call for the same scope miss.
            scope: tx.scope.clone(),
            expires_at: now + tokens.expires_in as f64 * 1000.0,
        });
        let token = access_token.as_ref().map(|t| t.access_token.clone());
        self.cache
            .borrow_mut()
            .save(self.ports.tokens(), id_token, access_token, now)?;
        Ok(token)
    }

    /// Verifies an ID token: structure and header, signature with the issuer's key, claims,
    /// and `at_hash` when an access token came with it. Returns the claims.
    pub async fn verify_id_token(
        &self,
        raw: &str,
        tx: &Transaction,
        access_token: Option<&str>,
    ) -> Result<Json> {
        let jws = jws::decode(raw)?;
        let md = self.metadata().await?;
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
        self.verify_signature(&jws, &md).await?;
        id_token::validate_claims(
            &jws.claims,
            &Expected {
                issuer: &self.config.issuer,
                client_id: &self.config.client_id,
                nonce: &tx.nonce,
                now_secs: self.now_secs(),
                leeway_secs: self.config.leeway_secs as f64,
                max_age: tx.max_age,
            },
        )?;
        if let Some(token) = access_token {
            let hash = jws.alg.hash();
            let digest = self
                .ports
                .digest(hash, token.as_bytes())
                .await
                .map_err(|e| {
                    AuthError::id_token(msg(&["the access token could not be hashed: ", &e]))
                })?;
            id_token::check_at_hash(&jws.claims, hash, &digest)?;
        }
        Ok(jws.claims)
    }

    async fn verify_signature(
        &self,
        jws: &jws::DecodedJws<'_>,
        md: &ProviderMetadata,
    ) -> Result<()> {
        let cached = lookup(&self.provider.jwks, &self.config.issuer);
        let (mut set, fetched_at) = match cached {
            Some(entry) => entry,
            None => (self.fetch_jwks(md).await?, self.ports.real_time_ms()),
        };
        let kid = jws.kid.as_deref();
        if jwks::select(&set, jws.alg, kid) == Selection::UnknownKid
            && self.ports.real_time_ms() - fetched_at >= JWKS_REFETCH_INTERVAL_MS
        {
            // The provider may have rotated its keys since we fetched the set.
            set = self.fetch_jwks(md).await?;
        }
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
                .verify(jws.alg, key, jws.signing_input.as_bytes(), &jws.signature)
                .await
            {
                return Ok(());
            }
        }
        Err(AuthError::id_token(
            "the ID token's signature does not verify with the issuer's keys",
        ))
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
            .is_some_and(ResponseType::wants_access_token);
        if !gives_access && mode != CacheMode::CacheOnly {
            return Err(AuthError::config(
                "response_type 'id_token' gives no access token; use 'id_token token'",
            ));
        }
        if mode == CacheMode::Off {
            return Ok(None);
        }
        let cache = self.cache.borrow();
        let found = cache.find(
            params.get("audience"),
            params.at("scope"),
            self.ports.now_ms(),
            self.leeway_ms(),
        );
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

    /// The (audience, scope) a `getAccessToken` call asks for: one renewal per key at a time.
    pub fn token_key(&self, overrides: Option<&Json>) -> Result<(Option<String>, String)> {
        let params = request_params(&self.config, overrides)?;
        Ok((
            params.get("audience").map(str::to_owned),
            params.at("scope").into(),
        ))
    }

    /// Reads the session again from storage (another tab logged in or out with
    /// `cacheLocation: 'localstorage'`); with the memory cache, only a logout elsewhere matters.
    pub fn sync_from_storage(&self, logged_out: bool) {
        if self.uses_local_storage() {
            let mut cache = self.cache.borrow_mut();
            let version = cache.version.wrapping_add(1);
            *cache = TokenCache::load(self.ports.tokens(), &self.config.client_id);
            cache.version = version;
        } else if logged_out {
            let _ = self.cache.borrow_mut().clear(self.ports.tokens());
        }
    }

    /// The cached ID token's claims while it has not expired.
    pub fn id_token_claims(&self) -> Option<IdTokenEntry> {
        let cache = self.cache.borrow();
        let entry = cache.session().id_token.as_ref()?;
        let exp = entry.claims.get("exp").and_then(Json::as_f64)?;
        (exp * 1000.0 + self.leeway_ms() > self.ports.now_ms()).then(|| entry.clone())
    }

    pub fn user(&self) -> Option<Json> {
        self.id_token_claims()
            .map(|e| id_token::user_claims(&e.claims))
    }

    /// Logged in: a valid ID token, or (for `response_type: 'token'`) a valid access token.
    pub fn is_authenticated(&self) -> bool {
        if self.id_token_claims().is_some() {
            return true;
        }
        let now = self.ports.now_ms();
        self.cache
            .borrow()
            .session()
            .access_tokens
            .iter()
            .any(|t| t.expires_at > now)
    }

    /// `logout`: forgets this client's tokens, then returns where to send the browser (the
    /// provider's end_session_endpoint, Auth0's `/v2/logout` for a `domain` client without
    /// one), or `None` when the logout is local only.
    pub async fn logout(
        &self,
        logout_params: Option<&Json>,
        navigate: bool,
    ) -> Result<Option<String>> {
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
        let mut extra_pairs = Vec::new();
        for (name, value) in extra.as_object().unwrap_or_default() {
            match value {
                Json::Null => {}
                Json::Str(s) => extra_pairs.push((name.as_str(), s.as_str())),
                _ => {
                    return Err(AuthError::config(msg(&[
                        "logoutParams.",
                        name,
                        " must be a string",
                    ])))
                }
            }
        }
        let id_token_hint = self
            .cache
            .borrow()
            .session()
            .id_token
            .as_ref()
            .map(|t| t.raw.clone());
        self.cache.borrow_mut().clear(self.ports.tokens())?;
        if !navigate {
            return Ok(None);
        }
        let md = self.metadata().await?;
        let client_id = self.config.client_id.as_str();
        let mut pairs = Vec::new();
        let endpoint = match (&md.end_session_endpoint, &self.config.domain) {
            (Some(endpoint), _) => {
                if let Some(hint) = &id_token_hint {
                    pairs.push(("id_token_hint", hint.as_str()));
                }
                pairs.push(("client_id", client_id));
                if let Some(to) = &return_to {
                    pairs.push(("post_logout_redirect_uri", to.as_str()));
                }
                endpoint.clone()
            }
            // Auth0 without OIDC logout listed: its own endpoint and parameter names.
            (None, Some(_)) => {
                pairs.push(("client_id", client_id));
                if let Some(to) = &return_to {
                    pairs.push(("returnTo", to.as_str()));
                }
                msg(&[&self.config.issuer, "v2/logout"])
            }
            (None, None) => return Ok(None),
        };
        pairs.extend(extra_pairs);
        Ok(Some(urls::with_query(&endpoint, &pairs)))
    }

    /// Where this client's session is stored.
    pub fn session_key(&self) -> String {
        super::cache::session_key(&self.config.client_id)
    }

    /// Changes whenever the stored session does.
    pub fn session_version(&self) -> u32 {
        self.cache.borrow().version
    }

    pub fn uses_local_storage(&self) -> bool {
        self.config.cache_location == CacheLocation::LocalStorage
    }
}
