//! Building text without the formatting machinery (`format!` and friends cost kilobytes in the
//! wasm): messages, storage keys, JSON written by hand.

/// Concatenates the parts.
pub fn msg(parts: &[&str]) -> String {
    // A plain loop: `concat` brings std's generic join, several hundred bytes of wasm.
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}
