//! The compact JWS decoder (ID tokens): its own invariants (src/core/fuzzing.rs), and the
//! decoded parts against base64 and serde_json (tests/differential/checks.rs).
#![no_main]

#[path = "../../tests/differential/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    spa_login::core::fuzzing::jws(data);
    checks::jws(data);
});
