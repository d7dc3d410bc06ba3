//! Building text without the formatting machinery (`format!` and friends cost kilobytes in the
//! wasm): messages, storage keys, JSON written by hand.

/// Concatenates the parts.
pub fn msg(parts: &[&str]) -> String {
    parts.concat()
}
