//! ID token claim checks (OpenID Connect Core 3.1.3.7 and 3.2.2.11), run only after the
//! signature has been verified.

use super::base64url;
use super::error::{AuthError, Result};
use super::expiry::Clock;
use super::json::Json;
use super::jws::HashAlg;
use super::text::msg;

/// What the claims must match: the client, the transaction and the clock.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The login's nonce; `None` for an ID token from a refresh, which answers no login
    /// request (Core 12.2).
    pub nonce: Option<&'a str>,
    pub clock: Clock,
    pub max_age: Option<u64>,
    /// Auth0 Organizations: the `organization` the request named.
    pub organization: Option<&'a str>,
}

fn number(claims: &Json, name: &str) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| {
                AuthError::id_token(msg(&["the ID token's ", name, " is not a number"]))
            }),
    }
}

fn required_number(claims: &Json, name: &str) -> Result<f64> {
    number(claims, name)?.ok_or_else(|| AuthError::id_token(msg(&["the ID token has no ", name])))
}

/// The audiences of `aud`: one string, or a non-empty list of them (RFC 7519 4.1.3).
pub fn audiences(claims: &Json) -> Result<Vec<String>> {
    match claims.get("aud") {
        Some(Json::Str(aud)) => Ok(vec![aud.clone()]),
        Some(list @ Json::Arr(items)) if !items.is_empty() => list.strings().ok_or_else(|| {
            AuthError::id_token("the ID token's aud has a member that is not a string")
        }),
        _ => Err(AuthError::id_token("the ID token has no aud")),
    }
}

pub fn validate_claims(claims: &Json, expected: &Expected) -> Result<()> {
    // 3.1.3.7 step 2: the issuer, exactly (a trailing slash matters).
    match claims.get("iss") {
        Some(Json::Str(iss)) if iss == expected.issuer => {}
        Some(Json::Str(iss)) => {
            return Err(AuthError::id_token(msg(&[
                "the ID token's iss '",
                iss,
                "' is not the issuer '",
                expected.issuer,
                "'",
            ])))
        }
        _ => return Err(AuthError::id_token("the ID token has no iss")),
    }
    // sub: a non-empty string of at most 255 ASCII characters (Core 2).
    match claims.get("sub") {
        Some(Json::Str(sub)) if !sub.is_empty() && sub.len() <= 255 => {}
        Some(Json::Str(_)) => {
            return Err(AuthError::id_token(
                "the ID token's sub is empty or too long",
            ))
        }
        _ => return Err(AuthError::id_token("the ID token has no sub")),
    }
    // Step 3: aud is or contains the client id; step 4: several audiences need azp.
    let audiences = audiences(claims)?;
    if !audiences.iter().any(|aud| aud == expected.client_id) {
        return Err(AuthError::id_token(
            "the ID token's aud does not contain this client's id",
        ));
    }
    // Step 5: azp, when present, is this client; with several audiences it must be present.
    match claims.get("azp") {
        Some(Json::Str(azp)) if azp == expected.client_id => {}
        Some(_) => {
            return Err(AuthError::id_token(
                "the ID token's azp is not this client's id",
            ))
        }
        None if audiences.len() > 1 => {
            return Err(AuthError::id_token(
                "the ID token has several audiences and no azp",
            ))
        }
        None => {}
    }
    // Step 9: not expired; step 10: not issued in the future. `nbf` as RFC 7519 4.1.5 says.
    let clock = &expected.clock;
    let exp = required_number(claims, "exp")?;
    let iat = required_number(claims, "iat")?;
    if !clock.valid(exp * 1000.0) {
        return Err(AuthError::id_token("the ID token has expired (exp)"));
    }
    if !clock.not_future(iat * 1000.0) {
        return Err(AuthError::id_token(
            "the ID token was issued in the future (iat)",
        ));
    }
    if let Some(nbf) = number(claims, "nbf")? {
        if !clock.not_future(nbf * 1000.0) {
            return Err(AuthError::id_token("the ID token is not valid yet (nbf)"));
        }
    }
    // Step 11 and 3.2.2.11: the nonce of this login, always (we always send one).
    if let Some(expected_nonce) = expected.nonce {
        match claims.get("nonce") {
            Some(Json::Str(nonce)) if nonce == expected_nonce => {}
            Some(_) => {
                return Err(AuthError::id_token(
                    "the ID token's nonce is not this login's nonce",
                ))
            }
            None => return Err(AuthError::id_token("the ID token has no nonce")),
        }
    }
    // Auth0 Organizations, as auth0-spa-js checks them: an organization's id (`org_…`) is the
    // token's `org_id`, its name the token's `org_name` (which Auth0 writes in lower case).
    if let Some(organization) = expected.organization {
        let organization = organization.trim_matches(' ');
        let (claim, wanted) = match organization.starts_with("org_") {
            true => ("org_id", organization.to_owned()),
            false => ("org_name", organization.to_ascii_lowercase()),
        };
        if claims.str_member(claim) != Some(&wanted) {
            return Err(AuthError::id_token(msg(&[
                "the ID token's ",
                claim,
                " is not the organization '",
                organization,
                "' the request named",
            ])));
        }
    }
    // Step 13: with max_age, auth_time must be there and recent enough.
    if let Some(max_age) = expected.max_age {
        let auth_time = number(claims, "auth_time")?.ok_or_else(|| {
            AuthError::id_token("max_age was requested and the ID token has no auth_time")
        })?;
        if !clock.within(auth_time * 1000.0, max_age as f64 * 1000.0) {
            return Err(AuthError::id_token(
                "the ID token's auth_time is older than max_age allows",
            ));
        }
    }
    Ok(())
}

/// Checks `at_hash` against the digest of the access token (Core 3.2.2.9): base64url of the
/// left half of the hash, byte for byte.
pub fn check_at_hash(claims: &Json, hash: HashAlg, digest: &[u8]) -> Result<()> {
    check_half_hash(claims, "at_hash", hash, digest)
}

/// Checks `c_hash` against the digest of the code (Core 3.3.2.11), as `at_hash` is checked.
pub fn check_c_hash(claims: &Json, hash: HashAlg, digest: &[u8]) -> Result<()> {
    check_half_hash(claims, "c_hash", hash, digest)
}

fn check_half_hash(claims: &Json, name: &str, hash: HashAlg, digest: &[u8]) -> Result<()> {
    let value = match claims.get(name) {
        Some(Json::Str(s)) => s,
        Some(_) => {
            return Err(AuthError::id_token(msg(&[
                "the ID token's ",
                name,
                " is not a string",
            ])))
        }
        None => return Err(AuthError::id_token(msg(&["the ID token has no ", name]))),
    };
    if digest.len() != hash.digest_len() {
        return Err(AuthError::id_token(msg(&[
            "the digest for ",
            name,
            " has the wrong length",
        ])));
    }
    if *value != base64url::encode(&digest[..digest.len() / 2]) {
        return Err(AuthError::id_token(msg(&[
            "the ID token's ",
            name,
            " does not match",
        ])));
    }
    Ok(())
}

/// Claims that describe the token rather than the user: left out of `getUser()`.
pub const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "acr",
    "amr",
    "sub_jwk",
    "cnf",
    "sid",
    "s_hash",
];

/// The user's profile: the ID token's claims without the protocol ones (as auth0-spa-js does).
pub fn user_claims(claims: &Json) -> Json {
    let mut user = Vec::new();
    for (name, value) in claims.as_object().unwrap_or_default() {
        if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
            user.push((name.clone(), value.clone()));
        }
    }
    Json::Obj(user)
}
