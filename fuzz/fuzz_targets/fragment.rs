//! The callback URL parser: any input must give parameters or an AuthError, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    spa_login::core::fuzzing::fragment(data);
});
