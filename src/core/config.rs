//! Client options: validated once, in `createClient`, so that every later call can trust them.

use super::error::{AuthError, Result};
use super::json::Json;
use super::metadata::MetadataOverride;
use super::urls;

pub const DEFAULT_SCOPE: &str = "openid profile email";
pub const DEFAULT_LEEWAY_SECS: u64 = 60;
pub const DEFAULT_AUTHORIZE_TIMEOUT_SECS: u64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseType {
    IdTokenToken,
    IdToken,
    Token,
}

impl ResponseType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id_token token" => Some(Self::IdTokenToken),
            "id_token" => Some(Self::IdToken),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdTokenToken => "id_token token",
            Self::IdToken => "id_token",
            Self::Token => "token",
        }
    }
    pub fn wants_id_token(self) -> bool {
        self != Self::Token
    }
    pub fn wants_access_token(self) -> bool {
        self != Self::IdToken
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

/// Concatenates message parts (no formatting machinery in the wasm).
pub fn msg(parts: &[&str]) -> String {
    parts.concat()
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
    pub metadata: MetadataOverride,
}

impl Config {
    /// Validates the options object of `createClient`. `default_redirect_uri` is the page's
    /// origin (the browser shell knows it).
    pub fn from_options(options: &Json, default_redirect_uri: &str) -> Result<Config> {
        if options.as_object().is_none() {
            return Err(AuthError::config("createClient needs an options object"));
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
        params.insert("redirect_uri", default_redirect_uri.into());
        params.insert("response_type", ResponseType::IdTokenToken.as_str().into());
        params.insert("scope", DEFAULT_SCOPE.into());
        merge_params(
            &mut params,
            options.get("authorizationParams"),
            "authorizationParams",
        )?;

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
        let metadata = match options.get("metadata") {
            None | Some(Json::Null) => MetadataOverride::default(),
            Some(m @ Json::Obj(_)) => MetadataOverride::from_json(m)?,
            Some(_) => return Err(AuthError::config("metadata must be an object")),
        };

        Ok(Config {
            issuer,
            domain,
            client_id,
            request_defaults: super::authorize::with_openid(params.clone()),
            params,
            silent_redirect_uri,
            cache_location,
            leeway_secs,
            authorize_timeout_secs,
            metadata,
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
            bad(" must be 'id_token token', 'id_token' or 'token'")
        }
        "max_age" if !is_decimal(value) => bad(" must be a non-negative whole number of seconds"),
        // The implicit flow returns its result in the fragment; another mode would put tokens
        // where this library refuses to read them.
        "response_mode" if value != "fragment" => bad(" can only be 'fragment' for this flow"),
        // These belong to the library: a caller's value would break state or nonce binding.
        "client_id" | "state" | "nonce" => bad(" is set by the library and cannot be given"),
        _ => Ok(()),
    }
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

fn opt_seconds(options: &Json, name: &str, zero_ok: bool) -> Result<Option<u64>> {
    match options.get(name) {
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

/// An issuer or provider endpoint: https, or http on a loopback host.
pub fn check_endpoint_url(what: &str, value: &str) -> Result<()> {
    let parts = urls::parse(value)
        .ok_or_else(|| AuthError::config(msg(&[what, " is not an absolute URL: '", value, "'"])))?;
    if parts.is_https() || urls::is_loopback(parts.host) {
        Ok(())
    } else {
        Err(AuthError::config(msg(&[
            what,
            " must use https (http only on localhost, 127.0.0.1 or [::1]): '",
            value,
            "'",
        ])))
    }
}

/// A redirect URI: absolute, http(s), no fragment (RFC 6749 3.1.2).
pub fn check_redirect_uri(what: &str, value: &str) -> Result<()> {
    match urls::parse(value) {
        Some(parts) if parts.fragment.is_none() => Ok(()),
        _ => Err(AuthError::config(msg(&[
            what,
            " must be an absolute http(s) URL without a fragment: '",
            value,
            "'",
        ]))),
    }
}
