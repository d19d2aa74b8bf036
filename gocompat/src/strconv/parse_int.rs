//! Go's `strconv.ParseInt` and `ParseUint`.

use super::quote;

/// Why a number was refused, as Go's `NumError.Err` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumErrorKind {
    Syntax,
    Range,
    Base(u32),
    BitSize(u32),
}

impl std::fmt::Display for NumErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumErrorKind::Syntax => f.write_str("invalid syntax"),
            NumErrorKind::Range => f.write_str("value out of range"),
            NumErrorKind::Base(b) => write!(f, "invalid base {b}"),
            NumErrorKind::BitSize(b) => write!(f, "invalid bit size {b}"),
        }
    }
}

/// Go's `*strconv.NumError`: the function, the text as given and the reason.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("strconv.{func}: parsing {}: {kind}", quote(.num))]
pub struct NumError {
    pub func: &'static str,
    pub num: String,
    pub kind: NumErrorKind,
}

impl NumError {
    fn new(func: &'static str, num: &str, kind: NumErrorKind) -> NumError {
        NumError {
            func,
            num: num.to_string(),
            kind,
        }
    }
}

const PARSE_UINT: &str = "ParseUint";
const PARSE_INT: &str = "ParseInt";

/// `strconv.ParseInt(s, base, bit_size)`: an optional sign, then what `parse_uint` takes; a
/// `bit_size` of 0 means 64 (Go's `int`).
pub fn parse_int(s: &str, base: u32, bit_size: u32) -> Result<i64, NumError> {
    let (neg, body) = match s.as_bytes().first() {
        None => return Err(NumError::new(PARSE_INT, s, NumErrorKind::Syntax)),
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        Some(_) => (false, s),
    };
    let bits = if bit_size == 0 { 64 } else { bit_size };
    let magnitude = match parse_uint(body, base, bit_size) {
        Ok(m) => m,
        // Out of range as unsigned is out of range as signed too: reported below.
        Err(e) if e.kind == NumErrorKind::Range => u64::MAX,
        Err(e) => return Err(NumError::new(PARSE_INT, s, e.kind)),
    };
    // parse_uint has checked 1..=64 bits.
    let cutoff = 1u64 << (bits - 1);
    match (neg, magnitude) {
        (false, m) if m >= cutoff => Err(NumError::new(PARSE_INT, s, NumErrorKind::Range)),
        (true, m) if m > cutoff => Err(NumError::new(PARSE_INT, s, NumErrorKind::Range)),
        // -cutoff is the one negative whose magnitude is no i64.
        (true, m) => Ok(0i64.wrapping_sub_unsigned(m)),
        (false, m) => Ok(m as i64),
    }
}

/// `strconv.ParseUint(s, base, bit_size)`: no sign. Base 0 reads Go's prefixes (`0x`, `0o`,
/// `0b`, a bare leading `0` for octal, any case) and allows `_` between digits and after a
/// prefix; other bases take plain digits only. Overflow is reported as soon as it happens,
/// before any later syntax error.
pub fn parse_uint(s: &str, base: u32, bit_size: u32) -> Result<u64, NumError> {
    let err = |kind| Err(NumError::new(PARSE_UINT, s, kind));
    if s.is_empty() {
        return err(NumErrorKind::Syntax);
    }
    let base0 = base == 0;
    let (radix, digits) = match base {
        2..=36 => (base, s.as_bytes()),
        0 => base_prefix(s.as_bytes()),
        _ => return err(NumErrorKind::Base(base)),
    };
    let bits = match bit_size {
        0 => 64,
        1..=64 => bit_size,
        _ => return err(NumErrorKind::BitSize(bit_size)),
    };
    let max = u64::MAX >> (64 - bits);
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        if c == b'_' && base0 {
            underscores = true;
            continue;
        }
        let Some(d) = (c as char).to_digit(36).filter(|&d| d < radix) else {
            return err(NumErrorKind::Syntax);
        };
        match n
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(v) if v <= max => n = v,
            _ => return err(NumErrorKind::Range),
        }
    }
    if underscores && !underscores_ok(s.as_bytes()) {
        return err(NumErrorKind::Syntax);
    }
    Ok(n)
}

/// The radix base 0 reads and the digits after its prefix; a prefix needs a digit after it,
/// so `0x` alone is octal `x` (a syntax error).
fn base_prefix(s: &[u8]) -> (u32, &[u8]) {
    match s {
        [b'0', p, _, ..] if p | 0x20 == b'b' => (2, &s[2..]),
        [b'0', p, _, ..] if p | 0x20 == b'o' => (8, &s[2..]),
        [b'0', p, _, ..] if p | 0x20 == b'x' => (16, &s[2..]),
        [b'0', ..] => (8, &s[1..]),
        _ => (10, s),
    }
}

/// Go's `underscoreOK`: each `_` follows a digit or a base prefix and is followed by a digit.
fn underscores_ok(s: &[u8]) -> bool {
    let s = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    #[derive(PartialEq)]
    enum Saw {
        Start,
        Digit,
        Underscore,
        Other,
    }
    let (mut saw, hex, rest) = match s {
        [b'0', p, ..] if matches!(p | 0x20, b'b' | b'o' | b'x') => {
            (Saw::Digit, p | 0x20 == b'x', &s[2..])
        }
        _ => (Saw::Start, false, s),
    };
    for &c in rest {
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = Saw::Digit;
        } else if c == b'_' {
            if saw != Saw::Digit {
                return false;
            }
            saw = Saw::Underscore;
        } else if saw == Saw::Underscore {
            return false;
        } else {
            saw = Saw::Other;
        }
    }
    saw != Saw::Underscore
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str) -> Result<i64, String> {
        parse_int(s, 0, 64).map_err(|e| e.to_string())
    }

    fn uint(s: &str) -> Result<u64, String> {
        parse_uint(s, 0, 64).map_err(|e| e.to_string())
    }

    #[test]
    fn documented_examples() {
        // The examples of Go's strconv documentation.
        assert_eq!(parse_int("-354634382", 10, 32), Ok(-354634382));
        assert_eq!(
            parse_int("-354634382", 16, 32).map_err(|e| e.to_string()),
            Err("strconv.ParseInt: parsing \"-354634382\": value out of range".into())
        );
        assert_eq!(
            parse_int("-3546343826724305832", 10, 64),
            Ok(-3546343826724305832)
        );
        assert_eq!(
            parse_int("-3546343826724305832", 16, 64).map_err(|e| e.to_string()),
            Err("strconv.ParseInt: parsing \"-3546343826724305832\": value out of range".into())
        );
        assert_eq!(parse_uint("42", 10, 32), Ok(42));
        assert_eq!(
            parse_uint("-42", 10, 32).map_err(|e| e.to_string()),
            Err("strconv.ParseUint: parsing \"-42\": invalid syntax".into())
        );
    }

    #[test]
    fn base_zero_prefixes() {
        assert_eq!(int("0x1F"), Ok(31));
        assert_eq!(int("0X1f"), Ok(31));
        assert_eq!(int("0o17"), Ok(15));
        assert_eq!(int("0O17"), Ok(15));
        assert_eq!(int("017"), Ok(15));
        assert_eq!(int("0b101"), Ok(5));
        assert_eq!(int("-0b101"), Ok(-5));
        assert_eq!(int("+0x10"), Ok(16));
        assert_eq!(int("0"), Ok(0));
        assert_eq!(int("-0"), Ok(0));
        assert!(int("0x").is_err());
        assert!(int("0b").is_err());
        assert!(int("08").is_err());
        assert!(int("0b2").is_err());
        assert!(int("").is_err());
        assert!(int("-").is_err());
        assert!(int("+-1").is_err());
        assert!(int(" 1").is_err());
        assert!(int("0x+1").is_err());
        // Only base 0 reads prefixes.
        assert!(parse_int("0x10", 16, 64).is_err());
        assert_eq!(parse_int("ff", 16, 64), Ok(255));
        assert_eq!(parse_int("zz", 36, 64), Ok(35 * 36 + 35));
    }

    #[test]
    fn underscores_only_with_base_zero_between_digits() {
        assert_eq!(int("1_000"), Ok(1000));
        assert_eq!(int("-1_000"), Ok(-1000));
        assert_eq!(int("0x_1f"), Ok(31));
        assert_eq!(int("0_17"), Ok(15));
        assert_eq!(int("0b_1_0"), Ok(2));
        for bad in ["_1", "1_", "1__0", "0x1_", "0_", "-_1", "0x__1", "_"] {
            assert_eq!(
                int(bad),
                Err(format!(
                    "strconv.ParseInt: parsing \"{bad}\": invalid syntax"
                )),
                "{bad}"
            );
        }
        assert!(parse_int("1_000", 10, 64).is_err());
    }

    #[test]
    fn ranges_by_bit_size() {
        assert_eq!(int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            int("9223372036854775808"),
            Err("strconv.ParseInt: parsing \"9223372036854775808\": value out of range".into())
        );
        assert!(int("-9223372036854775809").is_err());
        assert_eq!(uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            uint("18446744073709551616"),
            Err("strconv.ParseUint: parsing \"18446744073709551616\": value out of range".into())
        );
        assert_eq!(parse_int("127", 10, 8), Ok(127));
        assert_eq!(parse_int("-128", 10, 8), Ok(-128));
        assert!(parse_int("128", 10, 8).is_err());
        assert_eq!(parse_int("9223372036854775807", 0, 0), Ok(i64::MAX));
        assert_eq!(parse_uint("255", 10, 8), Ok(255));
        assert!(parse_uint("256", 10, 8).is_err());
        // Overflow is found before a later bad digit, as in Go.
        assert_eq!(
            int("99999999999999999999x").map_err(|_| ()),
            parse_int("99999999999999999999", 0, 64).map_err(|_| ())
        );
        assert_eq!(
            uint("99999999999999999999x"),
            Err("strconv.ParseUint: parsing \"99999999999999999999x\": value out of range".into())
        );
    }

    #[test]
    fn bad_base_and_bit_size() {
        assert_eq!(
            parse_int("1", 1, 64).map_err(|e| e.to_string()),
            Err("strconv.ParseInt: parsing \"1\": invalid base 1".into())
        );
        assert_eq!(
            parse_uint("1", 37, 64).map_err(|e| e.to_string()),
            Err("strconv.ParseUint: parsing \"1\": invalid base 37".into())
        );
        assert_eq!(
            parse_int("1", 10, 65).map_err(|e| e.to_string()),
            Err("strconv.ParseInt: parsing \"1\": invalid bit size 65".into())
        );
        // An empty string is a syntax error before the base is looked at.
        assert_eq!(
            parse_uint("", 1, 64).map(|_| ()).map_err(|e| e.kind),
            Err(NumErrorKind::Syntax)
        );
    }
}
