//! Every error code the package reports has a row in each table of codes a user reads: the
//! repository's README, docs/API.md and the npm README. The match below names every code of the
//! core, so a new one does not compile here until it is listed (and then documented).
#![cfg(not(target_arch = "wasm32"))]

use spa_login::core::error::ErrorCode;

/// The codes of the core (each variant once; a provider's own code stands for itself), then the
/// entry's own (the popup the browser refused; the module that could not be loaded).
fn every_code() -> Vec<String> {
    let listed = [
        ErrorCode::InvalidConfiguration,
        ErrorCode::InvalidState,
        ErrorCode::InvalidResponse,
        ErrorCode::InvalidIdToken,
        ErrorCode::InvalidProviderMetadata,
        ErrorCode::InvalidJwks,
        ErrorCode::StorageUnavailable,
        ErrorCode::NetworkError,
        ErrorCode::Timeout,
        ErrorCode::PopupCancelled,
        ErrorCode::PopupSevered,
        ErrorCode::FrameBlocked,
        ErrorCode::LoginRequired,
        ErrorCode::MissingRefreshToken,
    ];
    let mut codes = Vec::new();
    for code in &listed {
        // Exhaustive: a variant missing from `listed` is a compile error here.
        match code {
            ErrorCode::InvalidConfiguration
            | ErrorCode::InvalidState
            | ErrorCode::InvalidResponse
            | ErrorCode::InvalidIdToken
            | ErrorCode::InvalidProviderMetadata
            | ErrorCode::InvalidJwks
            | ErrorCode::StorageUnavailable
            | ErrorCode::NetworkError
            | ErrorCode::Timeout
            | ErrorCode::PopupCancelled
            | ErrorCode::PopupSevered
            | ErrorCode::FrameBlocked
            | ErrorCode::LoginRequired
            | ErrorCode::MissingRefreshToken
            | ErrorCode::Provider(_) => codes.push(code.as_str().to_owned()),
        }
    }
    codes.extend(["popup_blocked".to_owned(), "wasm_unavailable".to_owned()]);
    codes
}

#[test]
fn every_error_code_has_a_row_in_each_table_of_codes() {
    let root = env!("CARGO_MANIFEST_DIR");
    for doc in ["README.md", "docs/API.md", "pkg-template/README.md"] {
        let text = std::fs::read_to_string(format!("{root}/{doc}")).unwrap();
        // A row whose first cell names the code (alone, or beside another).
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| `")).collect();
        for code in every_code() {
            let named = format!("`{code}`");
            assert!(
                rows.iter()
                    .any(|row| row.split(" | ").next().unwrap_or_default().contains(&named)),
                "{doc} has no row for {code}"
            );
        }
    }
}
