//! Replays the fuzzers' seeds and every input they ever found a fault with (fuzz/seeds,
//! fuzz/regressions) through the fuzz target bodies, with the stable toolchain.
#![cfg(not(target_arch = "wasm32"))]

use spa_login::core::fuzzing;
use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep") {
                body(&std::fs::read(&path).unwrap());
                count += 1;
            }
        }
    }
    count
}

#[test]
fn fragment_parser_inputs_replay_without_panic() {
    assert!(replay("fragment", fuzzing::fragment) > 0);
}

#[test]
fn jws_decoder_inputs_replay_without_panic() {
    assert!(replay("jws", fuzzing::jws) > 0);
}

#[test]
fn jwks_parser_inputs_replay_without_panic() {
    assert!(replay("jwks", fuzzing::jwks) > 0);
}
