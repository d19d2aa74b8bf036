//! Sprig's case conversions (`snakecase`, `kebabcase`, `camelcase`, from huandu/xstrings
//! v1.5.0) and word wrapping (`wrap`, `wrapWith`, from Masterminds/goutils v1.1.1), on Go
//! byte strings: invalid UTF-8 passes through where Go copies bytes and becomes U+FFFD where
//! Go decodes runes.

use super::func::{Func, Ty, n, s};
use super::sprig_str::{lower_rune, upper_rune};
use super::value::Value;

/// Go's `utf8.RuneError`, which a valid U+FFFD in the input is indistinguishable from.
const RUNE_ERROR: char = '\u{FFFD}';
const MAX_RESULT: usize = 16 << 20;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "snakecase" => Func::new(&[Str], |v| text(to_lower_case(s(&v, 0).as_bytes(), b'_'))),
        "kebabcase" => Func::new(&[Str], |v| text(to_lower_case(s(&v, 0).as_bytes(), b'-'))),
        // Sprig maps `camelcase` to xstrings' upper camel case (`ToPascalCase`).
        "camelcase" => Func::new(&[Str], |v| text(to_pascal_case(s(&v, 0).as_bytes()))),
        "wrap" => Func::new(&[Int, Str], |v| {
            wrap(s(&v, 1).as_bytes(), n(&v, 0), b"", false).and_then(text)
        }),
        "wrapWith" => Func::new(&[Int, Str, Str], |v| {
            wrap(s(&v, 2).as_bytes(), n(&v, 0), s(&v, 1).as_bytes(), true).and_then(text)
        }),
        _ => return None,
    })
}

fn text(bytes: Vec<u8>) -> Result<Value, String> {
    Ok(Value::str(bytes))
}

/// Go's `utf8.DecodeRune`: the first rune and its length, `(RuneError, 1)` for a bad byte.
fn decode(b: &[u8]) -> (char, usize) {
    let Some(&first) = b.first() else {
        return (RUNE_ERROR, 0);
    };
    let width = match first {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    match b.get(..width).map(std::str::from_utf8) {
        Some(Ok(s)) => (s.chars().next().unwrap_or(RUNE_ERROR), width),
        _ => (RUNE_ERROR, 1),
    }
}

fn push_rune(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Go's `unicode.IsSpace`.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// Go's `unicode.IsPunct` (category P): exact for ASCII and Latin-1, the general punctuation
/// and CJK punctuation blocks beyond.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '"' | '#' | '%' | '&' | '\'' | '(' | ')' | '*' | ',' | '-' | '.' | '/' | ':' | ';'
            | '?' | '@' | '[' | '\\' | ']' | '_' | '{' | '}'
            | '\u{a1}' | '\u{a7}' | '\u{ab}' | '\u{b6}' | '\u{b7}' | '\u{bb}' | '\u{bf}'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{2043}'
            | '\u{2045}'..='\u{2051}'
            | '\u{2053}'..='\u{205e}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
    )
}

fn is_upper(c: char) -> bool {
    c.is_uppercase()
}

/// xstrings' `isAlphabet`: a letter, but not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c, '\u{4e00}'..='\u{9fcc}' | '\u{3400}'..='\u{4d85}' | '\u{20000}'..='\u{2b81d}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// The next valid rune at the start of `b` and the bytes up to its end; `prev` when none is left.
fn next_valid_rune(b: &[u8], prev: char) -> (char, usize) {
    let (mut size, mut rest) = (0, b);
    while !rest.is_empty() {
        let (r, sz) = decode(rest);
        size += sz;
        if r != RUNE_ERROR {
            return (r, size);
        }
        rest = &rest[sz..];
    }
    (prev, size)
}

/// Extends a word over the following runes while `keep` holds.
fn extend(str: &[u8], mut offset: usize, mut r: char, keep: impl Fn(char) -> bool) -> usize {
    let mut remaining = &str[offset..];
    while !remaining.is_empty() {
        let (next, size) = next_valid_rune(remaining, r);
        r = next;
        if !keep(r) {
            break;
        }
        offset += size;
        remaining = &remaining[size..];
    }
    offset
}

/// xstrings' `nextWord`: the type of the next word, the word, and what follows.
fn next_word(str: &[u8]) -> (Word, &[u8], &[u8]) {
    if str.is_empty() {
        return (Word::Invalid, b"", b"");
    }
    let (r, size) = next_valid_rune(str, RUNE_ERROR);
    let mut offset = size;
    if r == RUNE_ERROR {
        return (Word::Invalid, &str[..offset], &str[offset..]);
    }
    let wt = if is_connector(r) {
        offset = extend(str, offset, r, is_connector);
        Word::Connector
    } else if is_punct(r) {
        offset = extend(str, offset, r, is_punct);
        Word::Punct
    } else if is_upper(r) {
        if offset < str.len() {
            let (r2, size2) = next_valid_rune(&str[offset..], r);
            if is_upper(r2) {
                // A run of capitals; in "HTTPStatus" the last one starts the next word.
                let mut prev_size = size2;
                offset += size2;
                let mut last = r2;
                while offset < str.len() {
                    let (r3, size3) = next_valid_rune(&str[offset..], last);
                    last = r3;
                    if !is_upper(r3) {
                        break;
                    }
                    prev_size = size3;
                    offset += size3;
                }
                if offset < str.len() && is_alphabet(last) {
                    offset -= prev_size;
                }
            } else if is_alphabet(r2) {
                offset = extend(str, offset + size2, r2, |c| is_alphabet(c) && !is_upper(c));
            }
        }
        Word::Upper
    } else if is_alphabet(r) {
        offset = extend(str, offset, r, |c| is_alphabet(c) && !is_upper(c));
        Word::Alphabet
    } else if r.is_numeric() {
        offset = extend(str, offset, r, char::is_numeric);
        Word::Number
    } else {
        let mut remaining = &str[offset..];
        let mut last = r;
        while !remaining.is_empty() {
            let (r2, size2) = next_valid_rune(remaining, last);
            last = r2;
            if size2 == 0 || is_connector(r2) || is_alphabet(r2) || r2.is_numeric() || is_punct(r2)
            {
                break;
            }
            offset += size2;
            remaining = &remaining[size2..];
        }
        Word::Other
    };
    (wt, &str[..offset], &str[offset..])
}

/// xstrings' `toLower`: connectors become `connector`, capitals lower case.
fn word_to_lower(out: &mut Vec<u8>, wt: Word, word: &[u8], connector: u8) {
    if wt != Word::Upper && wt != Word::Connector {
        out.extend_from_slice(word);
        return;
    }
    let mut rest = word;
    while !rest.is_empty() {
        let (r, size) = decode(rest);
        rest = &rest[size..];
        if is_connector(r) {
            out.push(connector);
        } else if is_upper(r) {
            push_rune(out, lower_rune(r));
        } else {
            push_rune(out, r);
        }
    }
}

/// xstrings' `camelCaseToLowerCase` (`ToSnakeCase`, `ToKebabCase`).
fn to_lower_case(str: &[u8], connector: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(str.len() + 8);
    if str.is_empty() {
        return out;
    }
    let (mut wt, mut word, mut remaining) = next_word(str);
    while !remaining.is_empty() {
        if wt != Word::Connector {
            word_to_lower(&mut out, wt, word, connector);
        }
        let (prev, last) = (wt, word);
        (wt, word, remaining) = next_word(remaining);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    word_to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => word_to_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if remaining.is_empty() {
                    continue;
                }
                let number = word;
                (wt, word, remaining) = next_word(remaining);
                // A number belongs to the word before it ("Bld4Floor" is "bld4_floor")
                // unless lower-case letters follow it ("HTTP2xx" is "http_2xx").
                if wt != Word::Alphabet {
                    word_to_lower(&mut out, Word::Number, number, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                word_to_lower(&mut out, Word::Number, number, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    word_to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    word_to_lower(&mut out, wt, word, connector);
    out
}

/// xstrings' `ToPascalCase`: connectors dropped, the rune after each one upper case, and
/// runs of capitals lowered after their first letter.
fn to_pascal_case(str: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(str.len());
    if str.is_empty() {
        return out;
    }
    let mut rest = str;
    let (mut r0, mut size) = (RUNE_ERROR, 0);
    let mut first_upper = false;
    // Leading connectors are kept.
    while !rest.is_empty() {
        (r0, size) = decode(rest);
        rest = &rest[size..];
        if !is_connector(r0) {
            first_upper = is_upper(r0);
            r0 = upper_rune(r0);
            break;
        }
        push_rune(&mut out, r0);
    }
    if rest.is_empty() {
        // xstrings writes the last rune once more here, connector or not.
        if size != 0 {
            push_rune(&mut out, r0);
        }
        return out;
    }
    while !rest.is_empty() {
        let r1 = r0;
        (r0, size) = decode(rest);
        rest = &rest[size..];
        if is_connector(r0) && is_connector(r1) {
            push_rune(&mut out, r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = is_upper(r0);
            r0 = upper_rune(r0);
        } else {
            if first_upper {
                if is_upper(r0) {
                    r0 = lower_rune(r0);
                } else {
                    first_upper = false;
                }
            }
            push_rune(&mut out, r1);
        }
    }
    push_rune(&mut out, r0);
    out
}

/// goutils' `WrapCustom`: breaks at the last space within `width` bytes, dropping spaces
/// at line starts; a longer word is cut (`cut_long`) or left whole. Counts bytes, as Go.
fn wrap(str: &[u8], width: i64, newline: &[u8], cut_long: bool) -> Result<Vec<u8>, String> {
    if str.is_empty() {
        return Ok(Vec::new());
    }
    let newline: &[u8] = if newline.is_empty() { b"\n" } else { newline };
    let width = usize::try_from(width.max(1)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(str.len() + str.len() / 8);
    let mut offset = 0;
    let line = |out: &mut Vec<u8>, part: &[u8]| -> Result<(), String> {
        if out.len() + part.len() + newline.len() > MAX_RESULT {
            return Err(format!("result larger than {MAX_RESULT} bytes"));
        }
        out.extend_from_slice(part);
        out.extend_from_slice(newline);
        Ok(())
    };
    while str.len() - offset > width {
        if str[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        if let Some(space) = str[offset..end].iter().rposition(|&b| b == b' ') {
            line(&mut out, &str[offset..offset + space])?;
            offset += space + 1;
        } else if cut_long {
            line(&mut out, &str[offset..offset + width])?;
            offset += width;
        } else {
            let end = width + offset;
            match str[end..].iter().position(|&b| b == b' ') {
                None => {
                    out.extend_from_slice(&str[offset..]);
                    offset = str.len();
                }
                Some(i) => {
                    line(&mut out, &str[offset..end + i])?;
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&str[offset..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snake(x: &str) -> String {
        String::from_utf8(to_lower_case(x.as_bytes(), b'_')).expect("utf-8")
    }

    fn pascal(x: &str) -> String {
        String::from_utf8(to_pascal_case(x.as_bytes())).expect("utf-8")
    }

    #[test]
    fn snake_case_like_xstrings() {
        for (input, want) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
        ] {
            assert_eq!(snake(input), want, "{input}");
        }
    }

    #[test]
    fn pascal_case_like_xstrings() {
        for (input, want) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("__", "___"),
        ] {
            assert_eq!(pascal(input), want, "{input}");
        }
    }

    #[test]
    fn wrap_like_goutils() {
        let w = |s: &str, n, nl: &str, cut| {
            String::from_utf8(wrap(s.as_bytes(), n, nl.as_bytes(), cut).expect("wrap"))
                .expect("utf-8")
        };
        assert_eq!(
            w("The quick brown fox", 10, "", false),
            "The quick\nbrown fox"
        );
        assert_eq!(w("aaaaaaaaa bb", 4, "", false), "aaaaaaaaa\nbb");
        assert_eq!(w("aaaaaaaaa bb", 4, "|", true), "aaaa|aaaa|a bb");
    }
}
