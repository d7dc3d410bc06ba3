//! base64url without padding (RFC 7515 section 2), strict: the alphabet only, canonical trailing
//! bits, no `=`, no whitespace.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_alphabet() {
        assert_eq!(decode("AQID"), Some(vec![1, 2, 3]));
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        for bad in ["AQI=", "AQ+D", "AQ/D", "AQ D", "A", "AR"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
