//! Login transactions: what `loginWithRedirect` must remember for the callback. Each lives in
//! its own sessionStorage entry keyed by its state (two tabs may log in at once), carries an
//! expiry, and is deleted on first use, success or failure (CONFORMANCE: single-use state).

use super::error::{AuthError, Result};
use super::ports::KeyValueStore;
use serde::{Deserialize, Serialize};

/// How long a user may spend at the provider before the transaction is void.
pub const TRANSACTION_TTL_MS: f64 = 60.0 * 60.0 * 1000.0;
const PREFIX: &str = "spa-login.tx.";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub state: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// JSON text of the app's `appState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_state: Option<String>,
    pub expires_at: f64,
}

fn key(client_id: &str, state: &str) -> String {
    format!("{PREFIX}{client_id}.{state}")
}

pub fn save(store: &dyn KeyValueStore, client_id: &str, tx: &Transaction) -> Result<()> {
    let text = serde_json::to_string(tx).expect("a transaction serializes");
    store
        .set(&key(client_id, &tx.state), &text)
        .map_err(|e| AuthError::storage(format!("cannot store the login transaction: {e}")))
}

/// Removes and returns the transaction of `state`. Unknown, unreadable and expired ones are all
/// `invalid_state`; the entry is gone afterwards in every case.
pub fn take(store: &dyn KeyValueStore, client_id: &str, state: &str, now_ms: f64) -> Result<Transaction> {
    let key = key(client_id, state);
    let text = store
        .get(&key)
        .map_err(|e| AuthError::storage(format!("cannot read the login transaction: {e}")))?;
    let Some(text) = text else {
        return Err(AuthError::state(
            "no login transaction for this state: unknown, already used, or from another tab's storage",
        ));
    };
    store
        .remove(&key)
        .map_err(|e| AuthError::storage(format!("cannot consume the login transaction: {e}")))?;
    let tx: Transaction = serde_json::from_str(&text)
        .map_err(|_| AuthError::state("the stored login transaction is unreadable"))?;
    if tx.state != state {
        return Err(AuthError::state("the stored login transaction belongs to another state"));
    }
    if now_ms >= tx.expires_at {
        return Err(AuthError::state("the login transaction has expired").with_context(None, tx.app_state.as_deref()));
    }
    Ok(tx)
}

/// Deletes this client's expired transactions, so abandoned logins do not pile up.
pub fn sweep_expired(store: &dyn KeyValueStore, client_id: &str, now_ms: f64) {
    let prefix = format!("{PREFIX}{client_id}.");
    let Ok(keys) = store.keys() else { return };
    for key in keys.iter().filter(|k| k.starts_with(&prefix)) {
        let expired = match store.get(key) {
            Ok(Some(text)) => serde_json::from_str::<Transaction>(&text).map_or(true, |tx| now_ms >= tx.expires_at),
            _ => false,
        };
        if expired {
            let _ = store.remove(key);
        }
    }
}
