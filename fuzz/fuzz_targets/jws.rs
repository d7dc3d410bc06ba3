//! The compact JWS decoder (ID tokens).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    spa_login::core::fuzzing::jws(data);
});
