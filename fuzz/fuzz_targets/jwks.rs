//! The JWK Set parser and key selection.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    spa_login::core::fuzzing::jwks(data);
});
