//! Sprig's conversions: `strval`, `strslice` and spf13/cast's `ToInt64`/`ToFloat64`.

use gocompat::strconv;

use super::gofmt;
use super::value::{Bytes, Value};

/// sprig `strval` as text (map keys, messages): U+FFFD for bytes that are not UTF-8.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_str_lossy().into_owned(),
        other => gofmt::v(other),
    }
}

/// sprig `strval`: strings as is (shared), everything else through `%v`.
pub fn strval_bytes(v: &Value) -> Bytes {
    match v {
        Value::Str(s) => s.clone(),
        other => Bytes::from(gofmt::v_bytes(other)),
    }
}

/// sprig `strslice`: a slice's non-nil elements as strings, or a one-element list.
pub fn strslice(v: &Value) -> Vec<Bytes> {
    match v {
        Value::List(items, _) => items
            .iter()
            .filter(|i| !i.is_nil())
            .map(strval_bytes)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval_bytes(other)],
    }
}

/// cast's `trimZeroDecimal`: "5.00" → "5".
fn trim_zero_decimal(s: &str) -> &str {
    let mut found_zero = false;
    for (i, b) in s.bytes().enumerate().rev() {
        match b {
            b'.' => {
                if found_zero {
                    return &s[..i];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// cast `ToInt64` with errors mapped to 0, as sprig's `toInt64`.
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        // Go's conversion wraps.
        Value::Uint(u) => *u as i64,
        Value::Float(f) => go_f64_to_i64(*f),
        Value::Str(s) => {
            // cast's `ParseInt(_, 0, 0)`: Go's `int` is 64 bits here.
            strconv::parse_int(trim_zero_decimal(&s.to_str_lossy()), 0, 0).unwrap_or(0)
        }
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// Go's conversion of an out-of-range float on amd64 yields the minimum int64.
pub fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// cast `ToFloat64` with errors mapped to 0.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Str(s) => parse_float(&s.to_str_lossy()).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms; out of range (`1e400`) is an error,
/// as in Go.
pub fn parse_float(s: &str) -> Option<f64> {
    let f = parse_float_syntax(s)?;
    let named = s
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase()
        .starts_with("inf");
    if f.is_infinite() && !named {
        return None;
    }
    Some(f)
}

fn parse_float_syntax(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let t = lower.trim_start_matches(['+', '-']);
    if let Some(hex) = t.strip_prefix("0x") {
        let neg = lower.starts_with('-');
        if lower[1..].starts_with(['+', '-']) {
            return None;
        }
        return parse_hex_float(&hex.replace('_', "")).map(|f| if neg { -f } else { f });
    }
    if s.contains('_') {
        // Underscores only between digits.
        let b = s.as_bytes();
        let ok = b
            .windows(3)
            .all(|w| w[1] != b'_' || (w[0].is_ascii_digit() && w[2].is_ascii_digit()))
            && !s.starts_with('_')
            && !s.ends_with('_');
        return if ok {
            parse_float_syntax(&s.replace('_', ""))
        } else {
            None
        };
    }
    match t {
        "inf" | "infinity" | "nan" => s.parse::<f64>().ok(),
        _ if t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')) =>
        {
            s.parse::<f64>().ok()
        }
        _ => None,
    }
}

/// The hexadecimal form of `strconv.ParseFloat` after `0x`: hex digits with an optional
/// point, then a mandatory binary exponent (`1.8p1`).
fn parse_hex_float(t: &str) -> Option<f64> {
    let (mantissa, exp) = t.split_once('p')?;
    let exp: i32 = match exp.strip_prefix('+') {
        Some(e) if !e.starts_with('-') => e.parse().ok()?,
        _ => exp.parse().ok()?,
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars().chain(frac.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let shift = exp.checked_sub(i32::try_from(frac.len()).ok()?.checked_mul(4)?)?;
    Some(value * 2f64.powi(shift))
}

/// sprig `empty`.
pub fn empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Float(f) => *f == 0.0,
        // A struct, or a pointer that is not nil.
        Value::SemVer(..) | Value::Cert(_) => false,
        other => other.len().unwrap_or(0) == 0,
    }
}
