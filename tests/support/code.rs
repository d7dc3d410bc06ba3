//! The code flow's kit: a provider with a token endpoint, and a login through it.

use super::*;
use serde_json::{json, Map, Value};
use spa_login::core::client::Client;
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::Failure;
use spa_login::core::token::HttpResponse;
use std::cell::RefCell;
use std::rc::Rc;

pub const TOKEN_ENDPOINT: &str = "https://op.example/token";
pub const REVOCATION_ENDPOINT: &str = "https://op.example/revoke";

/// A provider with a token endpoint; `extra` members go into its discovery document.
pub fn code_client(options: Value, extra: Value) -> Client<FakePorts> {
    let ports = FakePorts::new();
    let mut doc = discovery(ISSUER);
    doc["token_endpoint"] = json!(TOKEN_ENDPOINT);
    doc["revocation_endpoint"] = json!(REVOCATION_ENDPOINT);
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &doc.to_string(),
    );
    let mut o = options_for("code");
    for (k, v) in options.as_object().unwrap() {
        o[k] = v.clone();
    }
    client_with(o, ports)
}

pub fn options_for(response_type: &str) -> Value {
    let mut o = super::options();
    o["authorizationParams"]["response_type"] = json!(response_type);
    o
}

pub fn form(body: &str) -> Map<String, Value> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), json!(v.into_owned())))
        .collect()
}

pub fn ok(body: Value) -> Result<HttpResponse, Failure> {
    Ok(HttpResponse {
        status: 200,
        body: body.to_string(),
        dpop_nonce: None,
    })
}

pub fn id_token(nonce: Option<&str>, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    id_token_at(NOW_MS, nonce, edit)
}

/// An ID token issued at `now_ms`, valid for an hour.
pub fn id_token_at(
    now_ms: f64,
    nonce: Option<&str>,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let mut c = claims(nonce.unwrap_or_default());
    let now = (now_ms / 1000.0) as u64;
    c.insert("iat".into(), json!(now));
    c.insert("exp".into(), json!(now + 3600));
    if nonce.is_none() {
        c.remove("nonce");
    }
    edit(&mut c);
    sign("rsa1", JwsAlg::RS256, Some("k1"), &Value::Object(c))
}

/// The token endpoint of a provider that issues `access_token` (and a refresh token, rotated
/// on each use, when asked for one) with an ID token for the login's nonce.
pub struct Provider {
    /// The nonce of the login in progress.
    pub nonce: Rc<RefCell<String>>,
    pub issued: Rc<RefCell<u32>>,
    /// The token_type it answers with ("Bearer" unless a test says otherwise).
    pub token_type: Rc<RefCell<&'static str>>,
    /// DPoP: the nonce a proof must carry, if any; a POST without it is answered
    /// `use_dpop_nonce` with this nonce in the `DPoP-Nonce` header.
    pub dpop_nonce: Rc<RefCell<Option<String>>>,
}

impl Provider {
    pub fn install(client: &Client<FakePorts>) -> Provider {
        let nonce = Rc::new(RefCell::new(String::new()));
        let issued = Rc::new(RefCell::new(0));
        let token_type = Rc::new(RefCell::new("Bearer"));
        let dpop_nonce = Rc::new(RefCell::new(None::<String>));
        let (n, count, tt, dn) = (
            nonce.clone(),
            issued.clone(),
            token_type.clone(),
            dpop_nonce.clone(),
        );
        client.ports.answer_posts(move |ports, url, body| {
            if let Some(wanted) = dn.borrow().clone() {
                let proof = ports
                    .post_proofs
                    .borrow()
                    .last()
                    .cloned()
                    .unwrap_or_default();
                if dpop_claims(&proof)["nonce"] != json!(wanted) {
                    return Ok(HttpResponse {
                        status: 400,
                        body: json!({ "error": "use_dpop_nonce" }).to_string(),
                        dpop_nonce: Some(wanted),
                    });
                }
            }
            if url == REVOCATION_ENDPOINT {
                return Ok(HttpResponse {
                    status: 200,
                    body: String::new(),
                    dpop_nonce: None,
                });
            }
            let f = form(body);
            *count.borrow_mut() += 1;
            let i = *count.borrow();
            let at = format!("at-{i}");
            let mut answer =
                json!({ "access_token": at, "token_type": *tt.borrow(), "expires_in": 600 });
            let nonce = match f.get("grant_type").and_then(Value::as_str) {
                Some("authorization_code") => Some(n.borrow().clone()),
                _ => None,
            };
            answer["id_token"] = json!(id_token_at(ports.now_ms.get(), nonce.as_deref(), |c| {
                c.insert("at_hash".into(), json!(at_hash(HashAlg::Sha256, &at)));
            }));
            answer["refresh_token"] = json!(format!("rt-{i}"));
            ok(answer)
        });
        Provider {
            nonce,
            issued,
            token_type,
            dpop_nonce,
        }
    }
}

/// Logs in with the code flow: the login request, then the callback with `code` in the query.
pub fn log_in(client: &Client<FakePorts>, provider: &Provider) -> String {
    let url = block_on(client.login_url(None, None)).unwrap();
    let state = param(&url, "state").unwrap();
    *provider.nonce.borrow_mut() = param(&url, "nonce").unwrap();
    block_on(client.handle_callback(&format!("{REDIRECT_URI}?code=the-code&state={state}")))
        .unwrap()
        .access_token
        .unwrap()
}

pub fn posts(client: &Client<FakePorts>) -> Vec<(String, Map<String, Value>)> {
    client
        .ports
        .posted
        .borrow()
        .iter()
        .map(|(u, b)| (u.clone(), form(b)))
        .collect()
}

/// The claims of a DPoP proof ("" gives null), read without checking it.
pub fn dpop_claims(proof: &str) -> Value {
    proof
        .split('.')
        .nth(1)
        .and_then(spa_login::core::base64url::decode)
        .and_then(|c| serde_json::from_slice(&c).ok())
        .unwrap_or(Value::Null)
}
