//! The token endpoint (RFC 6749 3.2, 4.1.3, 5, 6; RFC 7636 4.5; RFC 7009 2): the form bodies
//! the client posts, and the token response read as strictly as an authorization response.

use super::error::{AuthError, Result};
use super::json::Json;
use super::response::{check_token_type, error_response, expires_in};
use super::text::msg;
use super::urls::encode_component;

/// A form body, `application/x-www-form-urlencoded`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(name, &mut out);
        out.push('=');
        encode_component(value, &mut out);
    }
    out
}

/// What the token endpoint answered: its status, body and `DPoP-Nonce` header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    pub dpop_nonce: Option<String>,
}

impl HttpResponse {
    /// A 2xx status: the server took the request.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A successful token response (RFC 6749 5.1), checked.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub expires_in: u64,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

/// Reads a token response: a JSON object (duplicate keys refused) with an `access_token` of
/// the `token_type` asked for (`Bearer`, or `DPoP` for a request with a proof: a Bearer token
/// then means the provider did not bind it), `expires_in` a positive whole number where
/// present, and the ID and refresh tokens as strings where present. An error body (RFC 6749
/// 5.2) rejects with the provider's code. A success whose body begins as a JSON object or
/// array but is no acceptable token response (an array, duplicate keys, a member of the wrong
/// type, cut off) is a malformed token response; anything else, a failure status without an
/// error body or a body that is no JSON object at all (a proxy's HTML page, plain text,
/// nothing), is a network failure: no token endpoint answered.
pub fn parse_response(response: &HttpResponse, token_type: &str) -> Result<TokenSet> {
    let ok = response.is_success();
    let status = || {
        AuthError::network(msg(&[
            "the token endpoint answered HTTP status ",
            &super::json::decimal(response.status as u64),
            " with no token response",
        ]))
    };
    let Some(body) = Json::parse_object(response.body.as_bytes()) else {
        let json_like = matches!(
            response
                .body
                .trim_start_matches([' ', '\t', '\n', '\r'])
                .as_bytes()
                .first(),
            Some(b'{' | b'[')
        );
        return Err(if ok && json_like {
            AuthError::response("the token response is not a JSON object")
        } else {
            status()
        });
    };
    if let Some(error) = body.get("error") {
        if let Some(code) = error.as_str() {
            let mut e = error_response(code, body.str_member("error_description"));
            // What the app needs for the second factor (Auth0's MFA API), as auth0-spa-js
            // hands it on: the token as a string, the requirements as an object.
            if code == "mfa_required" {
                for (name, value) in [
                    (
                        "mfa_token",
                        body.get("mfa_token").filter(|v| v.as_str().is_some()),
                    ),
                    (
                        "mfa_requirements",
                        body.get("mfa_requirements")
                            .filter(|v| v.as_object().is_some()),
                    ),
                ] {
                    if let Some(value) = value {
                        e.extra.push((name.into(), value.clone()));
                    }
                }
            }
            return Err(e);
        }
        if ok {
            return Err(AuthError::response(
                "the token response's error is not a string",
            ));
        }
    }
    if !ok {
        return Err(status());
    }
    let string = |name: &str| -> Result<Option<String>> {
        match body.get(name) {
            None => Ok(None),
            Some(Json::Str(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(AuthError::response(msg(&[
                "the token response's ",
                name,
                " is not a non-empty string",
            ]))),
        }
    };
    let access_token = string("access_token")?
        .ok_or_else(|| AuthError::response("the token response has no access_token"))?;
    check_token_type(&access_token, string("token_type")?.as_deref(), token_type)?;
    let expires_in = match body.get("expires_in") {
        None => expires_in(None)?,
        Some(Json::Num(n)) => expires_in(Some(n))?,
        Some(_) => {
            return Err(AuthError::response(
                "the token response's expires_in is not a number",
            ))
        }
    };
    Ok(TokenSet {
        access_token,
        expires_in,
        id_token: string("id_token")?,
        refresh_token: string("refresh_token")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> Result<TokenSet> {
        parse_response(
            &HttpResponse {
                status,
                body: body.into(),
                dpop_nonce: None,
            },
            "Bearer",
        )
    }

    #[test]
    fn a_good_response_is_read() {
        let t = parse(
            200,
            r#"{"access_token":"at","token_type":"bearer","expires_in":300,"id_token":"a.b.c","refresh_token":"rt","scope":"openid"}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            TokenSet {
                access_token: "at".into(),
                expires_in: 300,
                id_token: Some("a.b.c".into()),
                refresh_token: Some("rt".into()),
            }
        );
    }

    #[test]
    fn anything_malformed_is_invalid_response() {
        for body in [
            "[]",
            "{\"access_token\":\"at\",",
            " {}",
            r#"{"access_token":"at","access_token":"at2","token_type":"Bearer"}"#,
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            r#"{"access_token":7,"token_type":"Bearer"}"#,
            r#"{"access_token":"at"}"#,
            r#"{"access_token":"at","token_type":"MAC"}"#,
            r#"{"access_token":"a t","token_type":"Bearer"}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":"3600"}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":0}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":3600.5}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":-1}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":1e3}"#,
            r#"{"access_token":"at","token_type":"Bearer","id_token":null}"#,
            r#"{"access_token":"at","token_type":"Bearer","refresh_token":5}"#,
        ] {
            assert_eq!(
                parse(200, body).unwrap_err().code(),
                "invalid_response",
                "{body}"
            );
        }
    }

    #[test]
    fn mfa_required_carries_the_mfa_token_and_requirements_and_no_other_error_does() {
        let body = r#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"Fe26.2*abc","mfa_requirements":{"challenge":[{"type":"otp"}]}}"#;
        let e = parse(403, body).unwrap_err();
        assert_eq!(e.code(), "mfa_required");
        let extra: Vec<(&str, String)> = e
            .extra
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_text()))
            .collect();
        assert_eq!(
            extra,
            [
                ("mfa_token", r#""Fe26.2*abc""#.to_owned()),
                (
                    "mfa_requirements",
                    r#"{"challenge":[{"type":"otp"}]}"#.to_owned()
                )
            ]
        );
        // Another error with the same members carries nothing besides.
        let other = body.replace("mfa_required", "access_denied");
        assert!(parse(403, &other).unwrap_err().extra.is_empty());
        // Without them, or of other types, mfa_required alone.
        for body in [
            r#"{"error":"mfa_required"}"#,
            r#"{"error":"mfa_required","mfa_token":7,"mfa_requirements":"otp"}"#,
        ] {
            let bare = parse(403, body).unwrap_err();
            assert_eq!(
                (bare.code(), bare.extra.len()),
                ("mfa_required", 0),
                "{body}"
            );
        }
    }

    #[test]
    fn an_error_body_is_the_providers_code_and_a_bare_failure_is_network_error() {
        let e = parse(
            400,
            r#"{"error":"invalid_grant","error_description":"grant\u0007 expired"}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.description.as_str()),
            ("invalid_grant", "grant expired")
        );
        assert_eq!(
            parse(200, r#"{"error":"invalid_client"}"#)
                .unwrap_err()
                .code(),
            "invalid_client"
        );
        // A failure status without an error body, or a body that is no JSON at all.
        for (status, body) in [
            (500, "<html>"),
            (503, ""),
            (404, "[]"),
            (400, r#"{"error":5}"#),
            (200, "<html>"),
            (200, ""),
            (200, "not json"),
        ] {
            assert_eq!(
                parse(status, body).unwrap_err().code(),
                "network_error",
                "{status} {body}"
            );
        }
        assert_eq!(
            parse(400, r#"{"error":"bad\"code"}"#).unwrap_err().code(),
            "invalid_response"
        );
    }

    #[test]
    fn a_dpop_request_needs_a_dpop_token() {
        let answer = |token_type: &str| HttpResponse {
            status: 200,
            body: msg(&[
                r#"{"access_token":"at","token_type":""#,
                token_type,
                r#""}"#,
            ]),
            dpop_nonce: None,
        };
        assert_eq!(
            parse_response(&answer("DPoP"), "DPoP")
                .unwrap()
                .access_token,
            "at"
        );
        assert_eq!(
            parse_response(&answer("dpop"), "DPoP")
                .unwrap()
                .access_token,
            "at"
        );
        for (given, asked) in [("Bearer", "DPoP"), ("DPoP", "Bearer"), ("bearer", "DPoP")] {
            let e = parse_response(&answer(given), asked).unwrap_err();
            assert_eq!(e.code(), "invalid_response", "{given} for {asked}");
            assert!(e.description.contains(asked), "{}", e.description);
        }
    }

    #[test]
    fn forms_are_encoded() {
        assert_eq!(
            form(&[("grant_type", "authorization_code"), ("code", "a+b c&d")]),
            "grant_type=authorization_code&code=a%2Bb+c%26d"
        );
    }
}
