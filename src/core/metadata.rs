//! Provider metadata: OpenID Connect Discovery 1.0, with the `metadata` option on top.

use super::config::check_endpoint_url;
use super::error::{AuthError, Result};
use serde_json::{Map, Value};

/// What the flows need to know about the provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    /// Only these algorithms are accepted for ID tokens (Discovery 3 says RS256 is the default).
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
}

/// The `metadata` option: each member overrides the discovered one; with issuer,
/// authorization_endpoint and jwks_uri all given, discovery is not needed at all.
#[derive(Clone, Debug, Default)]
pub struct MetadataOverride(Map<String, Value>);

impl MetadataOverride {
    pub fn from_map(map: &Map<String, Value>) -> Result<Self> {
        // Fail at createClient, naming the member, rather than at the first login.
        let merged = MetadataOverride(map.clone());
        for name in ["issuer", "authorization_endpoint", "jwks_uri", "end_session_endpoint", "userinfo_endpoint"] {
            if let Some(v) = merged.0.get(name) {
                let s = v.as_str().ok_or_else(|| AuthError::config(format!("metadata.{name} must be a string")))?;
                if name != "issuer" {
                    check_endpoint_url(&format!("metadata.{name}"), s)?;
                }
            }
        }
        Ok(merged)
    }

    /// True when discovery can be skipped.
    pub fn is_complete(&self) -> bool {
        ["issuer", "authorization_endpoint", "jwks_uri"].iter().all(|k| self.0.contains_key(*k))
    }
}

/// `{issuer}/.well-known/openid-configuration`, a terminating `/` of the issuer removed first
/// (Discovery 4).
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// Builds the metadata from a discovery document (`None` when discovery was skipped) and the
/// override, and checks that the issuer is exactly the configured one (Discovery 4.3).
pub fn resolve(
    discovered: Option<&str>,
    overrides: &MetadataOverride,
    expected_issuer: &str,
) -> Result<ProviderMetadata> {
    let mut doc = match discovered {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(AuthError::network("the discovery document is not a JSON object")),
        },
        None => Map::new(),
    };
    for (k, v) in &overrides.0 {
        doc.insert(k.clone(), v.clone());
    }
    let text = |name: &str| -> Result<Option<String>> {
        match doc.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(AuthError::network(format!("provider metadata {name} is not a string"))),
        }
    };
    let required = |name: &str| -> Result<String> {
        text(name)?.ok_or_else(|| AuthError::network(format!("provider metadata has no {name}")))
    };
    let list = |name: &str| -> Vec<String> {
        doc.get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };

    let issuer = required("issuer")?;
    if issuer != expected_issuer {
        return Err(AuthError::config(format!(
            "the provider's issuer '{issuer}' is not the configured issuer '{expected_issuer}'"
        )));
    }
    let authorization_endpoint = required("authorization_endpoint")?;
    let jwks_uri = required("jwks_uri")?;
    let end_session_endpoint = text("end_session_endpoint")?;
    let userinfo_endpoint = text("userinfo_endpoint")?;
    for (name, value) in [("authorization_endpoint", Some(&authorization_endpoint)), ("jwks_uri", Some(&jwks_uri)), ("end_session_endpoint", end_session_endpoint.as_ref())] {
        if let Some(value) = value {
            check_endpoint_url(name, value).map_err(|e| AuthError::network(format!("provider metadata: {}", e.description)))?;
        }
    }
    let mut algs = list("id_token_signing_alg_values_supported");
    if algs.is_empty() {
        algs.push("RS256".into());
    }
    Ok(ProviderMetadata {
        issuer,
        authorization_endpoint,
        jwks_uri,
        end_session_endpoint,
        userinfo_endpoint,
        id_token_signing_alg_values_supported: algs,
        response_modes_supported: list("response_modes_supported"),
    })
}
