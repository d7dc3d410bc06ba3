//! The authorization request (OpenID Connect Core 3.2.2.1, RFC 6749 4.2.1).

use super::config::{merge_params, AuthParams, Config, ResponseType};
use super::error::{AuthError, Result};
use super::metadata::ProviderMetadata;
use super::transaction::Transaction;
use serde_json::Value;
use url::Url;

/// Bytes of randomness in `state` and in `nonce`: 256 bits, well over the 128 asked for.
pub const RANDOM_BYTES: usize = 32;

/// The parameters of one request: the client's defaults with the call's overrides on top.
pub fn request_params(config: &Config, overrides: Option<&Value>) -> Result<AuthParams> {
    let mut params = config.params.clone();
    merge_params(&mut params, overrides, "authorizationParams")?;
    let response_type = ResponseType::parse(&params["response_type"]).expect("validated");
    if response_type.wants_id_token() {
        let scope = params.get_mut("scope").expect("always set");
        if !scope.split(' ').any(|s| s == "openid") {
            *scope = if scope.trim().is_empty() { "openid".into() } else { format!("openid {scope}") };
        }
    }
    Ok(params)
}

/// Builds the URL of `/authorize` for a transaction whose state and nonce were drawn already.
pub fn authorize_url(
    metadata: &ProviderMetadata,
    client_id: &str,
    params: &AuthParams,
    tx: &Transaction,
) -> Result<String> {
    let mut url = Url::parse(&metadata.authorization_endpoint)
        .map_err(|_| AuthError::network("authorization_endpoint is not a URL"))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("client_id", client_id);
        for (name, value) in params {
            query.append_pair(name, value);
        }
        query.append_pair("state", &tx.state);
        query.append_pair("nonce", &tx.nonce);
    }
    Ok(url.into())
}
