//! The authorization response in the URL fragment (RFC 6749 4.2.2 and 4.2.2.1, OpenID Connect
//! Core 3.2.2.5 and 3.2.2.6): strict decoding, then the checks that need no keys.

use super::config::ResponseType;
use super::error::{AuthError, ErrorCode, Result};
use super::json::Json;
use super::text::msg;
use super::urls::decode_component;

/// Responses larger than this are refused before decoding.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// And so are responses with more parameters than this.
pub const MAX_PARAMS: usize = 100;
/// The lifetime assumed when the provider sends no `expires_in`.
pub const DEFAULT_EXPIRES_IN: u64 = 3600;
/// A year: an `expires_in` beyond it is a bug or an attack, not a lifetime.
const MAX_EXPIRES_IN: u64 = 366 * 24 * 3600;

/// The parameters we read. Anything else (`__proto__`, `session_state`, `scope`, ...) is
/// ignored, as RFC 6749 4.2.2 says; each of these may appear once at most.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseParams {
    pub state: Option<String>,
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    pub expires_in: Option<String>,
    pub id_token: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
    pub code: Option<String>,
    /// Where the response came: it must be where its flow asked for it.
    pub mode: Mode,
}

/// Where an authorization response arrived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Fragment,
    Query,
    /// Posted by the provider (`web_message`): neither in the URL.
    Message,
}

impl ResponseParams {
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "state" => &mut self.state,
            "access_token" => &mut self.access_token,
            "token_type" => &mut self.token_type,
            "expires_in" => &mut self.expires_in,
            "id_token" => &mut self.id_token,
            "error" => &mut self.error,
            "error_description" => &mut self.error_description,
            "iss" => &mut self.iss,
            "code" => &mut self.code,
            _ => return None,
        })
    }

    pub fn has_tokens(&self) -> bool {
        self.access_token.is_some() || self.id_token.is_some()
    }

    /// Whether these parameters are a response at all (a state, an error, a code or a token).
    fn carries_response(&self) -> bool {
        self.state.is_some() || self.error.is_some() || self.code.is_some() || self.has_tokens()
    }
}

/// Decodes `application/x-www-form-urlencoded` text strictly: `+` is a space, a bad percent
/// sequence or invalid UTF-8 is an error, a known parameter given twice is an error.
pub fn parse_params(text: &str) -> Result<ResponseParams> {
    if text.len() > MAX_RESPONSE_BYTES {
        return Err(AuthError::response("the response is larger than 64 KiB"));
    }
    if text.split('&').filter(|p| !p.is_empty()).count() > MAX_PARAMS {
        return Err(AuthError::response(
            "the response has more than 100 parameters",
        ));
    }
    let mut params = ResponseParams::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_component(name)?;
        // Unknown parameters are decoded too: a malformed response is malformed anywhere.
        params.put(&name, decode_component(value)?)?;
    }
    Ok(params)
}

impl ResponseParams {
    /// Takes a parameter's value; a known one given twice is `invalid_response`.
    fn put(&mut self, name: &str, value: String) -> Result<()> {
        if let Some(slot) = self.slot(name) {
            if slot.is_some() {
                return Err(AuthError::response(msg(&[
                    "the response repeats the parameter ",
                    name,
                ])));
            }
            *slot = Some(value);
        }
        Ok(())
    }
}

/// A `web_message` response (the `response` object the provider posted): the same parameters
/// as a fragment. Providers send numbers as numbers (`"expires_in": 7200`): a number stands for
/// its decimal text, as it would in a fragment; any other kind of value for a parameter we read
/// is `invalid_response`, and members we do not read are ignored.
pub fn params_from_message(message: &Json) -> Result<ResponseParams> {
    let members = message
        .as_object()
        .ok_or_else(|| AuthError::response("the posted response is not an object"))?;
    if members.len() > MAX_PARAMS {
        return Err(AuthError::response(
            "the response has more than 100 parameters",
        ));
    }
    let mut params = ResponseParams {
        mode: Mode::Message,
        ..ResponseParams::default()
    };
    let mut size = 0;
    for (name, value) in members {
        if params.slot(name).is_none() {
            continue;
        }
        let text = match value {
            Json::Str(s) => s.clone(),
            Json::Num(n) => n.clone(),
            _ => {
                return Err(AuthError::response(msg(&[
                    "the posted response's ",
                    name,
                    " is neither a string nor a number",
                ])))
            }
        };
        size += name.len() + text.len();
        if size > MAX_RESPONSE_BYTES {
            return Err(AuthError::response("the response is larger than 64 KiB"));
        }
        params.put(name, text)?;
    }
    Ok(params)
}

/// Where a callback URL's response is: the fragment. Tokens in the query are refused (they leak
/// into logs and Referer headers). A response in the query (`response_mode=query`, or an error
/// some providers send there) is read when the fragment carries none: a fragment that is no
/// response (a hash router's `#/`, the `#_=_` some providers append) does not hide it, and the
/// app's own query, even malformed, does not break a response in the fragment. A part that does
/// not decode is still read for the names of its parameters: tokens named in a malformed query
/// are refused all the same, and a malformed fragment that names a response parameter is that
/// response, refused, rather than a fragment to look past.
pub fn params_from_url(url: &str) -> Result<ResponseParams> {
    let (before_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
    let query = before_fragment.split_once('?').map_or("", |(_, q)| q);
    let from_query = parse_params(query);
    let tokens_in_query = match &from_query {
        Ok(params) => params.has_tokens(),
        Err(_) => names_any(query, &["access_token", "id_token"]),
    };
    if tokens_in_query {
        return Err(AuthError::response(
            "the response has tokens in the query, where no flow sends them (injected, or leaked to logs and Referer)",
        ));
    }
    let from_fragment = parse_params(fragment);
    let fragment_is_response = match &from_fragment {
        Ok(params) => params.carries_response(),
        Err(_) => names_any(
            fragment,
            &["state", "error", "code", "access_token", "id_token"],
        ),
    };
    if fragment_is_response {
        return from_fragment;
    }
    match from_query {
        Ok(mut query) if query.carries_response() => {
            query.mode = Mode::Query;
            Ok(query)
        }
        Ok(_) => from_fragment,
        Err(e) => Err(e),
    }
}

/// The name of one `name=value` pair of form-encoded text, decoded (None if it does not
/// decode): how a part that failed to decode as a whole is still read.
fn pair_name(pair: &str) -> Option<String> {
    decode_component(pair.split_once('=').map_or(pair, |(name, _)| name)).ok()
}

/// Whether form-encoded text names one of `names`, whether or not the rest of it decodes.
fn names_any(text: &str, names: &[&str]) -> bool {
    text.split('&')
        .any(|pair| pair_name(pair).is_some_and(|name| names.contains(&name.as_str())))
}

/// An error response with a matching state (RFC 6749 4.2.2.1): the provider's own code, and its
/// description as plain text. `error_uri` is never followed.
pub fn provider_error(params: &ResponseParams) -> Option<AuthError> {
    let code = params.error.as_deref()?;
    Some(error_response(code, params.error_description.as_deref()))
}

/// The provider's error (an authorization or a token endpoint response): its code, and its
/// description as plain text, without control characters, at most 1000 characters.
pub fn error_response(code: &str, description: Option<&str>) -> AuthError {
    // RFC 6749 allows only printable ASCII without `"` and `\` in error codes.
    let valid = !code.is_empty()
        && code
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    if !valid {
        return AuthError::response("the provider's error code has characters RFC 6749 forbids");
    }
    // The description as shown to the app: no control characters, at most 1000 characters.
    let mut text = String::new();
    let mut kept = 0;
    for c in description.unwrap_or("").chars() {
        if kept == 1000 {
            break;
        }
        if !c.is_control() {
            text.push(c);
            kept += 1;
        }
    }
    AuthError::new(ErrorCode::Provider(code.to_owned()), text)
}

/// RFC 9207: a response naming another issuer is a mix-up attack, and where the provider says
/// it always names itself, a response without `iss` is not its own; except a response with the
/// ID token its flow asked for (`id_token_expected`), whose own `iss` (checked with its
/// signature) names the issuer: RFC 9207 lets such responses leave the parameter out, and
/// oidc-provider does. An error response has no ID token to lean on, whatever it carries.
pub fn check_iss(
    params: &ResponseParams,
    issuer: &str,
    required: bool,
    id_token_expected: bool,
) -> Result<()> {
    let required =
        required && !(id_token_expected && params.error.is_none() && params.id_token.is_some());
    match &params.iss {
        Some(iss) if iss != issuer => Err(AuthError::response(msg(&[
            "the response's iss '",
            iss,
            "' is not the issuer",
        ]))),
        None if required => Err(AuthError::response(
            "the response has no iss, and the provider says it always sends one (RFC 9207)",
        )),
        _ => Ok(()),
    }
}

/// The response came where its flow asked for it: a code in the query when the query was
/// asked for, anything else in the fragment (or posted as a message).
pub fn check_mode(params: &ResponseParams, expected: &str) -> Result<()> {
    let arrived = match params.mode {
        Mode::Message => return Ok(()),
        Mode::Query => "query",
        Mode::Fragment => "fragment",
    };
    if arrived == expected {
        Ok(())
    } else {
        Err(AuthError::response(msg(&[
            "the response came in the ",
            arrived,
            ", and this login asked for the ",
            expected,
        ])))
    }
}

/// What a code flow's authorization response gives: the code, and for `code id_token` the
/// front-channel ID token.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeResponse {
    pub code: String,
    pub id_token: Option<String>,
}

/// A code flow's response, before any key is needed: exactly the code (and, for the hybrid
/// flow, the ID token) and no access token. An access token in it is injected: RFC 9700 2.1.2
/// says none comes this way, so the response is refused whole and nothing of it is used.
pub fn check_code(params: &ResponseParams, response_type: ResponseType) -> Result<CodeResponse> {
    if params.access_token.is_some() {
        return Err(AuthError::response(
            "the response has an access_token that was not asked for",
        ));
    }
    let id_token = match (response_type.wants_id_token(), &params.id_token) {
        (true, None) => return Err(AuthError::response("the response has no id_token")),
        (false, Some(_)) => {
            return Err(AuthError::response(
                "the response has an id_token that was not asked for",
            ))
        }
        (_, id_token) => id_token.clone(),
    };
    match &params.code {
        Some(code) if !code.is_empty() => Ok(CodeResponse {
            code: code.clone(),
            id_token,
        }),
        _ => Err(AuthError::response("the response has no code")),
    }
}

/// The tokens of a successful response, checked against the request.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenResponse {
    pub id_token: Option<String>,
    pub access_token: Option<String>,
    pub expires_in: u64,
}

/// Everything about a successful response that needs no key: the tokens the response type
/// requires are there and nothing else is, `token_type`, `expires_in`, and the `iss` parameter.
pub fn check_tokens(params: &ResponseParams, response_type: ResponseType) -> Result<TokenResponse> {
    if params.code.is_some() {
        return Err(AuthError::response(
            "the response has a code that was not asked for",
        ));
    }
    match (response_type.wants_id_token(), &params.id_token) {
        (true, None) => return Err(AuthError::response("the response has no id_token")),
        (false, Some(_)) => {
            return Err(AuthError::response(
                "the response has an id_token that was not asked for",
            ))
        }
        _ => {}
    }
    match (response_type.wants_access_token(), &params.access_token) {
        (true, None) => return Err(AuthError::response("the response has no access_token")),
        (false, Some(_)) => {
            return Err(AuthError::response(
                "the response has an access_token that was not asked for",
            ))
        }
        _ => {}
    }
    if let Some(token) = &params.access_token {
        check_bearer(token, params.token_type.as_deref())?;
    }
    let expires_in = expires_in(params.expires_in.as_deref())?;
    Ok(TokenResponse {
        id_token: params.id_token.clone(),
        access_token: params.access_token.clone(),
        expires_in,
    })
}

/// An access token and its `token_type`: a b64token (RFC 6750 2.1, or it cannot go in an
/// Authorization header) of type Bearer, in any case.
pub fn check_bearer(token: &str, token_type: Option<&str>) -> Result<()> {
    check_token_type(token, token_type, "Bearer")
}

/// An access token in the token68 syntax the `Authorization` header carries, of the type
/// asked for (`Bearer` or `DPoP`, any case).
pub fn check_token_type(token: &str, token_type: Option<&str>, expected: &str) -> Result<()> {
    let body = token.trim_end_matches('=');
    let b64token = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        return Err(AuthError::response(
            "the access_token has characters a bearer token cannot have",
        ));
    }
    match token_type {
        Some(t) if t.eq_ignore_ascii_case(expected) => Ok(()),
        Some(t) => Err(AuthError::response(msg(&[
            "token_type '",
            t,
            "' is not ",
            expected,
        ]))),
        None => Err(AuthError::response("the response has no token_type")),
    }
}

/// `expires_in` as given (a plain positive decimal integer of sane size: no sign, space,
/// exponent or fraction), or the default lifetime when there is none.
pub fn expires_in(text: Option<&str>) -> Result<u64> {
    let Some(text) = text else {
        return Ok(DEFAULT_EXPIRES_IN);
    };
    let value = (text.len() <= 10)
        .then(|| super::json::parse_decimal(text))
        .flatten()
        .filter(|v| (1..=MAX_EXPIRES_IN).contains(v));
    value.ok_or_else(|| {
        AuthError::response(msg(&[
            "expires_in '",
            text,
            "' is not a positive whole number of seconds",
        ]))
    })
}

/// Parameters that belong to an authorization response, removed from the query by `clean_url`
/// when the query carries a response (one of the first five is there).
pub const RESPONSE_QUERY_PARAMS: &[&str] = &[
    "state",
    "error",
    "access_token",
    "id_token",
    "code",
    "error_description",
    "error_uri",
    "iss",
    "session_state",
    "token_type",
    "expires_in",
    "scope",
];

/// The one `state` of a response that failed to decode, if it can be told (in the fragment,
/// else in the query): a malformed response still uses up its transaction (CONFORMANCE: single
/// use, success or failure). A repeated or undecodable state names none.
pub fn lone_state(url: &str) -> Option<String> {
    let (before, fragment) = url.split_once('#').unwrap_or((url, ""));
    let query = before.split_once('?').map_or("", |(_, q)| q);
    // None: no state; Some(None): more than one.
    fn find(text: &str) -> Option<Option<&str>> {
        let mut found = None;
        for pair in text.split('&') {
            if pair_name(pair).as_deref() == Some("state") {
                let value = pair.split_once('=').map_or("", |(_, value)| value);
                found = Some(if found.is_none() { Some(value) } else { None });
            }
        }
        found
    }
    match find(fragment).or_else(|| find(query)) {
        Some(Some(one)) => decode_component(one).ok().filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// The callback URL with the response taken out: no fragment, and no response parameters in
/// the query (where an error response may have come). Other query parameters stay.
pub fn clean_url(url: &str) -> String {
    let base = url.split('#').next().unwrap_or_default();
    let Some((path, query)) = base.split_once('?') else {
        return base.into();
    };
    let name = |pair: &&str| {
        decode_component(pair.split('=').next().unwrap_or_default()).unwrap_or_default()
    };
    let pairs = || query.split('&').filter(|p| !p.is_empty());
    // Only a query that carries a response loses parameters: an app's own `scope=` stays.
    if !pairs().any(|p| RESPONSE_QUERY_PARAMS[..5].contains(&name(&p).as_str())) {
        return base.into();
    }
    let mut out = String::from(path);
    for pair in pairs() {
        if !RESPONSE_QUERY_PARAMS.contains(&name(&pair).as_str()) {
            out.push(if out.len() == path.len() { '?' } else { '&' });
            out.push_str(pair);
        }
    }
    out
}
