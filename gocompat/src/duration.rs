//! Go's `time.Duration`: `time.ParseDuration` and `Duration.String`, on nanoseconds in an
//! `i64` as Go keeps them.

pub const NANOSECOND: i64 = 1;
pub const MICROSECOND: i64 = 1_000;
pub const MILLISECOND: i64 = 1_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

/// `time.ParseDuration`'s errors, with Go's texts.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DurationError {
    #[error("time: invalid duration {}", time_quote(.0))]
    Invalid(String),
    #[error("time: missing unit in duration {}", time_quote(.0))]
    MissingUnit(String),
    #[error("time: unknown unit {} in duration {}", time_quote(.unit), time_quote(.input))]
    UnknownUnit { unit: String, input: String },
}

/// The `time` package's own quoting: `"` and `\` escaped, control and non-ASCII bytes as `\xNN`.
fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b' '..=0x7f => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn unit_nanos(unit: &[u8]) -> Option<u64> {
    Some(match unit {
        b"ns" => NANOSECOND as u64,
        // "us", then U+00B5 (micro sign) and U+03BC (Greek mu) followed by "s".
        b"us" | [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => MICROSECOND as u64,
        b"ms" => MILLISECOND as u64,
        b"s" => SECOND as u64,
        b"m" => MINUTE as u64,
        b"h" => HOUR as u64,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`: a sign, then decimal numbers each with a unit (`1h30m`, `1.5s`,
/// `-2µs`); `0` needs no unit. Fractions are scaled in floating point, as Go does.
pub fn parse(orig: &str) -> Result<i64, DurationError> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || DurationError::Invalid(orig.to_string());
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let mut v: u64 = 0;
        while let Some(&c) = s.first().filter(|c| c.is_ascii_digit()) {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            s = &s[1..];
        }
        let pre = before != s.len();
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let mut overflow = false;
            while let Some(&c) = s.first().filter(|c| c.is_ascii_digit()) {
                s = &s[1..];
                if overflow {
                    continue;
                }
                if f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let end = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if end == 0 {
            return Err(DurationError::MissingUnit(orig.to_string()));
        }
        let Some(unit) = unit_nanos(&s[..end]) else {
            return Err(DurationError::UnknownUnit {
                unit: String::from_utf8_lossy(&s[..end]).into_owned(),
                input: orig.to_string(),
            });
        };
        s = &s[end..];
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `Duration.String`: `72h3m0.5s`, `1.5µs`, `0s`.
pub fn format(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < SECOND as u64 {
        let (prec, unit) = match u {
            0 => return "0s".into(),
            1..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (frac, int) = fraction(u, prec);
        out = format!("{int}{frac}{unit}");
    } else {
        let (frac, secs) = fraction(u, 9);
        u = secs;
        out.push_str(&format!("{}{frac}s", u % 60));
        u /= 60;
        if u > 0 {
            out = format!("{}m{out}", u % 60);
            u /= 60;
            if u > 0 {
                out = format!("{u}h{out}");
            }
        }
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `fmtFrac`: the fraction (trailing zeros dropped, with its dot) and the integer part.
fn fraction(mut v: u64, prec: u32) -> (String, u64) {
    let mut digits = Vec::new();
    let mut print = false;
    for _ in 0..prec {
        let digit = (v % 10) as u8;
        print = print || digit != 0;
        if print {
            digits.push(b'0' + digit);
        }
        v /= 10;
    }
    if digits.is_empty() {
        return (String::new(), v);
    }
    digits.reverse();
    (format!(".{}", String::from_utf8_lossy(&digits)), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(format(0), "0s");
        assert_eq!(format(1_500), "1.5µs");
        assert_eq!(format(3_661 * SECOND), "1h1m1s");
        assert_eq!(format(-90 * SECOND), "-1m30s");
        assert_eq!(format(500_000_000), "500ms");
        assert_eq!(format(720 * HOUR), "720h0m0s");
        assert_eq!(format(120 * SECOND), "2m0s");
        assert_eq!(format(1_500 * MILLISECOND), "1.5s");
        assert_eq!(format(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn parses_like_go() {
        assert_eq!(parse("1h30m"), Ok(5_400 * SECOND));
        assert_eq!(parse("1.5h"), Ok(5_400 * SECOND));
        assert_eq!(parse("2h45m30.5s"), Ok(9_930_500_000_000));
        assert_eq!(parse("-2h"), Ok(-7_200 * SECOND));
        assert_eq!(parse("3µs"), Ok(3 * MICROSECOND));
        assert_eq!(parse("+0"), Ok(0));
        assert_eq!(parse("-9223372036854775808ns"), Ok(i64::MIN));
        assert_eq!(
            parse("9223372036854775808ns"),
            Err(DurationError::Invalid("9223372036854775808ns".into()))
        );
    }

    #[test]
    fn errors_as_go_prints_them() {
        let text = |s: &str| parse(s).map_err(|e| e.to_string());
        assert_eq!(
            text("bogus"),
            Err(r#"time: invalid duration "bogus""#.into())
        );
        assert_eq!(text(""), Err(r#"time: invalid duration """#.into()));
        assert_eq!(
            text("12"),
            Err(r#"time: missing unit in duration "12""#.into())
        );
        assert_eq!(
            text("30d"),
            Err(r#"time: unknown unit "d" in duration "30d""#.into())
        );
        assert_eq!(
            text("1é"),
            Err(r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#.into())
        );
    }
}
