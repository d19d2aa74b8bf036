//! Sprig's string, encoding, hashing, regex and path functions.

use sha2::Digest;

use super::budget;
use super::conv::strval_bytes;
use super::encoding;
use super::func::{Func, Ty, a, n, s, sb};
use super::gofmt;
use super::value::Value;

fn st(v: String) -> Result<Value, String> {
    Ok(Value::str(v))
}

/// Go's `strings.Replace(x, old, new, -1)` over bytes: with an empty `old`, `new` goes
/// before every rune (a byte that is not UTF-8 counts as one) and at the end.
fn go_replace(x: &[u8], old: &[u8], new: &[u8]) -> Result<Vec<u8>, String> {
    // Linear-time search, leftmost and non-overlapping as Go's.
    let finder = if old.is_empty() {
        None
    } else {
        Some(aho_corasick::AhoCorasick::new([old]).map_err(|e| e.to_string())?)
    };
    let each_match = |f: &mut dyn FnMut(usize, usize)| match &finder {
        Some(finder) => finder.find_iter(x).for_each(|m| f(m.start(), m.end())),
        None => rune_starts(x).for_each(|i| f(i, i)),
    };
    // Sized (and charged) before anything is built.
    let mut count = 0usize;
    each_match(&mut |_, _| count += 1);
    let size = x.len() + count * new.len();
    budget::fits(size as u64)?;
    let mut out = Vec::with_capacity(size);
    let mut last = 0;
    each_match(&mut |start, end| {
        out.extend_from_slice(&x[last..start]);
        out.extend_from_slice(new);
        last = end;
    });
    out.extend_from_slice(&x[last..]);
    Ok(out)
}

/// Where each rune of `x` starts (a byte that is not UTF-8 is a rune), and `x.len()`.
fn rune_starts(x: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i > x.len() {
            return None;
        }
        let here = i;
        i += match x.get(i..) {
            Some(rest) if !rest.is_empty() => super::gofmt::decode_rune(rest).1,
            _ => 1,
        };
        Some(here)
    })
}

/// Go's `strings.Trim`: runes of `cut` off both ends of `x`, reading a byte that is not
/// UTF-8 as U+FFFD and keeping the bytes in between as they are.
fn go_trim<'x>(x: &'x [u8], cut: &str) -> &'x [u8] {
    let mut x = x;
    while !x.is_empty() {
        let (r, n) = super::gofmt::decode_rune(x);
        if !cut.contains(r) {
            break;
        }
        x = &x[n..];
    }
    while !x.is_empty() {
        let (r, n) = last_rune(x);
        if !cut.contains(r) {
            break;
        }
        x = &x[..x.len() - n];
    }
    x
}

/// Go's `utf8.DecodeLastRune`.
fn last_rune(x: &[u8]) -> (char, usize) {
    for n in 1..=x.len().min(4) {
        let tail = &x[x.len() - n..];
        if let Ok(t) = std::str::from_utf8(tail)
            && let Some(c) = t.chars().next()
        {
            return (c, n);
        }
        // Only a lead byte may start a rune; a continuation byte means look further back.
        if tail[0] & 0xc0 != 0x80 {
            break;
        }
    }
    ('\u{FFFD}', 1)
}

/// Joins parts with single spaces once the total fits the budget.
fn spaced(parts: Vec<Vec<u8>>) -> Result<Value, String> {
    let len: usize = parts.iter().map(|p| p.len() + 1).sum();
    budget::fits(len as u64)?;
    Ok(Value::str(parts.join(&b' ')))
}

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "hello" => Func::new(&[], |_| st("Hello!".into())),
        "abbrev" => Func::new(&[Int, Str], |v| {
            Ok(Value::str(abbrev(n(&v, 0), &sb(&v, 1))))
        }),
        "abbrevboth" => Func::new(&[Int, Int, Str], |v| {
            Ok(Value::str(abbrevboth(n(&v, 0), n(&v, 1), &sb(&v, 2))))
        }),
        "trunc" => Func::new(&[Int, Str], |v| Ok(Value::str(trunc(n(&v, 0), &sb(&v, 1))))),
        "trim" => Func::new(&[Str], |v| {
            st(s(&v, 0).trim_matches(char::is_whitespace).to_string())
        }),
        "upper" => Func::new(&[Str], |v| st(s(&v, 0).chars().map(upper_rune).collect())),
        "lower" => Func::new(&[Str], |v| st(s(&v, 0).chars().map(lower_rune).collect())),
        "title" => Func::new(&[Str], |v| st(title(&s(&v, 0)))),
        "untitle" => Func::new(&[Str], |v| st(untitle(&s(&v, 0)))),
        "substr" => Func::new(&[Int, Int, Str], |v| {
            substr(n(&v, 0), n(&v, 1), &sb(&v, 2)).map(Value::str)
        }),
        "repeat" => Func::new(&[Int, Str], |v| {
            let c = n(&v, 0);
            if c < 0 {
                return Err("strings: negative Repeat count".into());
            }
            let x = sb(&v, 1);
            let len = (c as u128) * (x.len() as u128);
            budget::fits(u64::try_from(len).unwrap_or(u64::MAX))?;
            Ok(Value::str(x.repeat(c as usize)))
        }),
        "trimall" | "trimAll" => Func::new(&[Str, Str], |v| {
            let (cut, x) = (s(&v, 0), sb(&v, 1));
            Ok(Value::str(go_trim(&x, &cut)))
        }),
        "trimSuffix" => Func::new(&[Str, Str], |v| {
            let (suf, x) = (sb(&v, 0), sb(&v, 1));
            Ok(Value::str(x.strip_suffix(&*suf).unwrap_or(&x)))
        }),
        "trimPrefix" => Func::new(&[Str, Str], |v| {
            let (pre, x) = (sb(&v, 0), sb(&v, 1));
            Ok(Value::str(x.strip_prefix(&*pre).unwrap_or(&x)))
        }),
        "nospace" => Func::new(&[Str], |v| Ok(Value::str(nospace(&sb(&v, 0))))),
        "swapcase" => Func::new(&[Str], |v| st(swapcase(&s(&v, 0)))),
        "initials" => Func::new(&[Str], |v| st(initials(&sb(&v, 0)))),
        "contains" => Func::new(&[Str, Str], |v| {
            // Byte search in linear time, as Go's strings.Contains.
            let (needle, x) = (sb(&v, 0), sb(&v, 1));
            let finder = aho_corasick::AhoCorasick::new([&*needle]).map_err(|e| e.to_string())?;
            Ok(Value::Bool(finder.is_match(&*x)))
        }),
        "hasPrefix" => Func::new(&[Str, Str], |v| {
            Ok(Value::Bool(sb(&v, 1).starts_with(&sb(&v, 0))))
        }),
        "hasSuffix" => Func::new(&[Str, Str], |v| {
            Ok(Value::Bool(sb(&v, 1).ends_with(&sb(&v, 0))))
        }),
        "quote" => Func::var(&[], Any, |v| {
            let mut parts = Vec::new();
            for x in v.iter().filter(|x| !x.is_nil()) {
                let text = super::conv::strval_bytes(x);
                // Quoting grows text at most fourfold (`\xNN`).
                budget::fits(text.len() as u64 * 4)?;
                parts.push(gofmt::quote_bytes(&text).into_bytes());
            }
            spaced(parts)
        }),
        "squote" => Func::var(&[], Any, |v| {
            let parts = v
                .iter()
                .filter(|x| !x.is_nil())
                .map(|x| [b"'".as_slice(), &gofmt::v_bytes(x), b"'"].concat())
                .collect();
            spaced(parts)
        }),
        "cat" => Func::var(&[], Any, |v| {
            spaced(
                v.iter()
                    .filter(|x| !x.is_nil())
                    .map(gofmt::v_bytes)
                    .collect(),
            )
        }),
        "indent" => Func::new(&[Int, Str], |v| {
            let x = sb(&v, 1);
            indent(n(&v, 0), &latin1(&x)).map(|x| Value::str(un_latin1(&x)))
        }),
        "nindent" => Func::new(&[Int, Str], |v| {
            let x = sb(&v, 1);
            indent(n(&v, 0), &latin1(&x)).map(|x| Value::str(un_latin1(&format!("\n{x}"))))
        }),
        "replace" => Func::new(&[Str, Str, Str], |v| {
            let (old, new, x) = (sb(&v, 0), sb(&v, 1), sb(&v, 2));
            Ok(Value::str(go_replace(&x, &old, &new)?))
        }),
        "plural" => Func::new(&[Str, Str, Int], |v| {
            st(if n(&v, 2) == 1 { s(&v, 0) } else { s(&v, 1) })
        }),
        "sha1sum" => Func::new(&[Str], |v| st(hex(&sha1::Sha1::digest(&*sb(&v, 0))))),
        "sha256sum" => Func::new(&[Str], |v| st(hex(&sha2::Sha256::digest(&*sb(&v, 0))))),
        "sha512sum" => Func::new(&[Str], |v| st(hex(&sha2::Sha512::digest(&*sb(&v, 0))))),
        "adler32sum" => Func::new(&[Str], |v| st(adler32(&sb(&v, 0)).to_string())),
        "b64enc" => Func::new(&[Str], |v| {
            let x = sb(&v, 0);
            budget::fits(x.len().div_ceil(3) as u64 * 4)?;
            st(encoding::b64_encode(&x))
        }),
        "b64dec" => Func::new(&[Str], |v| {
            Ok(Value::str(
                encoding::b64_decode(&sb(&v, 0)).unwrap_or_else(String::into_bytes),
            ))
        }),
        "b32enc" => Func::new(&[Str], |v| {
            let x = sb(&v, 0);
            budget::fits(x.len().div_ceil(5) as u64 * 8)?;
            st(encoding::b32_encode(&x))
        }),
        "b32dec" => Func::new(&[Str], |v| {
            Ok(Value::str(
                encoding::b32_decode(&sb(&v, 0)).unwrap_or_else(String::into_bytes),
            ))
        }),
        "regexMatch" => Func::new(&[Str, Str], |v| {
            match_cost(&s(&v, 0), &s(&v, 1))?;
            Ok(Value::Bool(
                re(&s(&v, 0)).is_ok_and(|r| r.is_match(&s(&v, 1))),
            ))
        }),
        "mustRegexMatch" => Func::new(&[Str, Str], |v| {
            match_cost(&s(&v, 0), &s(&v, 1))?;
            Ok(Value::Bool(re(&s(&v, 0))?.is_match(&s(&v, 1))))
        }),
        "regexFindAll" | "mustRegexFindAll" => Func::new(&[Str, Str, Int], |v| {
            let r = re(&s(&v, 0))?;
            let x = s(&v, 1);
            let limit = n(&v, 2);
            if limit == 0 {
                return Ok(Value::typed_list(Vec::new(), super::value::Elem::Str));
            }
            let found = find_all(&r, &x, limit)?;
            Ok(Value::str_list(
                found.iter().map(|&(a, b)| x[a..b].to_string()).collect(),
            ))
        }),
        "regexFind" | "mustRegexFind" => Func::new(&[Str, Str], |v| {
            match_cost(&s(&v, 0), &s(&v, 1))?;
            let r = re(&s(&v, 0))?;
            st(r.find(&s(&v, 1))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default())
        }),
        "regexReplaceAll" | "mustRegexReplaceAll" => Func::new(&[Str, Str, Str], |v| {
            match_cost(&s(&v, 0), &s(&v, 1))?;
            let r = re_bytes(&s(&v, 0))?;
            Ok(Value::str(replace_all(&r, &sb(&v, 1), &sb(&v, 2), true)))
        }),
        "regexReplaceAllLiteral" | "mustRegexReplaceAllLiteral" => {
            Func::new(&[Str, Str, Str], |v| {
                match_cost(&s(&v, 0), &s(&v, 1))?;
                let r = re_bytes(&s(&v, 0))?;
                Ok(Value::str(replace_all(&r, &sb(&v, 1), &sb(&v, 2), false)))
            })
        }
        "regexSplit" | "mustRegexSplit" => Func::new(&[Str, Str, Int], |v| {
            let r = re(&s(&v, 0))?;
            Ok(Value::str_list(regex_split(
                &r,
                &s(&v, 0),
                &s(&v, 1),
                n(&v, 2),
            )?))
        }),
        "regexQuoteMeta" => Func::new(&[Str], |v| {
            let mut out = String::new();
            for c in s(&v, 0).chars() {
                if "\\.+*?()|[]{}^$".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            st(out)
        }),
        "base" | "osBase" => Func::new(&[Str], |v| path_fn(&v, path_base)),
        "dir" | "osDir" => Func::new(&[Str], |v| path_fn(&v, path_dir)),
        "clean" | "osClean" => Func::new(&[Str], |v| path_fn(&v, path_clean)),
        "ext" | "osExt" => Func::new(&[Str], |v| path_fn(&v, path_ext)),
        "isAbs" | "osIsAbs" => Func::new(&[Str], |v| Ok(Value::Bool(s(&v, 0).starts_with('/')))),
        "toString" => Func::new(&[Any], |v| Ok(Value::Str(strval_bytes(&a(&v, 0))))),
        "bcrypt" => Func::new(&[Str], |v| st(bcrypt(&s(&v, 0)))),
        "htpasswd" => Func::new(&[Str, Str], |v| {
            let user = s(&v, 0);
            if user.contains(':') {
                return st(format!("invalid username: {user}"));
            }
            st(format!("{user}:{}", bcrypt(&s(&v, 1))))
        }),
        _ => return None,
    })
}

/// Go x/crypto `GenerateFromPassword(pw, 10)` as sprig reports it: `$2a$10$...`, random salt.
fn bcrypt(pw: &str) -> String {
    if pw.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(pw.as_bytes(), 10) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// Go's `unicode.ToTitle`: differs from upper case only for the Latin digraphs.
fn title_rune(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        c => upper_rune(c),
    }
}

/// Go's simple (one-to-one) case mapping.
pub(super) fn upper_rune(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

pub(super) fn lower_rune(c: char) -> char {
    if c == '\u{130}' {
        // Simple mapping; the full one adds a combining dot.
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `strings.Title`'s word-boundary rule.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

fn title(x: &str) -> String {
    let mut prev = ' ';
    x.chars()
        .map(|c| {
            let out = if is_separator(prev) { title_rune(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils `Uncapitalize`: the first letter of every whitespace-separated word.
fn untitle(x: &str) -> String {
    let mut next = true;
    x.chars()
        .map(|c| {
            if c.is_whitespace() {
                next = true;
                c
            } else if next {
                next = false;
                lower_rune(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils `DeleteWhiteSpace`: works byte by byte and turns each kept byte into the rune
/// of the same number, so non-ASCII text comes out as Latin-1 mojibake, as upstream's does.
/// When nothing is deleted it returns its input unchanged.
fn nospace(x: &[u8]) -> Vec<u8> {
    let space = |b: &u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0);
    if !x.iter().any(space) {
        return x.to_vec();
    }
    x.iter()
        .filter(|b| !space(b))
        .map(|&b| char::from(b))
        .collect::<String>()
        .into_bytes()
}

/// Bytes as the runes of the same numbers, for functions that only look at ASCII
/// separators: they then work on any Go string, and [`un_latin1`] restores the bytes.
fn latin1(x: &[u8]) -> String {
    x.iter().map(|&b| char::from(b)).collect()
}

/// Inverse of [`latin1`] (every rune it sees is below 256).
fn un_latin1(x: &str) -> Vec<u8> {
    x.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect()
}

/// Runs a path function (which splits on ASCII `/` and `.` only) on argument 0's bytes.
fn path_fn(v: &[Value], f: fn(&str) -> String) -> Result<Value, String> {
    Ok(Value::str(un_latin1(&f(&latin1(&sb(v, 0))))))
}

/// goutils `SwapCase`.
fn swapcase(x: &str) -> String {
    let mut whitespace = true;
    x.chars()
        .map(|c| {
            if c.is_uppercase() || is_title_case(c) {
                whitespace = false;
                lower_rune(c)
            } else if c.is_lowercase() {
                if whitespace {
                    whitespace = false;
                    title_rune(c)
                } else {
                    upper_rune(c)
                }
            } else {
                whitespace = c.is_whitespace();
                c
            }
        })
        .collect()
}

fn is_title_case(c: char) -> bool {
    matches!(c, '\u{1C5}' | '\u{1C8}' | '\u{1CB}' | '\u{1F2}' | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}' | '\u{1FA8}'..='\u{1FAF}' | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// goutils `Initials`: walks bytes and writes each kept byte as the rune of the same number
/// (so a non-ASCII initial comes out as Latin-1 mojibake, as upstream's does).
fn initials(x: &[u8]) -> String {
    let mut out = String::new();
    let mut at_start = true;
    for c in x.iter().map(|&b| char::from(b)) {
        if c.is_whitespace() {
            at_start = true;
        } else if at_start {
            out.push(c);
            at_start = false;
        }
    }
    out
}

fn indent(spaces: i64, v: &str) -> Result<String, String> {
    if spaces < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let lines = v.matches('\n').count() as u128 + 1;
    let len = spaces as u128 * lines + v.len() as u128 + 1;
    budget::fits(u64::try_from(len).unwrap_or(u64::MAX))?;
    let pad = " ".repeat(spaces.max(0) as usize);
    Ok(format!("{pad}{}", v.replace('\n', &format!("\n{pad}"))))
}

// Go slices strings by byte: a cut inside a UTF-8 sequence keeps the partial bytes.

fn trunc(c: i64, x: &[u8]) -> Vec<u8> {
    let len = x.len() as i64;
    if c < 0 && len + c > 0 {
        return x[(len + c) as usize..].to_vec();
    }
    if c >= 0 && len > c {
        return x[..c as usize].to_vec();
    }
    x.to_vec()
}

fn substr(start: i64, end: i64, b: &[u8]) -> Result<Vec<u8>, String> {
    let len = b.len() as i64;
    let oob = |lo: i64, hi: i64| -> String {
        if hi > len || hi < 0 {
            format!("runtime error: slice bounds out of range [:{hi}] with length {len}")
        } else {
            format!("runtime error: slice bounds out of range [{lo}:{hi}]")
        }
    };
    if start < 0 {
        if end < 0 || end > len {
            return Err(oob(0, end));
        }
        return Ok(b[..end as usize].to_vec());
    }
    if end < 0 || end > len {
        if start > len {
            return Err(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            ));
        }
        return Ok(b[start as usize..].to_vec());
    }
    if start > end {
        return Err(oob(start, end));
    }
    Ok(b[start as usize..end as usize].to_vec())
}

fn abbrev(width: i64, x: &[u8]) -> Vec<u8> {
    if width < 4 {
        return x.to_vec();
    }
    abbreviate_full(x, 0, width).unwrap_or_default()
}

fn abbrevboth(left: i64, right: i64, x: &[u8]) -> Vec<u8> {
    if right < 4 || (left > 0 && right < 7) {
        return x.to_vec();
    }
    abbreviate_full(x, left, right).unwrap_or_default()
}

/// goutils `AbbreviateFull` (byte offsets, as Go).
fn abbreviate_full(b: &[u8], offset: i64, max_width: i64) -> Option<Vec<u8>> {
    if b.is_empty() {
        return Some(Vec::new());
    }
    if max_width < 4 {
        return None;
    }
    let len = b.len() as i64;
    if len <= max_width {
        return Some(b.to_vec());
    }
    // A negative offset behaves like 0 (Go reaches the same prefix branch).
    let mut offset = offset.clamp(0, len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return Some([&b[..(max_width - 3) as usize], b"..."].concat());
    }
    if max_width < 7 {
        return None;
    }
    if offset + max_width - 3 < len {
        let rest = abbreviate_full(&b[offset as usize..], 0, max_width - 3)?;
        return Some([b"...".as_slice(), &rest].concat());
    }
    Some([b"...".as_slice(), &b[(len - (max_width - 3)) as usize..]].concat())
}

/// `ReplaceAllString` (`expand`: with `$1` references) or `ReplaceAllLiteralString`, on
/// bytes (Go strings need not be UTF-8), stopping once the render's budget is spent (the
/// evaluator then reports it).
fn replace_all(r: &regex::bytes::Regex, x: &[u8], rep: &[u8], expand: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last = 0;
    for caps in r.captures_iter(x) {
        let cost = 1 + rep.len() as u64 / 16;
        if budget::steps(cost).is_err() || budget::fits((out.len() + rep.len()) as u64).is_err() {
            break;
        }
        let Some(m) = caps.get(0) else { continue };
        out.extend_from_slice(&x[last..m.start()]);
        if expand {
            caps.expand(rep, &mut out);
        } else {
            out.extend_from_slice(rep);
        }
        last = m.end();
    }
    out.extend_from_slice(&x[last..]);
    out
}

/// [`re`] for matching bytes.
fn re_bytes(pattern: &str) -> Result<regex::bytes::Regex, String> {
    let r = re(pattern)?;
    regex::bytes::Regex::new(r.as_str()).map_err(|e| format!("error parsing regexp: {e}"))
}

/// Steps for running a regexp over `input`: matching may cost the product of both sizes.
fn match_cost(pattern: &str, input: &str) -> Result<(), String> {
    budget::steps((pattern.len() as u64 + 1).saturating_mul(input.len() as u64) / 64)
}

/// Compiles a Go (RE2) pattern. Go's `\d`, `\w`, `\s` are ASCII-only, so those are
/// rewritten to explicit ASCII classes before handing the pattern to `regex`.
pub fn re(pattern: &str) -> Result<regex::Regex, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let repl = match (e, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\f\\r ]"),
                    ('s', true) => Some("\\t\\n\\f\\r "),
                    ('S', false) => Some("[^\\t\\n\\f\\r ]"),
                    _ => None,
                };
                match repl {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` and `]` belong to the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class like [:alpha:]
                out.push('[');
                for c2 in chars.by_ref() {
                    out.push(c2);
                    if c2 == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if !in_class => {
                // RE2 caps counted repetition at 1000; the regex crate allows more.
                let rest: String = chars.clone().take(24).collect();
                if let Some(text) = repeat_over_limit(&rest) {
                    return Err(format!(
                        "error parsing regexp: invalid repeat count: `{{{text}`"
                    ));
                }
                out.push('{');
            }
            c => out.push(c),
        }
    }
    regex::Regex::new(&out).map_err(|e| {
        if let Some(text) = super::regex_error::go_text(pattern) {
            return text;
        }
        format!(
            "error parsing regexp: {}",
            e.to_string().lines().last().unwrap_or_default()
        )
    })
}

/// The body of a counted repetition (`rest` follows its `{`) whose bounds exceed RE2's
/// limit of 1000, or `None` when it is within it or not a repetition at all.
fn repeat_over_limit(rest: &str) -> Option<&str> {
    let end = rest.find('}')?;
    let body = &rest[..end];
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, hi),
        None => (body, ""),
    };
    let number = |t: &str| -> Option<u64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(t.parse().unwrap_or(u64::MAX))
    };
    let lo = number(lo)?;
    let hi = if hi.is_empty() {
        None
    } else {
        Some(number(hi)?)
    };
    (lo > 1000 || hi.is_some_and(|h| h > 1000)).then_some(&rest[..=end])
}

/// Go's `FindAllStringIndex(s, n)`: empty matches right after a match are skipped.
fn find_all(r: &regex::Regex, x: &str, limit: i64) -> Result<Vec<(usize, usize)>, String> {
    match_cost(r.as_str(), x)?;
    let mut out = Vec::new();
    let mut prev_end: Option<usize> = None;
    for m in r.find_iter(x) {
        budget::steps(1)?;
        budget::fits(out.len() as u64 * super::value::SLOT)?;
        if limit >= 0 && out.len() as i64 >= limit {
            break;
        }
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push((m.start(), m.end()));
        prev_end = Some(m.end());
    }
    Ok(out)
}

/// Go's `Regexp.Split`.
fn regex_split(
    r: &regex::Regex,
    pattern: &str,
    x: &str,
    limit: i64,
) -> Result<Vec<String>, String> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    if !pattern.is_empty() && x.is_empty() {
        return Ok(vec![String::new()]);
    }
    let matches = find_all(r, x, limit)?;
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (ms, me) in matches {
        if limit > 0 && out.len() as i64 == limit - 1 {
            break;
        }
        end = ms;
        if me != 0 {
            out.push(x[beg..end].to_string());
        }
        beg = me;
    }
    if end != x.len() {
        out.push(x[beg..].to_string());
    }
    Ok(out)
}

/// Go's `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}
