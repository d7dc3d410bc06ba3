//! Provider metadata: OpenID Connect Discovery 1.0, with the `metadata` option on top.

use super::error::{AuthError, Result};
use super::json::Json;
use super::text::msg;
use super::urls::check_endpoint_url;

/// What the flows need to know about the provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderMetadata {
    pub authorization_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    /// Where codes and refresh tokens are exchanged (code flows only).
    pub token_endpoint: Option<String>,
    /// RFC 7009 token revocation, for refresh tokens at logout.
    pub revocation_endpoint: Option<String>,
    /// RFC 9207: the provider puts `iss` in every authorization response, so one without it is
    /// not from this provider.
    pub iss_parameter_supported: bool,
    /// Only these algorithms are accepted for ID tokens (Discovery 3 says RS256 is the default).
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
}

const ENDPOINTS: [&str; 6] = [
    "authorization_endpoint",
    "jwks_uri",
    "end_session_endpoint",
    "userinfo_endpoint",
    "token_endpoint",
    "revocation_endpoint",
];

/// The `metadata` option: each member overrides the discovered one; with issuer,
/// authorization_endpoint and jwks_uri all given, discovery is not needed at all.
#[derive(Clone, Debug, Default)]
pub struct MetadataOverride(Vec<(String, Json)>);

impl MetadataOverride {
    pub fn from_json(given: &Json) -> Result<Self> {
        let members = given.as_object().unwrap_or_default();
        // Fail at createClient, naming the member, rather than at the first login.
        for (name, value) in members {
            let is_endpoint = ENDPOINTS.contains(&name.as_str());
            if is_endpoint || name == "issuer" {
                let s = value.as_str().ok_or_else(|| {
                    AuthError::config(msg(&["metadata.", name, " must be a string"]))
                })?;
                if is_endpoint {
                    check_endpoint_url(&msg(&["metadata.", name]), s)?;
                }
            }
        }
        Ok(MetadataOverride(members.to_vec()))
    }

    /// True when discovery can be skipped.
    pub fn is_complete(&self) -> bool {
        ["issuer", "authorization_endpoint", "jwks_uri"]
            .iter()
            .all(|k| self.0.iter().any(|(n, _)| n == k))
    }
}

/// `{issuer}/.well-known/openid-configuration`, a terminating `/` of the issuer removed first
/// (Discovery 4).
pub fn discovery_url(issuer: &str) -> String {
    msg(&[
        issuer.trim_end_matches('/'),
        "/.well-known/openid-configuration",
    ])
}

/// Builds the metadata from a discovery document (`None` when discovery was skipped) and the
/// override, and checks that the issuer is exactly the configured one (Discovery 4.3).
pub fn resolve(
    discovered: Option<&str>,
    overrides: &MetadataOverride,
    expected_issuer: &str,
) -> Result<ProviderMetadata> {
    let mut doc = match discovered {
        Some(text) => Json::parse_object(text.as_bytes())
            .ok_or_else(|| AuthError::metadata("the discovery document is not a JSON object"))?,
        None => Json::Obj(Vec::new()),
    };
    for (k, v) in &overrides.0 {
        doc.set(k, v.clone());
    }
    let text = |name: &str| -> Result<Option<String>> {
        match doc.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(AuthError::metadata(msg(&[
                "provider metadata ",
                name,
                " is not a string",
            ]))),
        }
    };
    let required = |name: &str| -> Result<String> {
        text(name)?.ok_or_else(|| AuthError::metadata(msg(&["provider metadata has no ", name])))
    };
    let list = |name: &str| -> Result<Vec<String>> {
        let not_a_list = || {
            AuthError::metadata(msg(&[
                "provider metadata ",
                name,
                " is not a list of strings",
            ]))
        };
        match doc.get(name) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(list) => list.strings().ok_or_else(not_a_list),
        }
    };

    let issuer = required("issuer")?;
    if issuer != expected_issuer {
        return Err(AuthError::config(msg(&[
            "the provider's issuer '",
            &issuer,
            "' is not the configured issuer '",
            expected_issuer,
            "'",
        ])));
    }
    let authorization_endpoint = required("authorization_endpoint")?;
    let jwks_uri = required("jwks_uri")?;
    let end_session_endpoint = text("end_session_endpoint")?;
    let token_endpoint = text("token_endpoint")?;
    let revocation_endpoint = text("revocation_endpoint")?;
    for (name, value) in [
        ("authorization_endpoint", Some(&authorization_endpoint)),
        ("jwks_uri", Some(&jwks_uri)),
        ("end_session_endpoint", end_session_endpoint.as_ref()),
        ("token_endpoint", token_endpoint.as_ref()),
        ("revocation_endpoint", revocation_endpoint.as_ref()),
    ] {
        if let Some(value) = value {
            check_endpoint_url(name, value)
                .map_err(|e| AuthError::metadata(msg(&["provider metadata: ", &e.description])))?;
        }
    }
    let mut algs = list("id_token_signing_alg_values_supported")?;
    if algs.is_empty() {
        algs.push("RS256".into());
    }
    Ok(ProviderMetadata {
        authorization_endpoint,
        jwks_uri,
        end_session_endpoint,
        token_endpoint,
        revocation_endpoint,
        iss_parameter_supported: match doc.get("authorization_response_iss_parameter_supported") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => {
                return Err(AuthError::metadata(
                    "provider metadata authorization_response_iss_parameter_supported is not true or false",
                ))
            }
        },
        id_token_signing_alg_values_supported: algs,
        response_modes_supported: list("response_modes_supported")?,
    })
}
