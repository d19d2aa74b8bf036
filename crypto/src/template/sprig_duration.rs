//! Sprig's `duration` and `durationRound`, with Go's `time.Duration` parsing and printing.
//! Both take `interface {}` and look only at the types sprig switches on: `duration` reads a
//! `string` (decimal seconds) or an `int64`, `durationRound` a `string` (`time.ParseDuration`)
//! or an `int64` (nanoseconds); anything else, a plain `int` included, counts as zero.

use super::func::{Func, Ty, a};
use super::sprig_data::atoi;
use super::value::Value;

const SECOND: u64 = gocompat::duration::SECOND as u64;

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
    gocompat::duration::parse(orig).ok()
}

pub use gocompat::duration::format as format_duration;

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
    fn rounds_like_sprig() {
        assert_eq!(round_duration(parse_duration("2000h").unwrap_or(0)), "2mo");
        assert_eq!(round_duration(parse_duration("8760h").unwrap_or(0)), "12mo");
        assert_eq!(round_duration(-90 * SECOND as i64), "1m");
        assert_eq!(round_duration(0), "0s");
        assert_eq!(atoi("99999999999999999999"), i64::MAX);
    }
}
