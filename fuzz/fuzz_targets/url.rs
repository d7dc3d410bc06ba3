//! URL parsing (urls::parse, origins), with_query and the callback clean-up against the url
//! crate: the checks of tests/differential/checks.rs, shared with the native tests.
#![no_main]

#[path = "../../tests/differential/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::url(data);
});
