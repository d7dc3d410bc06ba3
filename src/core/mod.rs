//! The protocol, sans IO: every decision of every flow, testable natively.

pub mod authorize;
pub mod base64url;
pub mod cache;
pub mod client;
pub mod config;
pub mod dpop;
pub mod error;
pub mod expiry;
pub mod fuzzing;
pub mod id_token;
pub mod json;
pub mod jwks;
pub mod jws;
pub mod metadata;
pub mod no_drop;
pub mod ports;
pub mod response;
pub mod sha2;
pub mod text;
pub mod token;
pub mod transaction;
pub mod urls;
