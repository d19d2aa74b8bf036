//! Go's `strconv.FormatFloat` for the verbs in use: `'g'` (shortest, or to a precision) for
//! 64- and 32-bit floats, `'e'` and `'f'` to a precision. Rust's `{:e}` prints the same shortest
//! round-trip digits Go chooses, so only the layout around them is Go's here.

/// More significant digits than any f64 has.
const MAX_DIGITS: usize = 800;

fn non_finite(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

/// The digits (trailing zeros dropped) and decimal exponent of Rust's `d.ddde±x` text.
fn split_sci(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exp)
}

fn exp_suffix(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:02}", exp.unsigned_abs())
}

/// `'g'` layout of `digits` × 10^`exp`: exponent form below -4 and from `eprec` on.
fn layout_g(neg: bool, digits: &str, exp: i32, eprec: i32) -> String {
    let sign = if neg { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        format!("{sign}{mant}{}", exp_suffix(exp))
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = (exp + 1) as usize;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// `strconv.FormatFloat(f, 'g', prec, 64)`, shortest when `prec` is None (as `%v` and `%g`
/// use it).
pub fn format_g(f: f64, prec: Option<usize>) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let sci = match prec {
        None => format!("{:e}", f.abs()),
        // An f64 has at most 767 significant decimal digits; Rust's formatter takes at most
        // 65535, so longer requests are cut here (the digits past 767 are zeros anyway).
        Some(p) => format!("{:.*e}", (p.max(1) - 1).min(MAX_DIGITS), f.abs()),
    };
    let (digits, exp) = split_sci(&sci);
    let eprec: i32 = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            let nd = digits.len() as i32;
            if p > nd && nd > exp { nd } else { p }
        }
    };
    layout_g(f.is_sign_negative(), &digits, exp, eprec)
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that identify the value as a
/// float32.
pub fn format_g32(f: f32) -> String {
    if let Some(s) = non_finite(f64::from(f)) {
        return s;
    }
    let (digits, exp) = split_sci(&format!("{:e}", f.abs()));
    layout_g(f.is_sign_negative(), &digits, exp, 6)
}

/// `strconv.FormatFloat(f, 'e', prec, 64)`.
pub fn format_e(f: f64, prec: usize) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let s = format!("{:.*e}", prec.min(MAX_DIGITS), f);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let zeros = "0".repeat(prec.saturating_sub(MAX_DIGITS));
    format!("{mant}{zeros}{}", exp_suffix(exp))
}

/// `strconv.FormatFloat(f, 'f', prec, 64)`.
pub fn format_f(f: f64, prec: usize) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    // Past 1100 places every f64 has only zeros left (its binary expansion ends by 1074).
    let s = format!("{:.*}", prec.min(1100), f);
    format!("{s}{}", "0".repeat(prec.saturating_sub(1100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_64() {
        for (v, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (41504768.0, "4.1504768e+07"),
            (0.1, "0.1"),
            (20000.0, "20000"),
            (1234567.0, "1.234567e+06"),
            (0.09, "0.09"),
            (0.000027672, "2.7672e-05"),
            (18446744073709551615.0, "1.8446744073709552e+19"),
            (-3.0, "-3"),
            (1795632408.69, "1.79563240869e+09"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(format_g(v, None), want, "{v}");
        }
    }

    #[test]
    fn shortest_32() {
        for (v, want) in [
            (1.2345678901234568e29, "1.2345679e+29"),
            (-9.223372036854776e18, "-9.223372e+18"),
            (0.1, "0.1"),
            (12.5, "12.5"),
            (-0.0, "-0"),
            (1e6, "1e+06"),
        ] {
            assert_eq!(format_g32(v as f32), want, "{v}");
        }
    }

    #[test]
    fn with_precision() {
        assert_eq!(format_g(1.23456, Some(3)), "1.23");
        assert_eq!(format_g(1234567.0, Some(3)), "1.23e+06");
        assert_eq!(format_g(100.0, Some(0)), "1e+02");
        assert_eq!(format_e(1234.5678, 2), "1.23e+03");
        assert_eq!(format_f(2.5, 3), "2.500");
        assert_eq!(format_f(1.0, 1105).len(), 1107);
    }
}
