//! A small JSON value with a strict parser (RFC 8259, duplicate object keys rejected) and a
//! writer. The package's own instead of serde_json: it is a fraction of the size in the wasm,
//! and strictness about duplicate keys is the point.
//!
//! A token whose payload says `"sub":"a","sub":"b"` means different things to different parsers
//! (JSON.parse keeps the last, others the first). RFC 7515 section 4 and RFC 8725 ask a strict
//! party to reject such input instead of guessing.

/// Nesting deeper than this is refused (no stack overflow on hostile input).
const MAX_DEPTH: usize = 64;
/// The end of a message about valid JSON (as `JSON.stringify` writes it) that this parser still
/// refuses: nesting past `MAX_DEPTH`, and a lone surrogate (`\ud800`), which is no character.
pub const REFUSED: &str = " must be JSON nested at most 64 levels deep, without lone surrogates";

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number as written: read it with `as_f64`; written back unchanged.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Members in document order; keys are unique.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Parses `bytes` as one JSON value; `None` for invalid JSON or a repeated key.
    pub fn parse(bytes: &[u8]) -> Option<Json> {
        let mut p = Parser { s: bytes, i: 0 };
        let v = p.value(0)?;
        p.ws();
        (p.i == bytes.len()).then_some(v)
    }

    /// Parses an object.
    pub fn parse_object(bytes: &[u8]) -> Option<Json> {
        Json::parse(bytes).filter(|v| matches!(v, Json::Obj(_)))
    }

    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    pub fn int(n: u64) -> Json {
        Json::Num(decimal(n))
    }

    /// A whole number of milliseconds or seconds (fractions dropped).
    pub fn time(n: f64) -> Json {
        Json::int(if n.is_finite() && n > 0.0 {
            n as u64
        } else {
            0
        })
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The value of a number (precise for integers below 2^53, close for the rest).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(text) => Some(number_value(text)),
            _ => None,
        }
    }

    /// The items of an array when every one is a string. A loop rather than
    /// `collect::<Option<Vec<_>>>()`: each such collect is its own set of iterator functions in
    /// the wasm, several times the bytes of the loop.
    pub fn strings(&self) -> Option<Vec<String>> {
        let items = self.as_array()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(item.as_str()?.to_owned());
        }
        Some(out)
    }

    /// A string member of an object.
    pub fn str_member(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    /// Sets `key` (replacing its value if present).
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Obj(members) = self {
            match members.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => members.push((key.into(), value)),
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Json> {
        match self {
            Json::Obj(members) => {
                let i = members.iter().position(|(k, _)| k == key)?;
                Some(members.remove(i).1)
            }
            _ => None,
        }
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => write_str(s, out),
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// A JSON object written member by member, for the objects the package writes (effects,
/// stored transactions and sessions, error steps): no `Json` values in between, so no copies
/// of the texts they carry.
pub struct Members(String);

impl Members {
    /// An object that starts with `first`: `value`.
    pub fn new(first: &str, value: &str) -> Self {
        Members::empty().str(first, value)
    }
    /// An object with nothing in it yet.
    pub fn empty() -> Self {
        Members(String::from("{"))
    }
    fn key(&mut self, name: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        write_str(name, &mut self.0);
        self.0.push(':');
        &mut self.0
    }
    pub fn str(mut self, name: &str, value: &str) -> Self {
        write_str(value, self.key(name));
        self
    }
    /// `value`, or null.
    pub fn opt(mut self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(name, v),
            None => {
                self.key(name).push_str("null");
                self
            }
        }
    }
    /// `value` if there is one; nothing otherwise.
    pub fn some(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(name, v),
            None => self,
        }
    }
    /// Milliseconds, whole and not negative.
    pub fn ms(mut self, name: &str, ms: f64) -> Self {
        Json::time(ms).write(self.key(name));
        self
    }
    /// `text`, JSON already.
    pub fn raw(mut self, name: &str, text: &str) -> Self {
        self.key(name).push_str(text);
        self
    }
    pub fn json(mut self, name: &str, value: &Json) -> Self {
        value.write(self.key(name));
        self
    }
    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// `n` in decimal (without pulling in the formatting machinery).
pub fn decimal(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[i..].iter().map(|&d| d as char).collect()
}

/// Digits only (no sign, space or exponent), as a number; `None` past `u64::MAX`.
pub fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(digit as u64)
    })
}

/// `s` as a JSON string onto `out`.
pub fn write_str(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The value of a JSON number's text (already checked by the parser): its first 19 significant
/// digits (exact in a u64) times a power of ten, so one rounding where that power is exact in
/// f64 (up to 10^22); 0 or infinity past f64's range.
fn number_value(text: &str) -> f64 {
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = negative as usize;
    let mut mantissa = 0u64;
    // The power of ten the mantissa is multiplied by. Digits and exponents of any length only
    // move it (the exponent clamped far past f64's range), so it cannot overflow.
    let mut scale = 0i64;
    let mut fraction = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'.' => fraction = true,
            b'0'..=b'9' => {
                if mantissa < 1_000_000_000_000_000_000 {
                    mantissa = mantissa * 10 + (c - b'0') as u64;
                    scale -= fraction as i64;
                } else if !fraction {
                    scale += 1; // a digit past the 19th, dropped
                }
            }
            _ => break,
        }
        i += 1;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = b.get(i) == Some(&b'-');
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let mut exp = 0i64;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            exp = (exp * 10 + (d - b'0') as i64).min(1 << 40);
            i += 1;
        }
        scale += if exp_negative { -exp } else { exp };
    }
    let m = mantissa as f64;
    let value = if mantissa == 0 || scale < -400 {
        0.0
    } else if scale > 400 {
        f64::INFINITY
    } else if scale >= 0 {
        m * 10f64.powi(scale as i32)
    } else if scale >= -300 {
        m / 10f64.powi(-scale as i32)
    } else {
        // 10^-scale itself would be infinite: divide in two steps.
        m / 1e300 / 10f64.powi((-scale - 300) as i32)
    };
    if negative {
        -value
    } else {
        value
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Option<Json> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.literal(b"null", Json::Null),
            b't' => self.literal(b"true", Json::Bool(true)),
            b'f' => self.literal(b"false", Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Some(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b']') {
                        return Some(Json::Arr(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut members: Vec<(String, Json)> = Vec::new();
                self.ws();
                if self.eat(b'}') {
                    return Some(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    if members.iter().any(|(k, _)| *k == key) {
                        return None; // a repeated key
                    }
                    self.ws();
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value(depth + 1)?;
                    members.push((key, v));
                    self.ws();
                    if self.eat(b'}') {
                        return Some(Json::Obj(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        self.eat(b'-');
        let first = *self.s.get(self.i)?;
        let n = self.digits();
        if n == 0 || (first == b'0' && n > 1) {
            return None; // no digits, or a leading zero
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some(Json::Num(text.into()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        h.iter()
            .try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return None;
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None, // control characters must be escaped
                _ => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_message_names_the_depth_limit() {
        let deepest = "[".repeat(MAX_DEPTH) + "0" + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(deepest.as_bytes()).is_some());
        assert!(Json::parse(format!("[{deepest}]").as_bytes()).is_none());
        assert!(REFUSED.contains(&format!(" {MAX_DEPTH} levels ")));
    }

    #[test]
    fn decimals_are_digits_only_and_fit_in_u64() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("3600"), Some(3600));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "+5",
            "-5",
            " 5",
            "5 ",
            "1e3",
            "1.0",
            "18446744073709551616",
            "٣",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn duplicate_keys_are_rejected_at_any_depth() {
        assert!(Json::parse_object(br#"{"a":1,"b":2}"#).is_some());
        assert!(Json::parse_object(br#"{"a":1,"a":2}"#).is_none());
        assert!(Json::parse_object(br#"{"a":{"b":1,"b":1}}"#).is_none());
        assert!(Json::parse_object(br#"{"a":[{"b":1,"b":1}]}"#).is_none());
    }

    #[test]
    fn only_objects_are_objects_and_trailing_text_is_refused() {
        assert!(Json::parse_object(b"[1]").is_none());
        assert!(Json::parse_object(b"\"x\"").is_none());
        assert!(Json::parse_object(b"{").is_none());
        assert!(Json::parse_object(b"{} x").is_none());
    }

    #[test]
    fn strict_grammar() {
        for bad in [
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"\\x\"",
            "\"a\u{1}\"",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "'a'",
            "\"\\ud800\"",
        ] {
            assert!(Json::parse(bad.as_bytes()).is_none(), "{bad}");
        }
        for good in [
            "0",
            "-0.5e-3",
            "1E+2",
            "\"\\u00e9\\ud83d\\ude00\"",
            "[]",
            "{}",
            " [ true , false , null ] ",
        ] {
            assert!(Json::parse(good.as_bytes()).is_some(), "{good}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(Json::parse(deep.as_bytes()).is_none());
    }

    #[test]
    fn numbers_read_and_round_trip() {
        let v = Json::parse(br#"{"exp":1311281970,"f":-2.5e2,"s":"\u00e9\n"}"#).unwrap();
        assert_eq!(v.get("exp").unwrap().as_f64(), Some(1311281970.0));
        assert_eq!(v.get("f").unwrap().as_f64(), Some(-250.0));
        assert_eq!(
            v.to_text(),
            "{\"exp\":1311281970,\"f\":-2.5e2,\"s\":\"é\\n\"}"
        );
        assert_eq!(Json::parse(v.to_text().as_bytes()), Some(v));
    }
}
