//! Sprig's `urlParse` and `urlJoin`, with Go's `net/url` rules for parsing, escaping and
//! printing (not WHATWG's, which the `url` crate follows).

use std::collections::BTreeMap;

use super::budget;
use super::func::{Func, Ty, sb};
use super::gofmt;
use super::value::Value;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "urlParse" => Func::new(&[Str], |v| url_parse(&sb(&v, 0))),
        "urlJoin" => Func::new(&[Map], |v| url_join(v.first())),
        _ => return None,
    })
}

/// `net/url`'s escaping contexts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    UserPassword,
    Fragment,
}

#[derive(Default)]
struct Url {
    scheme: Vec<u8>,
    opaque: Vec<u8>,
    user: Option<(Vec<u8>, Option<Vec<u8>>)>,
    host: Vec<u8>,
    path: Vec<u8>,
    raw_query: Vec<u8>,
    force_query: bool,
    omit_host: bool,
    fragment: Vec<u8>,
}

fn url_parse(raw: &[u8]) -> Result<Value, String> {
    budget::fits(raw.len() as u64 * 2)?;
    let u = parse(raw).map_err(|e| format!("unable to parse url: {e}"))?;
    let user = match &u.user {
        Some((name, password)) => user_string(name, password.as_deref()),
        None => Vec::new(),
    };
    let entries: BTreeMap<String, Value> = [
        ("scheme", u.scheme.clone()),
        ("host", u.host.clone()),
        ("hostname", hostname(&u.host).to_vec()),
        ("path", u.path),
        ("query", u.raw_query),
        ("opaque", u.opaque),
        ("fragment", u.fragment),
        ("userinfo", user),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::str(v)))
    .collect();
    Ok(Value::map(entries))
}

fn url_join(arg: Option<&Value>) -> Result<Value, String> {
    let Some(Value::Map(m)) = arg else {
        return Ok(Value::str(""));
    };
    let m = m.borrow();
    let get = |key: &str| -> Result<Vec<u8>, String> {
        match m.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Str(s)) => Ok(s.to_vec()),
            Some(other) => Err(format!(
                "unable to parse {key} key, must be of type string, but {} found",
                other.type_name()
            )),
        }
    };
    let mut u = Url {
        scheme: get("scheme")?,
        host: get("host")?,
        path: get("path")?,
        raw_query: get("query")?,
        opaque: get("opaque")?,
        fragment: get("fragment")?,
        ..Url::default()
    };
    let userinfo = get("userinfo")?;
    budget::fits(
        [
            &u.scheme,
            &u.host,
            &u.path,
            &u.raw_query,
            &u.opaque,
            &u.fragment,
            &userinfo,
        ]
        .iter()
        .map(|x| x.len() as u64 * 3 + 1)
        .sum(),
    )?;
    if !userinfo.is_empty() {
        let probe = [b"proto://".as_slice(), &userinfo, b"@host"].concat();
        let parsed = parse(&probe).map_err(|e| format!("unable to parse userinfo in dict: {e}"))?;
        u.user = parsed.user;
    }
    Ok(Value::str(to_string(&u)))
}

/// `url.Parse`, its error as `*url.Error` prints it.
fn parse(raw: &[u8]) -> Result<Url, String> {
    let (rest, frag) = match raw.iter().position(|&b| b == b'#') {
        Some(i) => (&raw[..i], Some(&raw[i + 1..])),
        None => (raw, None),
    };
    let wrap = |whole: &[u8], e: String| format!("parse {}: {e}", gofmt::quote_bytes(whole));
    let mut u = parse_no_fragment(rest).map_err(|e| wrap(rest, e))?;
    if let Some(frag) = frag {
        u.fragment = unescape(frag, Mode::Fragment).map_err(|e| wrap(raw, e))?;
    }
    Ok(u)
}

fn parse_no_fragment(raw: &[u8]) -> Result<Url, String> {
    if raw.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut u = Url::default();
    if raw == b"*" {
        u.path = b"*".to_vec();
        return Ok(u);
    }
    let (scheme, rest) = scheme(raw)?;
    u.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    let questions = rest.iter().filter(|&&b| b == b'?').count();
    if rest.ends_with(b"?") && questions == 1 {
        u.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some(i) = rest.iter().position(|&b| b == b'?') {
        u.raw_query = rest[i + 1..].to_vec();
        rest = &rest[..i];
    }
    if !rest.starts_with(b"/") {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_vec();
            return Ok(u);
        }
        let segment = rest.split(|&b| b == b'/').next().unwrap_or_default();
        if segment.contains(&b':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.iter().position(|&b| b == b'/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, &b""[..]),
        };
        let (user, host) = parse_authority(authority)?;
        u.user = user;
        u.host = host;
        rest = path;
    } else if !u.scheme.is_empty() && rest.starts_with(b"/") {
        u.omit_host = true;
    }
    u.path = unescape(rest, Mode::Path)?;
    Ok(u)
}

/// `getScheme`.
fn scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), String> {
    for (i, &c) in raw.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok((b"", raw)),
        }
    }
    Ok((b"", raw))
}

type User = Option<(Vec<u8>, Option<Vec<u8>>)>;

fn parse_authority(authority: &[u8]) -> Result<(User, Vec<u8>), String> {
    let at = authority.iter().rposition(|&b| b == b'@');
    let host = parse_host(match at {
        Some(i) => &authority[i + 1..],
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok((None, host));
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.iter().position(|&b| b == b':') {
        None => (unescape(userinfo, Mode::UserPassword)?, None),
        Some(c) => (
            unescape(&userinfo[..c], Mode::UserPassword)?,
            Some(unescape(&userinfo[c + 1..], Mode::UserPassword)?),
        ),
    };
    Ok((Some(user), host))
}

fn parse_host(host: &[u8]) -> Result<Vec<u8>, String> {
    let invalid_port =
        |port: &[u8]| format!("invalid port {} after host", gofmt::quote_bytes(port));
    if host.starts_with(b"[") {
        let Some(i) = host.iter().rposition(|&b| b == b']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[i + 1..];
        if !valid_optional_port(port) {
            return Err(invalid_port(port));
        }
    } else if let Some(i) = host.iter().rposition(|&b| b == b':') {
        let port = &host[i..];
        if !valid_optional_port(port) {
            return Err(invalid_port(port));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

fn valid_userinfo(s: &[u8]) -> bool {
    // Go ranges over runes; every non-ASCII rune is rejected, as is every byte here.
    s.iter().all(|&c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

/// `Hostname()`: the host without its port and IPv6 brackets.
fn hostname(host: &[u8]) -> &[u8] {
    let mut h = host;
    if let Some(c) = h.iter().rposition(|&b| b == b':')
        && valid_optional_port(&h[c..])
    {
        h = &h[..c];
    }
    if h.starts_with(b"[") && h.ends_with(b"]") && h.len() >= 2 {
        h = &h[1..h.len() - 1];
    }
    h
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Path => c == b'?',
                Mode::Fragment => false,
                // Host characters were handled above; the rest of this set stays.
                Mode::Host => false,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unescape(s: &[u8], mode: Mode) -> Result<Vec<u8>, String> {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let bad = &s[i..(i + 3).min(s.len())];
                    return Err(format!("invalid URL escape {}", gofmt::quote_bytes(bad)));
                }
                if mode == Mode::Host && hex(s[i + 1]) < 8 && &s[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {}",
                        gofmt::quote_bytes(&s[i..i + 3])
                    ));
                }
                i += 3;
            }
            c => {
                if mode == Mode::Host && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        gofmt::quote_bytes(&s[i..i + 1])
                    ));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            out.push(hex(s[i + 1]) << 4 | hex(s[i + 2]));
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn escape(s: &[u8], mode: Mode) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if should_escape(c, mode) {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        } else {
            out.push(c);
        }
    }
    out
}

/// `Userinfo.String()`.
fn user_string(name: &[u8], password: Option<&[u8]>) -> Vec<u8> {
    let mut s = escape(name, Mode::UserPassword);
    if let Some(p) = password {
        s.push(b':');
        s.extend_from_slice(&escape(p, Mode::UserPassword));
    }
    s
}

/// `URL.String()`.
fn to_string(u: &Url) -> Vec<u8> {
    let mut buf = Vec::new();
    if !u.scheme.is_empty() {
        buf.extend_from_slice(&u.scheme);
        buf.push(b':');
    }
    if !u.opaque.is_empty() {
        buf.extend_from_slice(&u.opaque);
    } else {
        let has_authority = !u.scheme.is_empty() || !u.host.is_empty() || u.user.is_some();
        if has_authority && !(u.omit_host && u.host.is_empty() && u.user.is_none()) {
            if !u.host.is_empty() || !u.path.is_empty() || u.user.is_some() {
                buf.extend_from_slice(b"//");
            }
            if let Some((name, password)) = &u.user {
                buf.extend_from_slice(&user_string(name, password.as_deref()));
                buf.push(b'@');
            }
            buf.extend_from_slice(&escape(&u.host, Mode::Host));
        }
        let path = if u.path == b"*" {
            u.path.clone()
        } else {
            escape(&u.path, Mode::Path)
        };
        if !path.is_empty() && path[0] != b'/' && !u.host.is_empty() {
            buf.push(b'/');
        }
        if buf.is_empty() {
            // A first segment with a colon would read as a scheme.
            let segment = path.split(|&b| b == b'/').next().unwrap_or_default();
            if segment.contains(&b':') {
                buf.extend_from_slice(b"./");
            }
        }
        buf.extend_from_slice(&path);
    }
    if u.force_query || !u.raw_query.is_empty() {
        buf.push(b'?');
        buf.extend_from_slice(&u.raw_query);
    }
    if !u.fragment.is_empty() {
        buf.push(b'#');
        buf.extend_from_slice(&escape(&u.fragment, Mode::Fragment));
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_net_url() {
        let u = parse(b"https://user:pa%20ss@example.com:8443/p/a?q=1&r=x#frag").expect("url");
        assert_eq!(u.host, b"example.com:8443");
        assert_eq!(hostname(&u.host), b"example.com");
        assert_eq!(u.user, Some((b"user".to_vec(), Some(b"pa ss".to_vec()))));
        assert_eq!(
            to_string(&u),
            b"https://user:pa%20ss@example.com:8443/p/a?q=1&r=x#frag"
        );
        assert_eq!(
            parse(b"http://[::1]:namedport").err().as_deref(),
            Some("parse \"http://[::1]:namedport\": invalid port \":namedport\" after host")
        );
        assert_eq!(
            parse(b":bad").err().as_deref(),
            Some("parse \":bad\": missing protocol scheme")
        );
        let rel = Url {
            path: b"rel:path".to_vec(),
            ..Url::default()
        };
        assert_eq!(to_string(&rel), b"./rel:path");
    }
}
