//! The JSON parser and writer against serde_json: the checks of tests/differential/checks.rs, shared with the native tests.
#![no_main]

#[path = "../../tests/differential/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::json(data);
});
