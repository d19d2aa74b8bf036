//! Sprig's `duration` and `durationRound`, with Go's `time.Duration` parsing and printing.
//! Both take `interface {}` and look only at the types sprig switches on: `duration` reads a
//! `string` (decimal seconds) or an `int64`, `durationRound` a `string` (`time.ParseDuration`)
//! or an `int64` (nanoseconds); anything else, a plain `int` included, counts as zero.

use super::func::{Func, Ty, a};
use super::sprig_data::atoi;
use super::value::Value;

const SECOND: u64 = 1_000_000_000;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "duration" => Func::new(&[Any], |v| {
            let secs = match a(&v, 0) {
                Value::Str(s) => atoi(&s.to_str_lossy()),
                Value::Int64(n) => n,
                _ => 0,
            };
            // Go multiplies in int64 and wraps.
            Ok(Value::str(format_duration(
                secs.wrapping_mul(SECOND as i64),
            )))
        }),
        "durationRound" => Func::new(&[Any], |v| {
            let d = match a(&v, 0) {
                Value::Str(s) => parse_duration(&s.to_str_lossy()).unwrap_or(0),
                Value::Int64(n) => n,
                Value::Time(t) => t.since(),
                _ => 0,
            };
            Ok(Value::str(round_duration(d)))
        }),
        _ => return None,
    })
}

/// Go's `time.ParseDuration`; `None` where Go returns an error.
pub fn parse_duration(orig: &str) -> Option<i64> {
    const LIMIT: u64 = 1 << 63;
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return None;
        }
        let before = s.len();
        let mut v: u64 = 0;
        while let Some(&c) = s.first().filter(|c| c.is_ascii_digit()) {
            if v > LIMIT / 10 {
                return None;
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return None;
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
            return None;
        }
        let end = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if end == 0 {
            return None;
        }
        let unit: u64 = match &s[..end] {
            b"ns" => 1,
            b"us" | [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => 1_000,
            b"ms" => 1_000_000,
            b"s" => SECOND,
            b"m" => 60 * SECOND,
            b"h" => 3600 * SECOND,
            _ => return None,
        };
        s = &s[end..];
        if v > LIMIT / unit {
            return None;
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return None;
            }
        }
        d += v;
        if d > LIMIT {
            return None;
        }
    }
    if neg {
        return Some((d as i64).wrapping_neg());
    }
    if d > LIMIT - 1 {
        return None;
    }
    Some(d as i64)
}

/// Go's `Duration.String`: `72h3m0.5s`, `1.5µs`, `0s`.
pub fn format_duration(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < SECOND {
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

/// Sprig's `durationRound`: the largest whole unit (y = 365d, mo = 30d, d, h, m, s) the
/// duration exceeds.
pub fn round_duration(d: i64) -> String {
    let u = d.unsigned_abs();
    let hour = 3600 * SECOND;
    let units: [(u64, &str); 6] = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60 * SECOND, "m"),
        (SECOND, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return format!("{}{name}", u / size);
        }
    }
    "0s".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_go() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(1_500), "1.5µs");
        assert_eq!(format_duration(3_661 * SECOND as i64), "1h1m1s");
        assert_eq!(format_duration(-90 * SECOND as i64), "-1m30s");
        assert_eq!(format_duration(500_000_000), "500ms");
        assert_eq!(format_duration(i64::MIN), "-2562047h47m16.854775808s");
        assert_eq!(parse_duration("1h30m"), Some(5_400 * SECOND as i64));
        assert_eq!(parse_duration("1.5h"), Some(5_400 * SECOND as i64));
        assert_eq!(parse_duration("2h45m30.5s"), Some(9_930_500_000_000));
        assert_eq!(parse_duration("bogus"), None);
        assert_eq!(parse_duration("-2h"), Some(-7_200 * SECOND as i64));
        assert_eq!(round_duration(parse_duration("2000h").unwrap_or(0)), "2mo");
        assert_eq!(round_duration(parse_duration("8760h").unwrap_or(0)), "12mo");
        assert_eq!(atoi("99999999999999999999"), i64::MAX);
    }
}
