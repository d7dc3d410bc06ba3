//! DPoP (RFC 9449): proofs that bind tokens to a key pair this browser holds and cannot export.
//! The key lives in the browser (WebCrypto, IndexedDB) behind `Ports::dpop_key` and
//! `Ports::dpop_sign`; what a proof says, and what a server's answer asks of the next one, is
//! decided here.

use super::base64url;
use super::error::{AuthError, Result};
use super::json::{decimal, Json, Members};
use super::text::msg;
use super::token::HttpResponse;

/// What a proof claims (RFC 9449 4.2).
pub struct Claims<'a> {
    /// The request's method, as sent.
    pub htm: &'a str,
    /// The request's URL, as sent: the proof names it without query and fragment.
    pub url: &'a str,
    /// Seconds since the epoch, from the client's clock.
    pub iat: u64,
    /// Unique per proof.
    pub jti: &'a str,
    /// The latest nonce the server gave, if it gave one.
    pub nonce: Option<&'a str>,
    /// base64url SHA-256 of the access token the proof goes with.
    pub ath: Option<&'a str>,
}

/// The `htu` of a request: its URL without query and fragment.
pub fn htu(url: &str) -> &str {
    let end = url
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(url.len());
    &url[..end]
}

/// The public key the browser gave, as the proof's `jwk` header carries it: an EC P-256 key
/// with its two 32-byte coordinates and nothing else (no private part, whatever was given).
pub fn public_key(given: &Json) -> Result<Json> {
    let coordinate = |name: &str| {
        given
            .str_member(name)
            .filter(|c| base64url::decode(c).is_some_and(|b| b.len() == 32))
    };
    match (
        given.str_member("kty"),
        given.str_member("crv"),
        coordinate("x"),
        coordinate("y"),
    ) {
        (Some("EC"), Some("P-256"), Some(x), Some(y)) => Ok(Json::Obj(vec![
            ("crv".into(), Json::str("P-256")),
            ("kty".into(), Json::str("EC")),
            ("x".into(), Json::str(x)),
            ("y".into(), Json::str(y)),
        ])),
        _ => Err(AuthError::storage(
            "the browser's DPoP key is not an EC P-256 public key",
        )),
    }
}

/// The JWS signing input of a proof: the header (`typ` dpop+jwt, `alg` ES256, the public key)
/// and the claims, each base64url JSON.
pub fn signing_input(public_key: &Json, claims: &Claims) -> String {
    let header = Members::new("typ", "dpop+jwt")
        .str("alg", "ES256")
        .json("jwk", public_key)
        .end();
    let body = Members::new("jti", claims.jti)
        .str("htm", claims.htm)
        .str("htu", htu(claims.url))
        .raw("iat", &decimal(claims.iat))
        .some("nonce", claims.nonce)
        .some("ath", claims.ath)
        .end();
    msg(&[
        &base64url::encode(header.as_bytes()),
        ".",
        &base64url::encode(body.as_bytes()),
    ])
}

/// A `DPoP-Nonce` header value as the next proof may carry it: one or more visible ASCII
/// characters without `"` or `\` (RFC 9449 8.1); anything else is ignored.
pub fn nonce(header: Option<&str>) -> Option<&str> {
    header.filter(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    })
}

/// Whether the authorization server's answer asks for the request again with its nonce: an
/// error body `use_dpop_nonce` with a usable `DPoP-Nonce` header (RFC 9449 8).
pub fn provider_wants_nonce(answer: &HttpResponse) -> bool {
    nonce(answer.dpop_nonce.as_deref()).is_some()
        && Json::parse_object(answer.body.as_bytes())
            .is_some_and(|body| body.str_member("error") == Some("use_dpop_nonce"))
}

/// Whether a resource server's answer asks for the request again with its nonce: a 401 whose
/// `WWW-Authenticate` has a `DPoP` challenge with `error="use_dpop_nonce"`, and a usable
/// `DPoP-Nonce` header (RFC 9449 9).
pub fn resource_wants_nonce(status: u16, www_authenticate: &str, dpop_nonce: Option<&str>) -> bool {
    status == 401 && nonce(dpop_nonce).is_some() && asks_for_nonce(www_authenticate)
}

/// Whether a `WWW-Authenticate` value has a `DPoP` challenge whose `error` is `use_dpop_nonce`
/// (RFC 9110 11.6.1: challenges and their parameters, separated by commas; a quoted string may
/// hold commas).
fn asks_for_nonce(header: &str) -> bool {
    let mut in_dpop = false;
    let mut rest = header;
    loop {
        let end = item_end(rest);
        let item = rest[..end].trim_matches(ows);
        // `name=value` (with optional whitespace around `=`, RFC 9110 11.2) goes on with the
        // challenge; anything else starts one: `Scheme [name=value]`.
        let word = item.find([' ', '\t', '=']).unwrap_or(item.len());
        let param = match item[word..].trim_start_matches(ows).starts_with('=') {
            true => item,
            false => {
                let (scheme, first) = item.split_at(word);
                in_dpop = scheme.eq_ignore_ascii_case("DPoP");
                first.trim_start_matches(ows)
            }
        };
        if let Some((name, value)) = param.split_once('=') {
            if in_dpop
                && name.trim_end_matches(ows).eq_ignore_ascii_case("error")
                && matches!(
                    value.trim_start_matches(ows),
                    "use_dpop_nonce" | "\"use_dpop_nonce\""
                )
            {
                return true;
            }
        }
        if end == rest.len() {
            return false;
        }
        rest = &rest[end + 1..];
    }
}

/// Optional white space (RFC 9110 5.6.3), and no other: std's `trim` knows all of Unicode's.
fn ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Where the first item of a header value ends: its first comma outside a quoted string.
fn item_end(s: &str) -> usize {
    let (mut quoted, mut escaped) = (false, false);
    for (i, b) in s.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => return i,
            _ => {}
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_has_no_query_or_fragment() {
        assert_eq!(
            htu("https://api.example/a/b?x=1#f"),
            "https://api.example/a/b"
        );
        assert_eq!(htu("https://api.example/a#f?x"), "https://api.example/a");
        assert_eq!(htu("https://api.example/"), "https://api.example/");
    }

    #[test]
    fn resource_nonce_challenges_are_read_from_the_dpop_challenge_only() {
        let wants = |h: &str| resource_wants_nonce(401, h, Some("n-1"));
        assert!(wants(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
        ));
        assert!(wants(r#"dpop algs="ES256", error=use_dpop_nonce"#));
        assert!(wants(r#"Bearer realm="x", DPoP error="use_dpop_nonce""#));
        // Whitespace around `=` (RFC 9110 11.2's BWS), in the first parameter and in later ones.
        assert!(wants(r#"DPoP algs="ES256", error = "use_dpop_nonce""#));
        assert!(wants("DPoP error =\t\"use_dpop_nonce\""));
        assert!(!wants(
            r#"DPoP algs="ES256", Bearer error = "use_dpop_nonce""#
        ));
        // A challenge with a token68 (which may end in `=`) is no parameter.
        assert!(wants(r#"Basic YWJj==, DPoP error = "use_dpop_nonce""#));
        assert!(wants(
            r#"DPoP error_description="a, \"b\"", error="use_dpop_nonce""#
        ));
        assert!(!wants(r#"Bearer error="use_dpop_nonce""#));
        assert!(!wants(
            r#"DPoP error="invalid_token", Bearer error="use_dpop_nonce""#
        ));
        assert!(!wants(r#"DPoP error="invalid_dpop_proof""#));
        assert!(!wants(r#"DPoP error_description="error=use_dpop_nonce""#));
        assert!(!wants(""));
        assert!(!resource_wants_nonce(
            400,
            r#"DPoP error="use_dpop_nonce""#,
            Some("n")
        ));
        assert!(!resource_wants_nonce(
            401,
            r#"DPoP error="use_dpop_nonce""#,
            None
        ));
        assert!(!resource_wants_nonce(
            401,
            r#"DPoP error="use_dpop_nonce""#,
            Some("a b")
        ));
    }

    #[test]
    fn provider_nonce_answers_need_the_error_and_the_header() {
        let answer = |body: &str, nonce: Option<&str>| HttpResponse {
            status: 400,
            body: body.into(),
            dpop_nonce: nonce.map(Into::into),
        };
        assert!(provider_wants_nonce(&answer(
            r#"{"error":"use_dpop_nonce"}"#,
            Some("abc")
        )));
        assert!(!provider_wants_nonce(&answer(
            r#"{"error":"use_dpop_nonce"}"#,
            None
        )));
        assert!(!provider_wants_nonce(&answer(
            r#"{"error":"use_dpop_nonce"}"#,
            Some("\"x\"")
        )));
        assert!(!provider_wants_nonce(&answer(
            r#"{"error":"invalid_grant"}"#,
            Some("abc")
        )));
        assert!(!provider_wants_nonce(&answer(
            "use_dpop_nonce",
            Some("abc")
        )));
    }

    #[test]
    fn the_public_key_keeps_only_its_public_members() {
        let x = base64url::encode(&[1; 32]);
        let y = base64url::encode(&[2; 32]);
        let given = Json::parse(
            msg(&[
                r#"{"kty":"EC","crv":"P-256","x":""#,
                &x,
                r#"","y":""#,
                &y,
                r#"","d":"secret","key_ops":["verify"],"ext":true}"#,
            ])
            .as_bytes(),
        )
        .unwrap();
        let key = public_key(&given).unwrap().to_text();
        assert_eq!(
            key,
            msg(&[
                r#"{"crv":"P-256","kty":"EC","x":""#,
                &x,
                r#"","y":""#,
                &y,
                r#""}"#
            ])
        );
        for bad in [
            r#"{"kty":"RSA","crv":"P-256","x":"AQ","y":"AQ"}"#,
            r#"{"kty":"EC","crv":"P-384","x":"AQ","y":"AQ"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}"#,
            r#"{"kty":"EC","crv":"P-256"}"#,
        ] {
            let e = public_key(&Json::parse(bad.as_bytes()).unwrap()).unwrap_err();
            assert_eq!(e.code(), "storage_unavailable", "{bad}");
        }
    }
}
