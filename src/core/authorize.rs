//! The authorization request (OpenID Connect Core 3.2.2.1, RFC 6749 4.2.1).

use super::config::{
    check_combination, merge_params, with_offline_access, with_openid, AuthParams, Config,
};
use super::error::Result;
use super::json::Json;
use super::metadata::ProviderMetadata;
use super::transaction::Transaction;
use super::urls;
use std::borrow::Cow;

/// Bytes of randomness in `state` and in `nonce`: 256 bits, well over the 128 asked for.
pub const RANDOM_BYTES: usize = 32;

/// The parameters of one request: the client's defaults with the call's overrides on top.
pub fn request_params<'a>(
    config: &'a Config,
    overrides: Option<&Json>,
) -> Result<Cow<'a, AuthParams>> {
    // Most calls give no parameters of their own: the client's, worked out once.
    if overrides.is_none_or(Json::is_null) {
        return Ok(Cow::Borrowed(&config.request_defaults));
    }
    let mut params = config.params.clone();
    merge_params(&mut params, overrides, "authorizationParams")?;
    check_combination(&params, "authorizationParams")?;
    if config.use_refresh_tokens {
        with_offline_access(&mut params);
    }
    Ok(Cow::Owned(with_openid(params, config.params.at("scope"))))
}

/// Builds the URL of `/authorize` for a transaction whose state and nonce were drawn already.
pub fn authorize_url(
    metadata: &ProviderMetadata,
    client_id: &str,
    params: &AuthParams,
    tx: &Transaction,
) -> String {
    let mut pairs = vec![("client_id", client_id)];
    pairs.extend(params.iter());
    pairs.push(("state", &tx.state));
    pairs.push(("nonce", &tx.nonce));
    urls::with_query(&metadata.authorization_endpoint, &pairs)
}
