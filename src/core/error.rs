//! Typed errors. Every failure the package reports is an `AuthError` whose `code` is one of the
//! strings of docs/API.md; the browser shell turns it into the JS `AuthError` class.

use super::json::Json;
use std::fmt;

/// The `AuthError.error` codes the core reports (`popup_blocked` and `wasm_unavailable` are the
/// entry's own: the browser refuses the popup before any flow starts; the module that holds
/// this core could not be loaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidConfiguration,
    InvalidState,
    InvalidResponse,
    InvalidIdToken,
    /// A discovery document that is not the provider metadata it should be: not a JSON
    /// object, a required member missing, a member of the wrong type, an endpoint that is not
    /// an https URL. The provider answered, so this is not a network failure.
    InvalidProviderMetadata,
    /// A `jwks_uri` document that is not a JSON Web Key Set.
    InvalidJwks,
    StorageUnavailable,
    /// The provider could not be reached: offline, refused, CORS, a non-2xx status.
    NetworkError,
    /// A window flow or a request to the provider that did not finish in time.
    Timeout,
    PopupCancelled,
    /// The popup lost its link to the app and no same-origin channel can bring the response.
    PopupSevered,
    /// The page's Content Security Policy (`frame-src`) refused the hidden iframe, or the
    /// provider's redirect back to the app inside it: no silent flow can work on this page.
    FrameBlocked,
    /// No session to renew: the user logged out while the flow was in flight.
    LoginRequired,
    /// `useRefreshTokens` without a refresh token for the token asked for, and no fallback.
    MissingRefreshToken,
    /// An error response of the provider (with a matching state), passed through.
    Provider(String),
}

impl ErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidConfiguration => "invalid_configuration",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::InvalidIdToken => "invalid_id_token",
            ErrorCode::InvalidProviderMetadata => "invalid_provider_metadata",
            ErrorCode::InvalidJwks => "invalid_jwks",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::NetworkError => "network_error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::PopupCancelled => "popup_cancelled",
            ErrorCode::PopupSevered => "popup_severed",
            ErrorCode::FrameBlocked => "frame_blocked",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::MissingRefreshToken => "missing_refresh_token",
            ErrorCode::Provider(code) => code,
        }
    }
}

/// An error, boxed: a `Result` then carries one pointer instead of four fields, which every `?`
/// and every move of a result would copy (several kilobytes of wasm over the core). Its fields
/// read through `Deref` as if they were the error's own.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthError(Box<Details>);

#[derive(Clone, Debug, PartialEq)]
pub struct Details {
    pub code: ErrorCode,
    /// Human text, never HTML.
    pub description: String,
    /// The `state` of the response, where there was one.
    pub state: Option<String>,
    /// The JSON text of the transaction's `appState`, where known.
    pub app_state: Option<String>,
    /// What the error carries besides, as auth0-spa-js's errors do (`MfaRequiredError`'s
    /// `mfa_token`, `MissingRefreshTokenError`'s `audience` and `scope`): the JS error gets each
    /// as a property of that name.
    pub extra: Vec<(String, Json)>,
}

impl AuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        AuthError(Box::new(Details {
            code,
            description: description.into(),
            state: None,
            app_state: None,
            extra: Vec::new(),
        }))
    }
    pub fn config(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfiguration, description)
    }
    pub fn state(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, description)
    }
    pub fn response(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidResponse, description)
    }
    pub fn id_token(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidIdToken, description)
    }
    pub fn storage(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::StorageUnavailable, description)
    }
    pub fn network(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::NetworkError, description)
    }
    pub fn metadata(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidProviderMetadata, description)
    }
    pub fn code(&self) -> &str {
        self.code.as_str()
    }
    /// Attaches the response's state and the transaction's appState (docs/API.md: both are reported
    /// with the error where known).
    pub fn with_context(mut self, state: Option<&str>, app_state: Option<&str>) -> Self {
        if self.state.is_none() {
            self.state = state.map(str::to_owned);
        }
        if self.app_state.is_none() {
            self.app_state = app_state.map(str::to_owned);
        }
        self
    }
}

impl std::ops::Deref for AuthError {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for AuthError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.description)
    }
}

impl std::error::Error for AuthError {}

pub type Result<T> = std::result::Result<T, AuthError>;
