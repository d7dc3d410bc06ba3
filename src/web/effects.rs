//! The effects a flow asks the JS entry to perform (`pkg-template/effects.js`), as one typed
//! enum with one serializer, and their failures as codes the core maps (never their text).

use super::tasks;
use crate::core::json::Json;
use crate::core::ports::{Failure, FailureKind, WindowKind, WindowRequest};

/// One effect; serialized as `{"op": ..., ...members}`.
pub enum Effect<'a> {
    /// GET `url`, giving up after `timeout_ms`.
    Fetch { url: &'a str, timeout_ms: f64 },
    /// Start a GET of `url` that a `Fetch` of it soon after takes over; answers at once.
    Prefetch { url: &'a str, timeout_ms: f64 },
    /// POST a form, CORS, no credentials, with a `DPoP` header when `dpop` is given; answers
    /// `{"status": n, "body": text, "nonce": DPoP-Nonce or null}` whatever the status.
    Post {
        url: &'a str,
        body: &'a str,
        dpop: Option<&'a str>,
        timeout_ms: f64,
    },
    /// The public JWK of the DPoP key pair `name`, made and kept in IndexedDB on first use.
    DpopKey { name: &'a str },
    /// ES256 signature of ASCII `input` with the DPoP key `name`; answers base64url.
    DpopSign { name: &'a str, input: &'a str },
    /// Delete the DPoP key pair `name`.
    DpopForget { name: &'a str },
    /// WebCrypto verify of a compact JWS: its ASCII signing input, the base64url signature.
    Verify {
        alg: &'a str,
        jwk: Json,
        input: &'a str,
        signature: String,
    },
    /// An authorization request in a hidden frame or the popup.
    Window {
        kind: WindowKind,
        request: &'a WindowRequest<'a>,
    },
    /// Leave the page for `url`.
    Open { url: &'a str },
    /// Take a Web Lock, held until the flow ends; `watch` is the localStorage entry it guards,
    /// whose write by the last holder must have arrived before the flow goes on.
    Lock {
        name: &'a str,
        watch: Option<&'a str>,
    },
    /// `history.replaceState` to `url`.
    Replace { url: &'a str },
}

impl Effect<'_> {
    pub fn to_json(&self) -> Json {
        let (op, members): (&str, Vec<(&str, Json)>) = match self {
            Effect::Fetch { url, timeout_ms } => (
                "fetch",
                vec![
                    ("url", Json::str(*url)),
                    ("timeoutMs", Json::time(*timeout_ms)),
                ],
            ),
            Effect::Prefetch { url, timeout_ms } => (
                "prefetch",
                vec![
                    ("url", Json::str(*url)),
                    ("timeoutMs", Json::time(*timeout_ms)),
                ],
            ),
            Effect::Post {
                url,
                body,
                dpop,
                timeout_ms,
            } => (
                "post",
                vec![
                    ("url", Json::str(*url)),
                    ("body", Json::str(*body)),
                    ("dpop", dpop.map_or(Json::Null, Json::str)),
                    ("timeoutMs", Json::time(*timeout_ms)),
                ],
            ),
            Effect::DpopKey { name } => ("dpopKey", vec![("name", Json::str(*name))]),
            Effect::DpopSign { name, input } => (
                "dpopSign",
                vec![("name", Json::str(*name)), ("input", Json::str(*input))],
            ),
            Effect::DpopForget { name } => ("dpopForget", vec![("name", Json::str(*name))]),
            Effect::Verify {
                alg,
                jwk,
                input,
                signature,
            } => (
                "verify",
                vec![
                    ("alg", Json::str(*alg)),
                    ("jwk", jwk.clone()),
                    ("input", Json::str(*input)),
                    ("sig", Json::str(signature.as_str())),
                ],
            ),
            Effect::Window { kind, request } => (
                match kind {
                    WindowKind::Frame => "frame",
                    WindowKind::Popup => "popup",
                },
                vec![
                    ("url", Json::str(request.url)),
                    (
                        "origin",
                        request.response_origin.map_or(Json::Null, Json::str),
                    ),
                    ("state", Json::str(request.state)),
                    ("redirectUri", Json::str(request.redirect_uri)),
                    ("timeoutMs", Json::time(request.timeout_ms)),
                ],
            ),
            Effect::Open { url } => ("open", vec![("url", Json::str(*url))]),
            Effect::Lock { name, watch } => (
                "lock",
                vec![
                    ("name", Json::str(*name)),
                    ("watch", watch.map_or(Json::Null, Json::str)),
                ],
            ),
            Effect::Replace { url } => ("replace", vec![("url", Json::str(*url))]),
        };
        let mut o = Json::Obj(Vec::with_capacity(members.len() + 1));
        o.set("op", Json::str(op));
        for (name, value) in members {
            o.set(name, value);
        }
        o
    }
}

/// Asks the entry to perform `effect` and waits: its answer, or why it failed.
pub async fn perform(effect: Effect<'_>) -> Result<String, Failure> {
    tasks::effect(effect.to_json().to_text())
        .await
        .map_err(failure)
}

/// An effect's failure as the entry reports it: `{"code": ..., "message": ...}`. The codes are
/// the ones effects.js rejects with; anything else is a plain failure.
fn failure(reply: String) -> Failure {
    let parsed = Json::parse(reply.as_bytes());
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.str_member(name))
            .unwrap_or_default()
            .to_owned()
    };
    let kind = match field("code").as_str() {
        "timeout" => FailureKind::Timeout,
        "popup_cancelled" => FailureKind::PopupCancelled,
        "popup_severed" => FailureKind::PopupSevered,
        "frame_blocked" => FailureKind::FrameBlocked,
        _ => FailureKind::Failed,
    };
    Failure::new(kind, field("message"))
}
