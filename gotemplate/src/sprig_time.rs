//! Sprig's clock functions: `now`, `date` and its zone variants, `toDate`, `dateModify`,
//! `unixEpoch` and `ago`, over Go `time.Time` values.

use std::rc::Rc;

use super::budget;
use super::func::{Func, Ty, a, s};
use super::gotime::{GoTime, Loc};
use super::gotime_layout::parse;
use super::sprig_duration::{format_duration, parse_duration};
use super::value::Value;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "now" => Func::new(&[], |_| Ok(time(GoTime::now()))),
        "date" => Func::new(&[Str, Any], |v| date_in_zone(&s(&v, 0), &a(&v, 1), "Local")),
        "dateInZone" | "date_in_zone" => Func::new(&[Str, Any, Str], |v| {
            date_in_zone(&s(&v, 0), &a(&v, 1), &s(&v, 2))
        }),
        "htmlDate" => Func::new(&[Any], |v| date_in_zone("2006-01-02", &a(&v, 0), "Local")),
        "htmlDateInZone" => Func::new(&[Any, Str], |v| {
            date_in_zone("2006-01-02", &a(&v, 0), &s(&v, 1))
        }),
        "dateModify" | "date_modify" => Func::new(&[Str, Time], |v| {
            let t = arg_time(&v, 1);
            Ok(match parse_duration(&s(&v, 0)) {
                Some(d) => time(t.add(d)),
                None => time(t),
            })
        }),
        "mustDateModify" | "must_date_modify" => Func::new(&[Str, Time], |v| {
            // Go quotes the duration text; it may come from a secret, so it is left out.
            match parse_duration(&s(&v, 0)) {
                Some(d) => Ok(time(arg_time(&v, 1).add(d))),
                None => Err("time: invalid duration".into()),
            }
        }),
        "toDate" => Func::new(&[Str, Str], |v| {
            Ok(time(
                parse(&s(&v, 0), &s(&v, 1)).unwrap_or_else(|_| GoTime::zero()),
            ))
        }),
        "mustToDate" => Func::new(&[Str, Str], |v| parse(&s(&v, 0), &s(&v, 1)).map(time)),
        "unixEpoch" => Func::new(&[Time], |v| {
            Ok(Value::str(arg_time(&v, 0).secs.to_string()))
        }),
        "ago" => Func::new(&[Any], |v| {
            let t = match a(&v, 0) {
                Value::Time(t) => (*t).clone(),
                Value::Int(n) | Value::Int64(n) => GoTime::unix(n),
                _ => GoTime::now(),
            };
            Ok(Value::str(format_duration(round_second(t.since()))))
        }),
        _ => return None,
    })
}

fn time(t: GoTime) -> Value {
    Value::Time(Rc::new(t))
}

fn arg_time(v: &[Value], i: usize) -> GoTime {
    match v.get(i) {
        Some(Value::Time(t)) => (**t).clone(),
        _ => GoTime::zero(),
    }
}

/// Sprig's `dateInZone`: other types than times and ints format the current time, and an
/// unknown zone falls back to UTC.
fn date_in_zone(layout: &str, date: &Value, zone: &str) -> Result<Value, String> {
    let t = match date {
        Value::Time(t) => (**t).clone(),
        Value::Int(n) | Value::Int64(n) => GoTime::unix(*n),
        _ => GoTime::now(),
    };
    let loc = Loc::load(zone).unwrap_or(Loc::Utc);
    // Each layout byte formats to at most a few bytes ("1" to "12", "Jan" to a month name,
    // ".0" to ten digits): charge the bound before formatting.
    budget::fits(layout.len() as u64 * 5 + 64)?;
    Ok(Value::str(t.in_loc(loc).format(layout)))
}

/// Go's `Duration.Round(time.Second)`, saturating.
fn round_second(d: i64) -> i64 {
    const M: i64 = 1_000_000_000;
    let r = d % M;
    if d < 0 {
        let r = -r;
        if r + r < M {
            return d + r;
        }
        return d.checked_sub(M - r).unwrap_or(i64::MIN);
    }
    if r + r < M {
        return d - r;
    }
    d.checked_add(M - r).unwrap_or(i64::MAX)
}
