//! Login transactions: what `loginWithRedirect` must remember for the callback. Each lives in
//! its own sessionStorage entry keyed by its state (two tabs may log in at once), carries an
//! expiry, and is deleted on first use, success or failure (CONFORMANCE: single-use state).

use super::config::msg;
use super::error::{AuthError, Result};
use super::json::Json;
use super::ports::KeyValueStore;

/// How long a user may spend at the provider before the transaction is void.
pub const TRANSACTION_TTL_MS: f64 = 60.0 * 60.0 * 1000.0;
const PREFIX: &str = "spa-login.tx.";

#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    pub state: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scope: String,
    pub audience: Option<String>,
    pub max_age: Option<u64>,
    /// JSON text of the app's `appState`.
    pub app_state: Option<String>,
    pub expires_at: f64,
}

impl Transaction {
    fn to_json(&self) -> Json {
        let mut o = Json::Obj(Vec::new());
        for (k, v) in [
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", &self.response_type),
            ("scope", &self.scope),
        ] {
            o.set(k, Json::str(v.as_str()));
        }
        if let Some(a) = &self.audience {
            o.set("audience", Json::str(a.as_str()));
        }
        if let Some(m) = self.max_age {
            o.set("max_age", Json::int(m));
        }
        if let Some(s) = &self.app_state {
            o.set("app_state", Json::str(s.as_str()));
        }
        o.set("expires_at", Json::time(self.expires_at));
        o
    }

    fn from_json(v: &Json) -> Option<Transaction> {
        let s = |k: &str| v.str_member(k).map(str::to_owned);
        Some(Transaction {
            state: s("state")?,
            nonce: s("nonce")?,
            redirect_uri: s("redirect_uri")?,
            response_type: s("response_type")?,
            scope: s("scope")?,
            audience: s("audience"),
            max_age: v.get("max_age").and_then(Json::as_f64).map(|m| m as u64),
            app_state: s("app_state"),
            expires_at: v.get("expires_at")?.as_f64()?,
        })
    }

    fn read(text: &str) -> Option<Transaction> {
        Transaction::from_json(&Json::parse(text.as_bytes())?)
    }
}

fn key(client_id: &str, state: &str) -> String {
    msg(&[PREFIX, client_id, ".", state])
}

pub fn save(store: &dyn KeyValueStore, client_id: &str, tx: &Transaction) -> Result<()> {
    store
        .set(&key(client_id, &tx.state), &tx.to_json().to_text())
        .map_err(|e| AuthError::storage(msg(&["cannot store the login transaction: ", &e])))
}

/// Removes and returns the transaction of `state`. Unknown, unreadable and expired ones are all
/// `invalid_state`; the entry is gone afterwards in every case.
pub fn take(
    store: &dyn KeyValueStore,
    client_id: &str,
    state: &str,
    now_ms: f64,
) -> Result<Transaction> {
    let key = key(client_id, state);
    let text = store
        .get(&key)
        .map_err(|e| AuthError::storage(msg(&["cannot read the login transaction: ", &e])))?;
    let Some(text) = text else {
        return Err(AuthError::state(
            "no login transaction for this state: unknown, already used, or from another tab's storage",
        ));
    };
    store
        .remove(&key)
        .map_err(|e| AuthError::storage(msg(&["cannot consume the login transaction: ", &e])))?;
    let tx = Transaction::read(&text)
        .ok_or_else(|| AuthError::state("the stored login transaction is unreadable"))?;
    if tx.state != state {
        return Err(AuthError::state(
            "the stored login transaction belongs to another state",
        ));
    }
    if now_ms >= tx.expires_at {
        return Err(AuthError::state("the login transaction has expired")
            .with_context(None, tx.app_state.as_deref()));
    }
    Ok(tx)
}

/// Deletes this client's expired transactions, so abandoned logins do not pile up.
pub fn sweep_expired(store: &dyn KeyValueStore, client_id: &str, now_ms: f64) {
    let prefix = msg(&[PREFIX, client_id, "."]);
    let Ok(keys) = store.keys() else { return };
    for key in keys.iter().filter(|k| k.starts_with(&prefix)) {
        let expired = match store.get(key) {
            Ok(Some(text)) => Transaction::read(&text).is_none_or(|tx| now_ms >= tx.expires_at),
            _ => false,
        };
        if expired {
            let _ = store.remove(key);
        }
    }
}
