//! Login transactions: what `loginWithRedirect` must remember for the callback. Each lives in
//! its own sessionStorage entry keyed by its state (two tabs may log in at once), carries an
//! expiry, and is deleted on first use, success or failure (CONFORMANCE: single-use state).
//!
//! A transaction belongs to one issuer and one client id: multi-tenant apps register the same
//! client id at several issuers, and a client of one must never take the other's transaction.

use super::error::{AuthError, Result};
use super::json::{Json, Members};
use super::ports::KeyValueStore;
use super::text::msg;

/// How long a user may spend at the provider before the transaction is void.
pub const TRANSACTION_TTL_MS: f64 = 60.0 * 60.0 * 1000.0;
const PREFIX: &str = "spa-login.tx.";

#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    pub issuer: String,
    pub client_id: String,
    pub state: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub response_type: String,
    /// Where the response must come: `query` or `fragment`.
    pub response_mode: String,
    /// PKCE (RFC 7636): the secret whose hash went with the request, for the code exchange.
    pub code_verifier: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub max_age: Option<u64>,
    /// Auth0 Organizations: the `organization` the request named.
    pub organization: Option<String>,
    /// JSON text of the app's `appState`.
    pub app_state: Option<String>,
    /// The discovery document the login's page resolved its metadata from, for a login that
    /// leaves the page: the callback page trusts it as it trusts the state and the verifier
    /// beside it, and skips a round trip to the provider before it can check the response.
    pub discovery: Option<String>,
    /// What the callback page may fetch before the module that checks the response is ready
    /// (the issuer's keys), as JSON text: `{"url": ..., "timeoutMs": ...}`. The JS entry reads
    /// it when the page loads with this transaction's state in its address
    /// (pkg-template/effects.js, `warmUp`), so the request runs while the wasm compiles; the
    /// callback's own fetch of that URL takes it over. For a redirect login of the code flow
    /// also the code exchange, `"exchange": {"url", "body", "iss"}`, which that page sends for a
    /// plain success while the module compiles (`Client::early_exchange`).
    pub prefetch: Option<String>,
    pub expires_at: f64,
}

impl Transaction {
    fn to_text(&self) -> String {
        let mut o = Members::new("issuer", &self.issuer)
            .str("client_id", &self.client_id)
            .str("state", &self.state)
            .str("nonce", &self.nonce)
            .str("redirect_uri", &self.redirect_uri)
            .str("response_type", &self.response_type)
            .str("response_mode", &self.response_mode)
            .str("scope", &self.scope)
            .some("audience", self.audience.as_deref())
            .some("code_verifier", self.code_verifier.as_deref());
        if let Some(m) = self.max_age {
            o = o.json("max_age", &Json::int(m));
        }
        o = o
            .some("organization", self.organization.as_deref())
            .some("app_state", self.app_state.as_deref())
            .some("discovery", self.discovery.as_deref());
        if let Some(p) = &self.prefetch {
            o = o.raw("prefetch", p);
        }
        o.ms("expires_at", self.expires_at).end()
    }

    fn from_json(v: &Json) -> Option<Transaction> {
        let s = |k: &str| v.str_member(k).map(str::to_owned);
        Some(Transaction {
            issuer: s("issuer")?,
            client_id: s("client_id")?,
            state: s("state")?,
            nonce: s("nonce")?,
            redirect_uri: s("redirect_uri")?,
            response_type: s("response_type")?,
            response_mode: s("response_mode")?,
            code_verifier: s("code_verifier"),
            scope: s("scope")?,
            audience: s("audience"),
            max_age: v.get("max_age").and_then(Json::as_f64).map(|m| m as u64),
            organization: s("organization"),
            app_state: s("app_state"),
            discovery: s("discovery"),
            prefetch: v.get("prefetch").map(Json::to_text),
            expires_at: v.get("expires_at")?.as_f64()?,
        })
    }

    fn read(text: &str) -> Option<Transaction> {
        Transaction::from_json(&Json::parse(text.as_bytes())?)
    }
}

fn key(state: &str) -> String {
    msg(&[PREFIX, state])
}

impl Transaction {
    fn belongs_to(&self, issuer: &str, client_id: &str) -> bool {
        self.issuer == issuer && self.client_id == client_id
    }
}

pub fn save(store: &dyn KeyValueStore, tx: &Transaction) -> Result<()> {
    store
        .set(&key(&tx.state), &tx.to_text())
        .map_err(|e| AuthError::storage(msg(&["cannot store the login transaction: ", &e])))
}

/// The transaction of `state` if this client (issuer and client id) holds it here, without
/// using it up: a response whose state names none belongs to another window's flow.
pub fn peek(
    store: &dyn KeyValueStore,
    issuer: &str,
    client_id: &str,
    state: &str,
) -> Option<Transaction> {
    let text = store.get(&key(state)).ok()??;
    Transaction::read(&text).filter(|tx| tx.state == state && tx.belongs_to(issuer, client_id))
}

/// Removes and returns this client's transaction of `state`. Unknown, unreadable and expired
/// ones are all `invalid_state`, and are gone afterwards; another client's stays untouched.
pub fn take(
    store: &dyn KeyValueStore,
    issuer: &str,
    client_id: &str,
    state: &str,
    now_ms: f64,
) -> Result<Transaction> {
    let key = key(state);
    let text = store
        .get(&key)
        .map_err(|e| AuthError::storage(msg(&["cannot read the login transaction: ", &e])))?;
    let unknown = || {
        AuthError::state(
            "no login transaction for this state: unknown, already used, or from another tab's storage",
        )
    };
    let Some(text) = text else {
        return Err(unknown());
    };
    let tx = Transaction::read(&text).filter(|tx| tx.state == state);
    if tx
        .as_ref()
        .is_some_and(|tx| !tx.belongs_to(issuer, client_id))
    {
        // Another issuer's or client's login: not ours to report on, nor to use up.
        return Err(unknown());
    }
    store
        .remove(&key)
        .map_err(|e| AuthError::storage(msg(&["cannot consume the login transaction: ", &e])))?;
    let tx = tx.ok_or_else(|| AuthError::state("the stored login transaction is unreadable"))?;
    if now_ms >= tx.expires_at {
        return Err(AuthError::state("the login transaction has expired")
            .with_context(None, tx.app_state.as_deref()));
    }
    Ok(tx)
}

/// Deletes the transaction of `state` (a frame or popup flow that timed out or was closed:
/// nothing may complete it later).
pub fn abandon(store: &dyn KeyValueStore, state: &str) {
    let _ = store.remove(&key(state));
}

/// Deletes this client's transactions that `doomed` picks; unreadable entries go too. (`dyn`:
/// one copy of the sweep in the wasm for its two uses.)
fn sweep(
    store: &dyn KeyValueStore,
    issuer: &str,
    client_id: &str,
    doomed: &dyn Fn(&Transaction) -> bool,
) {
    let Ok(keys) = store.keys() else { return };
    for key in keys.iter().filter(|k| k.starts_with(PREFIX)) {
        let remove = match store.get(key) {
            Ok(Some(text)) => match Transaction::read(&text) {
                Some(tx) => tx.belongs_to(issuer, client_id) && doomed(&tx),
                None => true,
            },
            _ => false,
        };
        if remove {
            let _ = store.remove(key);
        }
    }
}

/// Deletes this client's expired transactions, so abandoned logins do not pile up.
pub fn sweep_expired(store: &dyn KeyValueStore, issuer: &str, client_id: &str, now_ms: f64) {
    sweep(store, issuer, client_id, &|tx| now_ms >= tx.expires_at);
}

/// Deletes every transaction of this client (logout: no flow in flight may complete).
pub fn remove_all(store: &dyn KeyValueStore, issuer: &str, client_id: &str) {
    sweep(store, issuer, client_id, &|_| true);
}
