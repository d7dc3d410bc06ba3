//! Client options: validated once, in `createClient`, so that every later call can trust them.

use super::error::{AuthError, Result};
use super::json::Json;
use super::metadata::MetadataOverride;
use super::text::msg;
use super::urls::{check_endpoint_url, check_redirect_uri};

pub const DEFAULT_SCOPE: &str = "openid profile email";
pub const DEFAULT_LEEWAY_SECS: u64 = 60;
pub const DEFAULT_AUTHORIZE_TIMEOUT_SECS: u64 = 60;
/// How long a request to the provider (discovery, JWKS) may take, as auth0-spa-js's default.
pub const DEFAULT_HTTP_TIMEOUT_SECS: u64 = 10;

/// The options `createClient` reads. Any other key is refused by name: a misspelt option
/// (`cachelocation`, `useRefreshToken`) that is silently dropped is a default the app did not
/// ask for.
pub const KNOWN_OPTIONS: [&str; 15] = [
    "domain",
    "issuer",
    "clientId",
    "authorizationParams",
    "silentRedirectUri",
    "cacheLocation",
    "leeway",
    "authorizeTimeoutInSeconds",
    "httpTimeoutInSeconds",
    "nowProvider",
    "metadata",
    "useRefreshTokens",
    "useRefreshTokensFallback",
    "useDpop",
    "sessionCheckExpiryDays",
];

/// auth0-spa-js options that are accepted and do nothing, so that an app moving over keeps its
/// options object: they tune how auth0-spa-js itself stores transactions and talks to Auth0
/// (cookies, a worker, telemetry, form bodies), and none of them changes what a login yields
/// here (transactions live in sessionStorage, token requests are always form-encoded, no
/// worker, no telemetry).
pub const IGNORED_OPTIONS: [&str; 6] = [
    "auth0Client",
    "cookieDomain",
    "legacySameSiteCookie",
    "useCookiesForTransactions",
    "useFormData",
    "workerUrl",
];

/// The response types of the implicit, code and hybrid flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseType {
    IdTokenToken,
    IdToken,
    Token,
    /// The authorization code flow with PKCE (RFC 6749 4.1, RFC 7636).
    Code,
    /// The hybrid flow: an ID token in the fragment, then the code exchanged (Core 3.3).
    CodeIdToken,
}

impl ResponseType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id_token token" => Some(Self::IdTokenToken),
            "id_token" => Some(Self::IdToken),
            "token" => Some(Self::Token),
            "code" => Some(Self::Code),
            "code id_token" => Some(Self::CodeIdToken),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdTokenToken => "id_token token",
            Self::IdToken => "id_token",
            Self::Token => "token",
            Self::Code => "code",
            Self::CodeIdToken => "code id_token",
        }
    }
    /// An ID token in the authorization response itself.
    pub fn wants_id_token(self) -> bool {
        matches!(self, Self::IdTokenToken | Self::IdToken | Self::CodeIdToken)
    }
    /// An access token in the authorization response itself.
    pub fn wants_access_token(self) -> bool {
        matches!(self, Self::IdTokenToken | Self::Token)
    }
    /// A code to exchange at the token endpoint.
    pub fn has_code(self) -> bool {
        matches!(self, Self::Code | Self::CodeIdToken)
    }
    /// Whether the flow ends with an access token (in the response or from the code).
    pub fn gives_access_token(self) -> bool {
        self.wants_access_token() || self.has_code()
    }
    /// Where the response comes when nothing else is asked for: the query for `code`, the
    /// fragment for anything with a token in it (OAuth 2.0 Multiple Response Types 5).
    pub fn default_mode(self) -> &'static str {
        if self == Self::Code {
            "query"
        } else {
            "fragment"
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheLocation {
    Memory,
    LocalStorage,
}

/// `authorizationParams`: every value as the string sent to `/authorize`, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthParams(Vec<(String, String)>);

impl AuthParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// A parameter that is always there (redirect_uri, response_type, scope).
    pub fn at(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }
    pub fn insert(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.into(), value)),
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The issuer exactly as the provider states it.
    pub issuer: String,
    /// Set when the client was made with `domain`: the provider is Auth0-shaped.
    pub domain: Option<String>,
    pub client_id: String,
    /// Defaults merged with the user's `authorizationParams` (redirect_uri, response_type and
    /// scope are always present).
    pub params: AuthParams,
    /// What a request with no `authorizationParams` of its own sends: `params` with `openid`
    /// in the scope when an ID token is asked for.
    pub request_defaults: AuthParams,
    pub silent_redirect_uri: String,
    pub cache_location: CacheLocation,
    pub leeway_secs: u64,
    pub authorize_timeout_secs: u64,
    pub http_timeout_secs: u64,
    pub metadata: MetadataOverride,
    /// Code flows: ask for `offline_access` and renew with the refresh token.
    pub use_refresh_tokens: bool,
    /// A refresh that fails with `invalid_grant` (or no refresh token) falls back to the frame.
    pub use_refresh_tokens_fallback: bool,
    /// Code flows: DPoP-bound tokens (RFC 9449), every token request with a proof.
    pub use_dpop: bool,
    /// `sessionCheckExpiryDays`: `checkSession` asks the provider only while a login in this
    /// browser, or a renewal, is less than this many days old (auth0-spa-js's "is
    /// authenticated" cookie). `None`: it always asks.
    pub session_check_days: Option<f64>,
}

impl Config {
    /// Validates the options object of `createClient`. `origin` is the page's (the browser
    /// shell knows it): it is the default redirect URI.
    pub fn from_options(options: &Json, origin: &str) -> Result<Config> {
        // `window.location.origin`, exactly (as auth0-spa-js): what apps register.
        let default_redirect_uri = origin.to_owned();
        let Some(members) = options.as_object() else {
            return Err(AuthError::config("createClient needs an options object"));
        };
        if let Some((name, _)) = members.iter().find(|(name, _)| {
            !KNOWN_OPTIONS.contains(&name.as_str()) && !IGNORED_OPTIONS.contains(&name.as_str())
        }) {
            return Err(AuthError::config(msg(&["unknown option '", name, "'"])));
        }
        // The options arrive as JSON, where a function is absent: a `nowProvider` still there is
        // not one. (The entry hands the function itself to the shell's clock.)
        if options.get("nowProvider").is_some_and(|v| !v.is_null()) {
            return Err(AuthError::config("nowProvider must be a function"));
        }
        let client_id = opt_string(options, "clientId")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::config("clientId is required"))?;
        let domain = opt_string(options, "domain")?;
        let issuer = match (opt_string(options, "issuer")?, &domain) {
            (Some(issuer), _) => issuer,
            (None, Some(domain)) => issuer_from_domain(domain),
            (None, None) => return Err(AuthError::config("domain or issuer is required")),
        };
        check_endpoint_url("issuer", &issuer)?;
        if issuer.contains(['?', '#']) {
            return Err(AuthError::config(
                "issuer must not have a query or fragment",
            ));
        }

        let mut params = AuthParams::default();
        params.insert("redirect_uri", default_redirect_uri);
        params.insert("response_type", ResponseType::IdTokenToken.as_str().into());
        params.insert("scope", DEFAULT_SCOPE.into());
        merge_params(
            &mut params,
            options.get("authorizationParams"),
            "authorizationParams",
        )?;
        let use_refresh_tokens = opt_bool(options, "useRefreshTokens")?;
        let use_refresh_tokens_fallback = opt_bool(options, "useRefreshTokensFallback")?;
        let code_flow =
            ResponseType::parse(params.at("response_type")).is_some_and(ResponseType::has_code);
        if use_refresh_tokens && !code_flow {
            return Err(AuthError::config(
                "useRefreshTokens needs a code flow (response_type 'code' or 'code id_token'): the implicit flow has no refresh tokens",
            ));
        }
        let use_dpop = opt_bool(options, "useDpop")?;
        if use_dpop && !code_flow {
            return Err(AuthError::config(
                "useDpop needs a code flow (response_type 'code' or 'code id_token'): tokens that arrive in the URL cannot be bound",
            ));
        }
        if use_refresh_tokens {
            with_offline_access(&mut params);
        }

        check_combination(&params, "authorizationParams")?;
        let silent_redirect_uri = match opt_string(options, "silentRedirectUri")? {
            Some(uri) => {
                check_redirect_uri("silentRedirectUri", &uri)?;
                uri
            }
            None => params.at("redirect_uri").into(),
        };
        let cache_location = match opt_string(options, "cacheLocation")?.as_deref() {
            None | Some("memory") => CacheLocation::Memory,
            Some("localstorage") => CacheLocation::LocalStorage,
            Some(other) => {
                return Err(AuthError::config(msg(&[
                    "cacheLocation must be 'memory' or 'localstorage', not '",
                    other,
                    "'",
                ])))
            }
        };
        let leeway_secs = opt_seconds(options, "leeway", true)?.unwrap_or(DEFAULT_LEEWAY_SECS);
        let authorize_timeout_secs = opt_seconds(options, "authorizeTimeoutInSeconds", false)?
            .unwrap_or(DEFAULT_AUTHORIZE_TIMEOUT_SECS);
        let http_timeout_secs = opt_seconds(options, "httpTimeoutInSeconds", false)?
            .unwrap_or(DEFAULT_HTTP_TIMEOUT_SECS);
        let session_check_days =
            match options.get("sessionCheckExpiryDays") {
                None | Some(Json::Null) => None,
                Some(v) => match v.as_f64() {
                    Some(days) if days > 0.0 && days <= 3650.0 => Some(days),
                    _ => return Err(AuthError::config(
                        "sessionCheckExpiryDays must be a number of days (above 0, at most 3650)",
                    )),
                },
            };
        let metadata = match options.get("metadata") {
            None | Some(Json::Null) => MetadataOverride::default(),
            Some(m @ Json::Obj(_)) => MetadataOverride::from_json(m)?,
            Some(_) => return Err(AuthError::config("metadata must be an object")),
        };

        Ok(Config {
            issuer,
            domain,
            client_id,
            // `params` is the client's own: where its scope has openid, nothing is added.
            request_defaults: with_openid(params.clone(), ""),
            params,
            silent_redirect_uri,
            cache_location,
            leeway_secs,
            authorize_timeout_secs,
            http_timeout_secs,
            metadata,
            use_refresh_tokens,
            use_refresh_tokens_fallback,
            use_dpop,
            session_check_days,
        })
    }
}

/// Merges an `authorizationParams` object into `params`, validating the values it knows.
pub fn merge_params(params: &mut AuthParams, given: Option<&Json>, what: &str) -> Result<()> {
    let members = match given {
        None | Some(Json::Null) => return Ok(()),
        Some(Json::Obj(members)) => members,
        Some(_) => return Err(AuthError::config(msg(&[what, " must be an object"]))),
    };
    for (name, value) in members {
        let value = match value {
            Json::Null => continue,
            Json::Str(s) => s.clone(),
            Json::Num(n) => n.clone(),
            _ => {
                return Err(AuthError::config(msg(&[
                    what,
                    ".",
                    name,
                    " must be a string or a number",
                ])))
            }
        };
        check_param(name, &value, what)?;
        params.insert(name, value);
    }
    Ok(())
}

fn check_param(name: &str, value: &str, what: &str) -> Result<()> {
    let bad = |text: &str| Err(AuthError::config(msg(&[what, ".", name, text])));
    match name {
        "redirect_uri" => check_redirect_uri(&msg(&[what, ".redirect_uri"]), value),
        "response_type" if ResponseType::parse(value).is_none() => {
            bad(" must be 'id_token token', 'id_token', 'token', 'code' or 'code id_token'")
        }
        "max_age" if !is_decimal(value) => bad(" must be a non-negative whole number of seconds"),
        "response_mode" if value != "fragment" && value != "query" => {
            bad(" must be 'query' or 'fragment'")
        }
        // These belong to the library: a caller's value would break state, nonce or PKCE.
        "client_id" | "state" | "nonce" | "code_challenge" | "code_challenge_method" => {
            bad(" is set by the library and cannot be given")
        }
        _ => Ok(()),
    }
}

/// Checks the parameters together, once merged: tokens never travel in the query, so only
/// `code` may ask for `response_mode=query`.
pub fn check_combination(params: &AuthParams, what: &str) -> Result<()> {
    let response_type = ResponseType::parse(params.at("response_type"));
    if params.get("response_mode") == Some("query") && response_type != Some(ResponseType::Code) {
        return Err(AuthError::config(msg(&[
            what,
            ".response_mode 'query' is only for response_type 'code': tokens never travel in the query",
        ])));
    }
    Ok(())
}

pub fn is_decimal(s: &str) -> bool {
    s.len() <= 10 && super::json::parse_decimal(s).is_some()
}

fn opt_string(options: &Json, name: &str) -> Result<Option<String>> {
    match options.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AuthError::config(msg(&[name, " must be a string"]))),
    }
}

fn opt_bool(options: &Json, name: &str) -> Result<bool> {
    match options.get(name) {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err(AuthError::config(msg(&[name, " must be true or false"]))),
    }
}

fn opt_seconds(options: &Json, name: &str, zero_ok: bool) -> Result<Option<u64>> {
    seconds(options.get(name), name, zero_ok)
}

/// A number of seconds an option or a call's argument gives (`timeoutInSeconds`), checked.
pub fn seconds(value: Option<&Json>, name: &str, zero_ok: bool) -> Result<Option<u64>> {
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(v @ Json::Num(_)) => match v.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 && (zero_ok || v > 0.0) && v <= 86_400.0 => {
                Ok(Some(v.ceil() as u64))
            }
            _ => Err(AuthError::config(msg(&[
                name,
                " must be a number of seconds (0 to 86400)",
            ]))),
        },
        Some(_) => Err(AuthError::config(msg(&[
            name,
            " must be a number of seconds",
        ]))),
    }
}

/// `domain` as Auth0 takes it: `tenant.example.com` means `https://tenant.example.com/`; a
/// scheme may be given (for a local Auth0-shaped provider over http on loopback).
fn issuer_from_domain(domain: &str) -> String {
    let scheme = if domain.starts_with("https://") || domain.starts_with("http://") {
        ""
    } else {
        "https://"
    };
    let slash = if domain.ends_with('/') { "" } else { "/" };
    msg(&[scheme, domain, slash])
}

/// `offline_access` added to the scope (Core 11: it asks for a refresh token), for a client
/// with `useRefreshTokens`: its own scope, and a call's that replaces it.
pub fn with_offline_access(params: &mut AuthParams) {
    let scope = params.at("scope");
    if !scope.split(' ').any(|s| s == "offline_access") {
        // Space-separated (RFC 6749 3.3): only spaces to trim.
        let scope = msg(&[scope.trim_end_matches(' '), " offline_access"]);
        params.insert("scope", scope.trim_start_matches(' ').into());
    }
}

/// `openid` added to the scope whenever an ID token is asked for (Core 3.1.2.1: without it the
/// request is not an OpenID Connect request), and in a code flow whenever the client's own
/// scope (`client_scope`) has it: a call's scope replaces the client's, and a login or renewal
/// of an OpenID Connect client that brought an access token with no ID token could not say
/// whose it is; it would join the session of whoever is logged in here, even after the
/// provider's session became another user's. A client whose own scope has no `openid` is plain
/// OAuth and stays so.
pub fn with_openid(mut params: AuthParams, client_scope: &str) -> AuthParams {
    let oidc_client = client_scope.split(' ').any(|s| s == "openid");
    let wants_id_token = ResponseType::parse(params.at("response_type"))
        .is_some_and(|t| t.wants_id_token() || (oidc_client && t.has_code()));
    let scope = params.at("scope");
    if wants_id_token && !scope.split(' ').any(|s| s == "openid") {
        let scope = if scope.bytes().all(|b| b == b' ') {
            "openid".to_string()
        } else {
            msg(&["openid ", scope])
        };
        params.insert("scope", scope);
    }
    params
}
