//! The token cache: access tokens per (audience, scope) and one ID token per client.
//!
//! The whole session of a client is one storage entry, written in one `set`, so a login either
//! lands completely or not at all, and the in-memory copy changes only after storage took it.

use super::error::{AuthError, Result};
use super::ports::KeyValueStore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;

const PREFIX: &str = "spa-login.session.";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenEntry {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Space-separated scopes the token carries.
    pub scope: String,
    /// Milliseconds since the epoch.
    pub expires_at: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdTokenEntry {
    pub raw: String,
    pub claims: Map<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdTokenEntry>,
    #[serde(default)]
    pub access_tokens: Vec<AccessTokenEntry>,
}

pub struct TokenCache {
    key: String,
    session: Session,
    /// Changes whenever the session does, so observers can skip recomputing when it did not.
    pub version: u32,
}

/// Whether a token granted `granted` serves a request for `requested`. `openid` is left out:
/// it asks for an ID token, not for access, and is added to requests for ID tokens only.
fn covers(granted: &str, requested: &str) -> bool {
    requested.split_whitespace().filter(|s| *s != "openid").all(|s| granted.split_whitespace().any(|g| g == s))
}

impl TokenCache {
    /// Reads the stored session once; an unreadable or corrupt entry counts as no session.
    pub fn load(store: &dyn KeyValueStore, client_id: &str) -> TokenCache {
        let key = format!("{PREFIX}{client_id}");
        let session = store
            .get(&key)
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        TokenCache { key, session, version: 0 }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A token for `audience` whose scopes include every requested one and that is not within
    /// `leeway_ms` of expiry.
    pub fn find(&self, audience: Option<&str>, scope: &str, now_ms: f64, leeway_ms: f64) -> Option<&AccessTokenEntry> {
        self.session.access_tokens.iter().find(|t| {
            t.audience.as_deref() == audience && covers(&t.scope, scope) && t.expires_at - leeway_ms > now_ms
        })
    }

    /// Stores the result of one validated response: the ID token replaces the previous one, the
    /// access token replaces the one of the same (audience, scope). Expired tokens are dropped.
    pub fn save(
        &mut self,
        store: &dyn KeyValueStore,
        id_token: Option<IdTokenEntry>,
        access_token: Option<AccessTokenEntry>,
        now_ms: f64,
    ) -> Result<()> {
        let mut next = self.session.clone();
        if id_token.is_some() {
            next.id_token = id_token;
        }
        next.access_tokens.retain(|t| t.expires_at > now_ms);
        if let Some(new) = access_token {
            next.access_tokens.retain(|t| !(t.audience == new.audience && t.scope == new.scope));
            next.access_tokens.push(new);
        }
        let text = serde_json::to_string(&next).expect("a session serializes");
        store
            .set(&self.key, &text)
            .map_err(|e| AuthError::storage(format!("cannot store the tokens: {e}")))?;
        self.session = next;
        self.version = self.version.wrapping_add(1);
        Ok(())
    }

    /// Forgets every token of this client, in storage first.
    pub fn clear(&mut self, store: &dyn KeyValueStore) -> Result<()> {
        store
            .remove(&self.key)
            .map_err(|e| AuthError::storage(format!("cannot remove the tokens: {e}")))?;
        self.session = Session::default();
        self.version = self.version.wrapping_add(1);
        Ok(())
    }
}

/// A store in memory: the default `cacheLocation`, and a fake for tests.
#[derive(Default)]
pub struct MemoryStore(RefCell<HashMap<String, String>>);

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, String> {
        Ok(self.0.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), String> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn remove(&self, key: &str) -> std::result::Result<(), String> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
    fn keys(&self) -> std::result::Result<Vec<String>, String> {
        Ok(self.0.borrow().keys().cloned().collect())
    }
}
