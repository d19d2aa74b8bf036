//! How go-yaml v2 (the parser under sigs.k8s.io/yaml, which upstream reads input with) resolves
//! a plain scalar: YAML 1.1 booleans (`yes`, `on`, `y`…), nulls, Go-syntax integers (`0x1F`,
//! `017`, `1_000`) and floats; and how sigs.k8s.io/yaml then prints a resolved number or bool
//! when it needs a string (a mapping key, or a field whose Go type is `string`).

// sigs.k8s.io/yaml prints floats as float32 (`strconv.FormatFloat(f, 'g', -1, 32)`).
use gocompat::strconv::{self, format_g32};

/// A resolved scalar, with the Go type go-yaml gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    /// Only for values above `i64::MAX` (go-yaml tries `int` first).
    Uint(u64),
    Float(f64),
    Str(String),
}

/// Resolves an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Scalar {
    let Some(&first) = s.as_bytes().first() else {
        return Scalar::Null;
    };
    if let Some(v) = special_word(s) {
        return v;
    }
    match first {
        b'.' => match go_parse_float(s) {
            Some(f) => Scalar::Float(f),
            None => Scalar::Str(s.to_string()),
        },
        b'+' | b'-' | b'0'..=b'9' => resolve_number(s),
        _ => Scalar::Str(s.to_string()),
    }
}

fn special_word(s: &str) -> Option<Scalar> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Scalar::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Scalar::Null,
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Digits or a sign first: `ParseInt(s, 0, 64)`, then `ParseUint`, then a YAML-style float, all
/// with underscores removed. (Timestamps stay strings when decoded into `interface{}`.)
fn resolve_number(s: &str) -> Scalar {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Ok(i) = strconv::parse_int(&plain, 0, 64) {
        return Scalar::Int(i);
    }
    if let Ok(u) = strconv::parse_uint(&plain, 0, 64) {
        return Scalar::Uint(u);
    }
    if yaml_style_float(&plain)
        && let Some(f) = go_parse_float(&plain)
    {
        return Scalar::Float(f);
    }
    go_yaml_binary(&plain).unwrap_or_else(|| Scalar::Str(s.to_string()))
}

/// go-yaml v2's own binary forms, tried last: `0b` followed by what `strconv.ParseInt(_, 2, 64)`
/// or `ParseUint` accepts, a sign included (`0b-101` is -5), and `-0b` followed by digits.
fn go_yaml_binary(plain: &str) -> Option<Scalar> {
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Ok(i) = strconv::parse_int(rest, 2, 64) {
            return Some(Scalar::Int(i));
        }
        return strconv::parse_uint(rest, 2, 64).ok().map(Scalar::Uint);
    }
    let rest = plain.strip_prefix("-0b")?;
    strconv::parse_int(&format!("-{rest}"), 2, 64)
        .ok()
        .map(Scalar::Int)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for decimal text: underscores only between digits, and an
/// overflow to ±Inf is an error (go-yaml then keeps the string).
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = body.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let before = i > 0 && b[i - 1].is_ascii_digit();
            let after = b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !before || !after {
                return None;
            }
        }
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    if !yaml_style_float(&cleaned) {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A resolved mapping key as sigs.k8s.io/yaml writes it into JSON; `None` for the key types it
/// refuses (null, uint64, collections).
pub fn key_string(key: &Scalar) -> Option<String> {
    Some(match key {
        Scalar::Str(s) => s.clone(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Float(f) => match format_g32(*f as f32).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            s => s.to_string(),
        },
        Scalar::Null | Scalar::Uint(_) => return None,
    })
}

/// A resolved scalar as a string, for a field whose Go type is `string`.
pub fn as_go_string(v: &Scalar) -> Option<String> {
    Some(match v {
        Scalar::Str(s) => s.clone(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Uint(u) => u.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Float(f) => format_g32(*f as f32),
        Scalar::Null => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        key_string(&resolve_plain(s))
    }

    /// The key names upstream kubeseal v0.40.0 prints for these plain keys (observed).
    #[test]
    fn keys_as_upstream() {
        for (input, want) in [
            ("y", "true"),
            ("Y", "true"),
            ("on", "true"),
            ("off", "false"),
            ("yes", "true"),
            ("NO", "false"),
            ("False", "false"),
            ("0x1F", "31"),
            ("1_000", "1000"),
            ("0o17", "15"),
            ("017", "15"),
            ("0b101", "5"),
            ("+12", "12"),
            ("-0", "0"),
            (".5", "0.5"),
            ("1e3", "1000"),
            ("1.e3", "1000"),
            ("0.1e1", "1"),
            ("12.50", "12.5"),
            ("1.0", "1"),
            ("0.", "0"),
            (".inf", ".inf"),
            ("-.INF", "-.inf"),
            (".NaN", ".nan"),
            ("123456789012345678901234567890", "1.2345679e+29"),
            ("18446744073709551616", "1.8446744e+19"),
            ("-9223372036854775809", "-9.223372e+18"),
            ("9223372036854775807", "9223372036854775807"),
            ("1e400", "1e400"),
            ("0x", "0x"),
            ("0xFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFF"),
            ("2001-12-14", "2001-12-14"),
            ("1:20", "1:20"),
            ("1.2.3", "1.2.3"),
            ("08", "8"),
            ("1e6", "1e+06"),
            ("0.00001", "1e-05"),
            ("0.0001", "0.0001"),
            ("123456", "123456"),
            ("plain", "plain"),
        ] {
            assert_eq!(key(input).as_deref(), Some(want), "{input}");
        }
    }

    /// go-yaml v2's binary forms, as upstream kubeseal v0.40.0 prints these keys (observed).
    #[test]
    fn go_yaml_binary_keys() {
        assert_eq!(key("0b-101").as_deref(), Some("-5"));
        assert_eq!(key("-0b11").as_deref(), Some("-3"));
        assert_eq!(key("0b+1").as_deref(), Some("1"));
        assert_eq!(key("0b101").as_deref(), Some("5"));
        assert_eq!(key("0b").as_deref(), Some("0b"));
        assert_eq!(key("-0b-1").as_deref(), Some("-0b-1"));
    }

    #[test]
    fn refused_keys() {
        for input in [
            "~",
            "null",
            "",
            "9223372036854775808",
            "18446744073709551615",
        ] {
            assert_eq!(key(input), None, "{input}");
        }
    }

    #[test]
    fn string_fields() {
        assert_eq!(as_go_string(&resolve_plain("on")).as_deref(), Some("true"));
        assert_eq!(as_go_string(&resolve_plain("n")).as_deref(), Some("false"));
        assert_eq!(as_go_string(&resolve_plain("0x1F")).as_deref(), Some("31"));
        assert_eq!(as_go_string(&resolve_plain(".nan")).as_deref(), Some("NaN"));
        assert_eq!(
            as_go_string(&resolve_plain("18446744073709551615")).as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(as_go_string(&resolve_plain("~")), None);
    }
}
