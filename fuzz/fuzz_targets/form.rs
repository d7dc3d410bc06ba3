//! Form decoding (parse_params, decode_component) and encoding against form_urlencoded: the checks of tests/differential/checks.rs, shared with the native tests.
#![no_main]

#[path = "../../tests/differential/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::form(data);
});
