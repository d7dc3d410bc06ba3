//! Client options: validated once, in `createClient`, so that every later call can trust them.

use super::error::{AuthError, Result};
use super::metadata::MetadataOverride;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use url::Url;

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

/// `authorizationParams`: every value as the string sent to `/authorize`, keyed by name.
pub type AuthParams = BTreeMap<String, String>;

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
    pub silent_redirect_uri: String,
    pub cache_location: CacheLocation,
    pub leeway_secs: u64,
    pub authorize_timeout_secs: u64,
    pub metadata: MetadataOverride,
}

impl Config {
    /// Validates the options object of `createClient`. `default_redirect_uri` is the page's
    /// origin (the browser shell knows it).
    pub fn from_options(options: &Value, default_redirect_uri: &str) -> Result<Config> {
        let options = options
            .as_object()
            .ok_or_else(|| AuthError::config("createClient needs an options object"))?;
        let client_id = opt_string(options, "clientId")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::config("clientId is required"))?;
        let domain = opt_string(options, "domain")?;
        let issuer = match (opt_string(options, "issuer")?, &domain) {
            (Some(issuer), _) => issuer,
            (None, Some(domain)) => issuer_from_domain(domain)?,
            (None, None) => return Err(AuthError::config("domain or issuer is required")),
        };
        check_endpoint_url("issuer", &issuer)?;
        if issuer.contains(['?', '#']) {
            return Err(AuthError::config("issuer must not have a query or fragment"));
        }

        let mut params = AuthParams::new();
        params.insert("redirect_uri".into(), default_redirect_uri.into());
        params.insert("response_type".into(), ResponseType::IdTokenToken.as_str().into());
        params.insert("scope".into(), DEFAULT_SCOPE.into());
        merge_params(&mut params, options.get("authorizationParams"), "authorizationParams")?;

        let silent_redirect_uri = match opt_string(options, "silentRedirectUri")? {
            Some(uri) => {
                check_redirect_uri("silentRedirectUri", &uri)?;
                uri
            }
            None => params["redirect_uri"].clone(),
        };
        let cache_location = match opt_string(options, "cacheLocation")?.as_deref() {
            None | Some("memory") => CacheLocation::Memory,
            Some("localstorage") => CacheLocation::LocalStorage,
            Some(other) => {
                return Err(AuthError::config(format!(
                    "cacheLocation must be 'memory' or 'localstorage', not '{other}'"
                )))
            }
        };
        let leeway_secs = opt_seconds(options, "leeway", true)?.unwrap_or(DEFAULT_LEEWAY_SECS);
        let authorize_timeout_secs = opt_seconds(options, "authorizeTimeoutInSeconds", false)?
            .unwrap_or(DEFAULT_AUTHORIZE_TIMEOUT_SECS);
        let metadata = match options.get("metadata") {
            None | Some(Value::Null) => MetadataOverride::default(),
            Some(Value::Object(map)) => MetadataOverride::from_map(map)?,
            Some(_) => return Err(AuthError::config("metadata must be an object")),
        };

        Ok(Config {
            issuer,
            domain,
            client_id,
            params,
            silent_redirect_uri,
            cache_location,
            leeway_secs,
            authorize_timeout_secs,
            metadata,
        })
    }

    pub fn response_type(&self) -> ResponseType {
        ResponseType::parse(&self.params["response_type"]).unwrap_or(ResponseType::IdTokenToken)
    }
}

/// Merges an `authorizationParams` object into `params`, validating the values it knows.
pub fn merge_params(params: &mut AuthParams, given: Option<&Value>, what: &str) -> Result<()> {
    let map = match given {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(AuthError::config(format!("{what} must be an object"))),
    };
    for (name, value) in map {
        let value = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => n.to_string(),
            _ => {
                return Err(AuthError::config(format!(
                    "{what}.{name} must be a string or a number"
                )))
            }
        };
        check_param(name, &value, what)?;
        params.insert(name.clone(), value);
    }
    Ok(())
}

fn check_param(name: &str, value: &str, what: &str) -> Result<()> {
    match name {
        "redirect_uri" => check_redirect_uri(&format!("{what}.redirect_uri"), value),
        "response_type" if ResponseType::parse(value).is_none() => Err(AuthError::config(format!(
            "{what}.response_type must be 'id_token token', 'id_token' or 'token', not '{value}'"
        ))),
        "max_age" if !is_decimal(value) => Err(AuthError::config(format!(
            "{what}.max_age must be a non-negative whole number of seconds"
        ))),
        // The implicit flow returns its result in the fragment; another mode would put tokens
        // where this library refuses to read them.
        "response_mode" if value != "fragment" => Err(AuthError::config(format!(
            "{what}.response_mode can only be 'fragment' for this flow"
        ))),
        // These belong to the library: a caller's value would break state or nonce binding.
        "client_id" | "state" | "nonce" => Err(AuthError::config(format!(
            "{what}.{name} is set by the library and cannot be given"
        ))),
        _ => Ok(()),
    }
}

pub fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit())
}

fn opt_string(options: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AuthError::config(format!("{name} must be a string"))),
    }
}

fn opt_seconds(options: &Map<String, Value>, name: &str, zero_ok: bool) -> Result<Option<u64>> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 && (zero_ok || v > 0.0) && v <= 86_400.0 => {
                Ok(Some(v.ceil() as u64))
            }
            _ => Err(AuthError::config(format!("{name} must be a number of seconds (0 to 86400)"))),
        },
        Some(_) => Err(AuthError::config(format!("{name} must be a number of seconds"))),
    }
}

/// `domain` as Auth0 takes it: `tenant.example.com` means `https://tenant.example.com/`; a
/// scheme may be given (for a local Auth0-shaped provider over http on loopback).
fn issuer_from_domain(domain: &str) -> Result<String> {
    let base = if domain.starts_with("https://") || domain.starts_with("http://") {
        domain.to_owned()
    } else {
        format!("https://{domain}")
    };
    Ok(if base.ends_with('/') { base } else { format!("{base}/") })
}

/// True for the hosts where plain http is acceptable: the loopback ones, for development.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An issuer or provider endpoint: https, or http on a loopback host.
pub fn check_endpoint_url(what: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value)
        .map_err(|_| AuthError::config(format!("{what} is not an absolute URL: '{value}'")))?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(AuthError::config(format!(
            "{what} must use https (http only on localhost, 127.0.0.1 or [::1]): '{value}'"
        ))),
    }
}

/// A redirect URI: absolute, http(s), no fragment (RFC 6749 3.1.2).
pub fn check_redirect_uri(what: &str, value: &str) -> Result<()> {
    let url = Url::parse(value)
        .map_err(|_| AuthError::config(format!("{what} is not an absolute URL: '{value}'")))?;
    if !matches!(url.scheme(), "https" | "http") || value.contains('#') {
        return Err(AuthError::config(format!(
            "{what} must be an http(s) URL without a fragment: '{value}'"
        )));
    }
    Ok(())
}
