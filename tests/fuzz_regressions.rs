//! Replays every saved fuzz input with the stable toolchain, through the same bodies the fuzz
//! targets run (fuzz/fuzz_targets/): the seeds (fuzz/seeds), the inputs that once found a fault
//! (fuzz/regressions), and the minimized corpus of past runs (fuzz/corpus-min, made by
//! `cargo fuzz cmin`). The differential targets run their checks against serde_json, base64,
//! form_urlencoded and url here too.
#![cfg(not(target_arch = "wasm32"))]

#[path = "differential/checks.rs"]
mod checks;

use spa_login::core::fuzzing;
use std::path::Path;

/// Runs `body` on every input saved for `target`; returns how many there were in each folder.
fn replay(target: &str, body: fn(&[u8])) -> [usize; 3] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    ["seeds", "regressions", "corpus-min"].map(|dir| {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            return 0;
        };
        let mut count = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep") {
                let input = std::fs::read(&path).unwrap();
                // A failing input names itself.
                let outcome = std::panic::catch_unwind(|| body(&input));
                assert!(outcome.is_ok(), "{target}: {} fails", path.display());
                count += 1;
            }
        }
        count
    })
}

/// Every target has seeds and a minimized corpus.
fn replay_all(target: &str, body: fn(&[u8])) {
    let [seeds, _, corpus] = replay(target, body);
    assert!(seeds > 0, "{target} has no seeds");
    assert!(corpus > 0, "{target} has no minimized corpus");
}

#[test]
fn fragment_inputs_replay() {
    replay_all("fragment", fuzzing::fragment);
}

#[test]
fn jws_inputs_replay() {
    replay_all("jws", |data| {
        fuzzing::jws(data);
        checks::jws(data);
    });
}

#[test]
fn jwks_inputs_replay() {
    replay_all("jwks", fuzzing::jwks);
}

#[test]
fn json_inputs_replay() {
    replay_all("json", |data| {
        checks::json(data);
    });
}

#[test]
fn base64url_inputs_replay() {
    replay_all("base64url", |data| {
        checks::base64url(data);
    });
}

#[test]
fn form_inputs_replay() {
    replay_all("form", checks::form);
}

#[test]
fn url_inputs_replay() {
    replay_all("url", checks::url);
}
