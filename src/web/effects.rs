//! The effects a flow asks the JS entry to perform (`pkg-template/effects.js`), as one typed
//! enum with one serializer, the flow's wait for one, and their failures as codes the core maps
//! (never their text).

use super::tasks;
use crate::core::json::{Json, Members};
use crate::core::ports::{Failure, FailureKind, WindowKind, WindowRequest};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One effect; serialized as `{"op": ..., ...members}`.
pub enum Effect<'a> {
    /// GET `url`, giving up after `timeout_ms`.
    Fetch {
        url: &'a str,
        timeout_ms: f64,
        /// Past the browser's HTTP cache.
        fresh: bool,
    },
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
}

impl Effect<'_> {
    pub fn to_text(&self) -> String {
        match self {
            Effect::Fetch {
                url,
                timeout_ms,
                fresh,
            } => Members::new("op", "fetch")
                .str("url", url)
                .ms("timeoutMs", *timeout_ms)
                .raw("fresh", if *fresh { "true" } else { "false" }),
            Effect::Post {
                url,
                body,
                dpop,
                timeout_ms,
            } => Members::new("op", "post")
                .str("url", url)
                .str("body", body)
                .opt("dpop", *dpop)
                .ms("timeoutMs", *timeout_ms),
            Effect::DpopKey { name } => Members::new("op", "dpopKey").str("name", name),
            Effect::DpopSign { name, input } => Members::new("op", "dpopSign")
                .str("name", name)
                .str("input", input),
            Effect::DpopForget { name } => Members::new("op", "dpopForget").str("name", name),
            Effect::Verify {
                alg,
                jwk,
                input,
                signature,
            } => Members::new("op", "verify")
                .str("alg", alg)
                .json("jwk", jwk)
                .str("input", input)
                .str("sig", signature),
            Effect::Window { kind, request } => Members::new(
                "op",
                match kind {
                    WindowKind::Frame => "frame",
                    WindowKind::Popup => "popup",
                },
            )
            .str("url", request.url)
            .opt("origin", request.response_origin)
            .str("state", request.state)
            .str("redirectUri", request.redirect_uri)
            .ms("timeoutMs", request.timeout_ms),
            Effect::Open { url } => Members::new("op", "open").str("url", url),
            Effect::Lock { name, watch } => Members::new("op", "lock")
                .str("name", name)
                .opt("watch", *watch),
        }
        .end()
    }
}

/// Asks the entry to perform `effect`; awaited, what `then` makes of its answer, or of why it
/// failed.
pub fn perform<T>(effect: Effect<'_>, then: fn(Result<String, Failure>) -> T) -> Wait<T> {
    Wait {
        effect: Some(effect.to_text()),
        then,
    }
}

/// A flow's wait for an effect. A plain future rather than an async fn, so that a port that
/// performs an effect and reads its answer has no state machine of its own (633 bytes of the
/// package for the ten ports).
pub struct Wait<T> {
    effect: Option<String>,
    then: fn(Result<String, Failure>) -> T,
}

impl<T> Future for Wait<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        if let Some(effect) = self.effect.take() {
            tasks::ask(effect);
            return Poll::Pending;
        }
        match tasks::answer() {
            Some(answer) => Poll::Ready((self.then)(answer.map_err(failure))),
            None => Poll::Pending,
        }
    }
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
