//! The token cache: access tokens per (audience, scope) and one ID token per client.
//!
//! The whole session of a client is one storage entry, written in one `set`, so a login either
//! lands completely or not at all, and the in-memory copy changes only after storage took it.
//! The entry is named after the issuer and the client id: the same client id registered at two
//! issuers has two sessions.

use super::error::{AuthError, Result};
use super::expiry::Clock;
use super::json::{Json, Members};
use super::ports::KeyValueStore;
use super::text::msg;
use std::cell::RefCell;

const PREFIX: &str = "spa-login.session.";

/// The storage key of a client's session. An issuer has no spaces (it is a URL), so the first
/// space ends it.
pub fn session_key(issuer: &str, client_id: &str) -> String {
    msg(&[PREFIX, issuer, " ", client_id])
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccessTokenEntry {
    pub access_token: String,
    pub audience: Option<String>,
    /// Space-separated scopes the token carries.
    pub scope: String,
    /// Milliseconds since the epoch.
    pub expires_at: f64,
    /// The refresh token that came with it (code flows with `useRefreshTokens`).
    pub refresh_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IdTokenEntry {
    pub raw: String,
    pub claims: Json,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub id_token: Option<IdTokenEntry>,
    pub access_tokens: Vec<AccessTokenEntry>,
}

impl Session {
    /// Neither an ID token nor an access token: no session.
    pub fn is_empty(&self) -> bool {
        self.id_token.is_none() && self.access_tokens.is_empty()
    }

    /// Stored as `{"id_token": raw, "access_tokens": [...]}`: the ID token's claims are read
    /// again from the (already verified) token on load.
    fn to_text(&self) -> String {
        let mut tokens = String::from("[");
        for t in &self.access_tokens {
            if tokens.len() > 1 {
                tokens.push(',');
            }
            tokens.push_str(
                &Members::new("access_token", &t.access_token)
                    .some("audience", t.audience.as_deref())
                    .str("scope", &t.scope)
                    .ms("expires_at", t.expires_at)
                    .some("refresh_token", t.refresh_token.as_deref())
                    .end(),
            );
        }
        tokens.push(']');
        Members::empty()
            .some("id_token", self.id_token.as_ref().map(|t| t.raw.as_str()))
            .raw("access_tokens", &tokens)
            .end()
    }

    fn from_text(text: &str) -> Option<Session> {
        let v = Json::parse(text.as_bytes())?;
        let id_token = match v.str_member("id_token") {
            Some(raw) => {
                let payload = raw.split('.').nth(1)?;
                let claims = Json::parse_object(&super::base64url::decode(payload)?)?;
                Some(IdTokenEntry {
                    raw: raw.into(),
                    claims,
                })
            }
            None => None,
        };
        let mut access_tokens = Vec::new();
        for e in v
            .get("access_tokens")
            .and_then(Json::as_array)
            .unwrap_or_default()
        {
            access_tokens.push(AccessTokenEntry {
                access_token: e.str_member("access_token")?.into(),
                audience: e.str_member("audience").map(str::to_owned),
                scope: e.str_member("scope")?.into(),
                expires_at: e.get("expires_at")?.as_f64()?,
                refresh_token: e.str_member("refresh_token").map(str::to_owned),
            });
        }
        Some(Session {
            id_token,
            access_tokens,
        })
    }
}

pub struct TokenCache {
    key: String,
    session: Session,
    /// Changes whenever the session does, so observers can skip recomputing when it did not.
    pub version: u32,
}

/// Whether a token granted `granted` serves a request for `requested` (RFC 6749 3.3: scopes
/// are separated by spaces). `openid` is left out:
/// it asks for an ID token, not for access, and is added to requests for ID tokens only.
fn covers(granted: &str, requested: &str) -> bool {
    requested
        .split(' ')
        .filter(|s| !s.is_empty() && *s != "openid")
        .all(|s| granted.split(' ').any(|g| g == s))
}

impl TokenCache {
    /// Reads the stored session; a corrupt entry counts as no session, a storage that throws
    /// is `storage_unavailable`.
    pub fn read(store: &dyn KeyValueStore, key: String) -> Result<TokenCache> {
        let text = store
            .get(&key)
            .map_err(|e| AuthError::storage(msg(&["cannot read the tokens: ", &e])))?;
        Ok(TokenCache {
            key,
            session: text
                .and_then(|text| Session::from_text(&text))
                .unwrap_or_default(),
            version: 0,
        })
    }

    /// No session, kept under `key`.
    pub fn empty(key: String) -> TokenCache {
        TokenCache {
            key,
            session: Session::default(),
            version: 0,
        }
    }

    /// Reads the stored session as a client starts: one it cannot read counts as none.
    pub fn load(store: &dyn KeyValueStore, key: String) -> TokenCache {
        Self::read(store, key.clone()).unwrap_or_else(|_| Self::empty(key))
    }

    /// The user of the session held: its ID token's `sub` (the issuer is the client's own).
    pub fn user(&self) -> Option<&str> {
        self.session.id_token.as_ref()?.claims.str_member("sub")
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Where a fresh token is for `audience` whose scopes include every requested one.
    pub fn find(&self, audience: Option<&str>, scope: &str, clock: &Clock) -> Option<usize> {
        self.session.access_tokens.iter().position(|t| {
            t.audience.as_deref() == audience
                && covers(&t.scope, scope)
                && clock.fresh(t.expires_at)
        })
    }

    /// The refresh token held for `audience` and `scope`, whatever its access token's age.
    pub fn refresh_token_for(&self, audience: Option<&str>, scope: &str) -> Option<String> {
        self.session
            .access_tokens
            .iter()
            .find(|t| t.audience.as_deref() == audience && covers(&t.scope, scope))
            .and_then(|t| t.refresh_token.clone())
    }

    /// Every refresh token held (for revocation at logout).
    pub fn refresh_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        for t in &self.session.access_tokens {
            if let Some(r) = &t.refresh_token {
                if !tokens.contains(r) {
                    tokens.push(r.clone());
                }
            }
        }
        tokens
    }

    /// Forgets a refresh token the provider refused (`invalid_grant`): it is never sent again.
    pub fn drop_refresh_token(
        &mut self,
        store: &dyn KeyValueStore,
        refresh_token: &str,
        clock: &Clock,
    ) -> Result<()> {
        let mut next = self.session.clone();
        for t in &mut next.access_tokens {
            if t.refresh_token.as_deref() == Some(refresh_token) {
                t.refresh_token = None;
            }
        }
        keep_tokens(&mut next.access_tokens, &|t| clock.valid(t.expires_at));
        self.replace(store, next)
    }

    /// Stores the result of one validated response: the ID token replaces the previous one, the
    /// access token replaces the one of the same (audience, scope). Tokens no longer valid are
    /// dropped. An ID token of another user (another `iss` or `sub`) starts a new session: no
    /// access token obtained before it is kept, and so none is ever returned for the new user.
    /// `refreshed_with`: the refresh token a refresh used; every entry that held it takes the
    /// new entry's, so that a rotated-away token is never sent again. True when the result
    /// replaced the session of another user.
    pub fn save(
        &mut self,
        store: &dyn KeyValueStore,
        id_token: Option<IdTokenEntry>,
        access_token: Option<AccessTokenEntry>,
        refreshed_with: Option<&str>,
        clock: &Clock,
    ) -> Result<bool> {
        let replaced = id_token.as_ref().is_some_and(|new| !self.same_user(new));
        let mut next = match replaced {
            true => Session::default(),
            false => self.session.clone(),
        };
        if id_token.is_some() {
            next.id_token = id_token;
        }
        // An expired token stays while its refresh token can renew it; the new token replaces
        // the one for its audience and scope.
        keep_tokens(&mut next.access_tokens, &|t| {
            (clock.valid(t.expires_at) || t.refresh_token.is_some())
                && access_token
                    .as_ref()
                    .is_none_or(|new| !(t.audience == new.audience && t.scope == new.scope))
        });
        if let Some(new) = access_token {
            for t in &mut next.access_tokens {
                if refreshed_with.is_some() && t.refresh_token.as_deref() == refreshed_with {
                    t.refresh_token = new.refresh_token.clone();
                }
            }
            next.access_tokens.push(new);
        }
        self.replace(store, next)?;
        Ok(replaced)
    }

    /// Writes `next` to storage, then takes it as the session.
    fn replace(&mut self, store: &dyn KeyValueStore, next: Session) -> Result<()> {
        store
            .set(&self.key, &next.to_text())
            .map_err(|e| AuthError::storage(msg(&["cannot store the tokens: ", &e])))?;
        self.session = next;
        self.version = self.version.wrapping_add(1);
        Ok(())
    }

    /// Whether `new` names the user of the session held: its `iss` and `sub` equal the held ID
    /// token's. Access tokens held without an ID token belong to nobody known, so not.
    fn same_user(&self, new: &IdTokenEntry) -> bool {
        let Some(held) = &self.session.id_token else {
            return self.session.access_tokens.is_empty();
        };
        ["iss", "sub"].iter().all(|claim| {
            let a = held.claims.str_member(claim);
            a.is_some() && a == new.claims.str_member(claim)
        })
    }

    /// Forgets every token of this client, in storage first.
    pub fn clear(&mut self, store: &dyn KeyValueStore) -> Result<()> {
        store
            .remove(&self.key)
            .map_err(|e| AuthError::storage(msg(&["cannot remove the tokens: ", &e])))?;
        self.session = Session::default();
        self.version = self.version.wrapping_add(1);
        Ok(())
    }
}

/// `retain` behind one function with a `dyn` predicate: each closure given to `retain` itself
/// would be another copy of it in the wasm.
fn keep_tokens(tokens: &mut Vec<AccessTokenEntry>, keep: &dyn Fn(&AccessTokenEntry) -> bool) {
    tokens.retain(|t| keep(t));
}

/// A store in memory: the default `cacheLocation`, and a fake for tests.
#[derive(Default)]
pub struct MemoryStore(RefCell<Vec<(String, String)>>);

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, String> {
        Ok(self
            .0
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), String> {
        let mut entries = self.0.borrow_mut();
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.into(),
            None => entries.push((key.into(), value.into())),
        }
        Ok(())
    }
    fn remove(&self, key: &str) -> std::result::Result<(), String> {
        let mut entries = self.0.borrow_mut();
        if let Some(i) = entries.iter().position(|(k, _)| k == key) {
            entries.remove(i);
        }
        Ok(())
    }
    fn keys(&self) -> std::result::Result<Vec<String>, String> {
        let mut keys = Vec::new();
        for (k, _) in self.0.borrow().iter() {
            keys.push(k.clone());
        }
        Ok(keys)
    }
}
