//! The little URL handling the flow needs, for absolute http(s) URLs: checking issuers and
//! endpoints, origins, adding query parameters, and taking a response out of a callback URL.
//! The package's own rather than the `url` crate's, which would be most of the wasm.

use super::error::{AuthError, Result};
use super::text::msg;

/// An absolute http(s) URL split into its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Parts<'a> {
    /// As written: `HTTPS` is as good as `https`.
    pub scheme: &'a str,
    /// The host as written (`[::1]` with brackets), lower case not enforced.
    pub host: &'a str,
    /// The port, when the URL names one (`:443` included, though it is the default).
    pub port: Option<u16>,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

impl Parts<'_> {
    pub fn is_https(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("https")
    }

    /// The origin as browsers serialize it (`MessageEvent.origin`, `location.origin`): scheme
    /// and host in lower case, the scheme's default port left out. `HTTPS://OP.example:443`
    /// and `https://op.example` are one origin.
    pub fn origin(&self) -> String {
        let default_port = if self.is_https() { 443 } else { 80 };
        let mut out = String::with_capacity(self.scheme.len() + self.host.len() + 9);
        out.push_str(self.scheme);
        out.push_str("://");
        out.push_str(self.host);
        out.make_ascii_lowercase();
        if let Some(port) = self.port.filter(|p| *p != default_port) {
            out.push(':');
            out.push_str(&super::json::decimal(port as u64));
        }
        out
    }
}

/// Splits an absolute `http:` or `https:` URL; `None` for anything else (no user info, no
/// spaces or control characters, a valid port).
pub fn parse(url: &str) -> Option<Parts<'_>> {
    if url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return None;
    }
    // The scheme ends at the first ':' (RFC 3986 3.1), which must be followed by "//".
    let colon = url.find(':')?;
    let (scheme, rest) = (&url[..colon], url[colon + 1..].strip_prefix("//")?);
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        // An IPv6 literal, then nothing or a port.
        let close = authority.find(']')?;
        let after = &authority[close + 1..];
        if !after.is_empty() && !after.starts_with(':') {
            return None;
        }
        (&authority[..=close], after.strip_prefix(':'))
    } else {
        // By bytes: a reverse char search is hundreds of bytes of wasm.
        match authority.bytes().rposition(|b| b == b':') {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        }
    };
    // RFC 3986 3.2.3: digits only; an empty port means the default one.
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(
            super::json::parse_decimal(digits)
                .filter(|&p| p <= u16::MAX as u64)
                .map(|p| p as u16)?,
        ),
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(ipv6) => is_ipv6(ipv6),
        None => is_domain_or_ipv4(host),
    };
    if !host_ok {
        return None;
    }
    let after = &rest[end..];
    let (before_fragment, fragment) = match after.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (after, None),
    };
    let query = before_fragment.split_once('?').map(|(_, q)| q);
    Some(Parts {
        scheme,
        host,
        port,
        query,
        fragment,
    })
}

/// A host name a browser would load, in ASCII: letters, digits, dots and hyphens, where a name
/// that ends in a number is an IPv4 address (the URL standard reads it as one) and must be
/// four decimal parts of 0 to 255 (other forms the standard rewrites, so their origin would
/// differ: refused), and with no `xn--` label.
fn is_domain_or_ipv4(host: &str) -> bool {
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return false;
    }
    let labels = host.strip_suffix('.').unwrap_or(host);
    let last = labels
        .bytes()
        .rposition(|b| b == b'.')
        .map_or(labels, |i| &labels[i + 1..]);
    let numeric = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit());
    let hex = last.len() >= 2
        && last[..2].eq_ignore_ascii_case("0x")
        && last[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if numeric(last) || hex {
        return is_dotted_quad(labels);
    }
    // An `xn--` label stands for an internationalized name, valid only under the IDNA rules
    // (Unicode tables this package does not carry): refused rather than judged loosely.
    labels.split('.').all(|label| {
        !label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
    })
}

/// Four decimal parts of 0 to 255, without leading zeros.
fn is_dotted_quad(s: &str) -> bool {
    let mut parts = 0;
    s.split('.').all(|p| {
        parts += 1;
        !p.is_empty()
            && p.len() <= 3
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
            && super::json::parse_decimal(p).is_some_and(|n| n <= 255)
    }) && parts == 4
}

/// An IPv6 address in the text form of RFC 4291 2.2 (std's `Ipv6Addr` parser accepts the same;
/// it is several hundred bytes of wasm more): eight groups of 1 to 4 hex digits, the last two
/// of which may be a dotted quad, or fewer around one `::` that stands for at least one group.
fn is_ipv6(s: &str) -> bool {
    match s.as_bytes().windows(2).position(|w| w == b"::") {
        None => ipv6_groups(s, true) == Some(8),
        Some(i) => {
            let (head, tail) = (&s[..i], &s[i + 2..]);
            match (ipv6_groups(head, false), ipv6_groups(tail, true)) {
                (Some(h), Some(t)) => h + t <= 7,
                _ => false,
            }
        }
    }
}

/// How many 16-bit groups `part` (groups between colons, maybe empty) holds, if well formed.
fn ipv6_groups(part: &str, may_end_in_ipv4: bool) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut groups = part.split(':').peekable();
    while let Some(group) = groups.next() {
        if may_end_in_ipv4 && groups.peek().is_none() && group.contains('.') {
            return is_dotted_quad(group).then_some(count + 2);
        }
        if group.is_empty() || group.len() > 4 || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        count += 1;
    }
    Some(count)
}

/// The hosts where plain http is acceptable: the loopback ones, for development.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || (host.starts_with("127.")
            && host.split('.').count() == 4
            && host
                .split('.')
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())))
}

/// `application/x-www-form-urlencoded` for one name or value (unreserved characters kept).
pub fn encode_component(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// `url` with `pairs` added to its query (before any fragment).
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len() + 64 * pairs.len());
    out.push_str(base);
    // After the first `?` everything is query, `?` included.
    let mut sep = match base.split_once('?') {
        Some((_, "")) => "",
        Some((_, query)) if query.ends_with('&') => "",
        Some(_) => "&",
        None => "?",
    };
    for (name, value) in pairs {
        out.push_str(sep);
        encode_component(name, &mut out);
        out.push('=');
        encode_component(value, &mut out);
        sep = "&";
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` name or value strictly: `+` is a space, a
/// bad percent sequence or invalid UTF-8 is `invalid_response` (it only ever decodes responses).
pub fn decode_component(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        AuthError::response("the response has a malformed percent-encoding")
                    })?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| AuthError::response("the response is not valid UTF-8"))
}

/// An issuer or provider endpoint: https, or http on a loopback host.
pub fn check_endpoint_url(what: &str, value: &str) -> Result<()> {
    let parts = parse(value)
        .ok_or_else(|| AuthError::config(msg(&[what, " is not an absolute URL: '", value, "'"])))?;
    if parts.is_https() || is_loopback(parts.host) {
        Ok(())
    } else {
        Err(AuthError::config(msg(&[
            what,
            " must use https (http only on localhost, 127.0.0.1 or [::1]): '",
            value,
            "'",
        ])))
    }
}

/// A redirect URI: absolute, http(s), no fragment (RFC 6749 3.1.2).
pub fn check_redirect_uri(what: &str, value: &str) -> Result<()> {
    match parse(value) {
        Some(parts) if parts.fragment.is_none() => Ok(()),
        _ => Err(AuthError::config(msg(&[
            what,
            " must be an absolute http(s) URL without a fragment: '",
            value,
            "'",
        ]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_http_urls_only() {
        let p = parse("https://op.example:8443/tenant/authorize?a=1#f").unwrap();
        assert_eq!(
            (p.scheme, p.host, p.port, p.query, p.fragment),
            ("https", "op.example", Some(8443), Some("a=1"), Some("f"))
        );
        assert_eq!(p.origin(), "https://op.example:8443");
        assert_eq!(parse("http://[::1]:4000").unwrap().host, "[::1]");
        for good in [
            "https://[2001:db8::1]/cb",
            "http://127.0.0.1:3000",
            "https://a-b.example./x",
            "https://10.0.0.255",
        ] {
            assert!(parse(good).is_some(), "{good}");
        }
        for bad in [
            "ftp://x",
            "https://",
            "https://u@x",
            "https://x:99999999",
            "https://x:65536",
            "https://x:+80",
            "https://x y",
            "/relative",
            "https://a_b",
            "javascript:alert(1)",
            "https://[]",
            "https://[1]",
            "https://[:::]/cb",
            "https://[::1]x/cb",
            "https://[::1]]",
            "https://a.1",
            "https://256.0.0.1",
            "https://1.2.3.4.5",
            "https://01.2.3.4",
            "https://0x7f.1",
            "https://a.0x1",
            "https://xn--zz.example",
            "https://xn--.example",
            "https://xn--abc.example",
            "https://xn--bcher-kva.example/",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn origins_compare_as_browsers_report_them() {
        for same in [
            "https://op.example",
            "https://op.example:443/a",
            "HTTPS://OP.Example/",
            "https://op.example:/x",
            "https://op.example:0443",
        ] {
            assert_eq!(
                parse(same).unwrap().origin(),
                "https://op.example",
                "{same}"
            );
        }
        assert_eq!(
            parse("http://LOCALHOST:80/cb").unwrap().origin(),
            "http://localhost"
        );
        assert_eq!(
            parse("http://localhost:443").unwrap().origin(),
            "http://localhost:443"
        );
        assert_eq!(
            parse("https://op.example:80").unwrap().origin(),
            "https://op.example:80"
        );
        assert!(parse("HTTPS://x").unwrap().is_https());
        assert!(!parse("http://x").unwrap().is_https());
    }

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "localhost.example",
            "127.0.0.1.evil",
            "10.0.0.1",
            "[::2]",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn adds_query_parameters_after_a_query_that_ends_with_a_question_mark() {
        assert_eq!(
            with_query("https://x/a?b?", &[("k", "v")]),
            "https://x/a?b?&k=v"
        );
        assert_eq!(with_query("https://x/a?", &[("k", "v")]), "https://x/a?k=v");
        assert_eq!(
            with_query("https://x/a?b&", &[("k", "v")]),
            "https://x/a?b&k=v"
        );
    }

    #[test]
    fn adds_query_parameters_before_the_fragment() {
        assert_eq!(
            with_query("https://x/a", &[("k", "a b&c")]),
            "https://x/a?k=a+b%26c"
        );
        assert_eq!(
            with_query("https://x/a?z=1#f", &[("k", "é")]),
            "https://x/a?z=1&k=%C3%A9#f"
        );
    }

    /// The hand-written IPv6 check accepts exactly what std's `Ipv6Addr` parser accepts: the
    /// listed forms, then 300,000 strings made of the pieces addresses are made of.
    #[test]
    fn ipv6_literals_are_those_std_accepts() {
        let check = |s: &str| {
            let std_says = s.parse::<core::net::Ipv6Addr>().is_ok();
            assert_eq!(is_ipv6(s), std_says, "{s:?}");
            std_says
        };
        for s in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":::",
            "1:2:3:4:5:6:1.2.3.4",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::01.2.3.4",
            "::256.1.1.1",
            "12345::",
            "g::",
            "::1:",
            ":1::",
            "1:2:3:4:5:6:7",
            "fe80::1%eth0",
            "",
            "1",
            "::1.2.3",
            "1:2:3:4::5:6:7:8",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "1:2:3::4:5:1.2.3.4",
        ] {
            check(s);
        }
        const PIECES: &[&str] = &[
            "1", "ab", "ffff", "12345", ":", "::", "::", ":", "1.2.3.4", "00", ".", "1:2:3:",
            "4:5:",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for _ in 0..300_000 {
            let mut s = String::new();
            for _ in 0..next() % 16 {
                s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            accepted += usize::from(check(&s));
        }
        // Both answers are well represented, so the comparison says something.
        assert!(
            accepted > 1_000 && accepted < 299_000,
            "{accepted} accepted"
        );
    }
}
