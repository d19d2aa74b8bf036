//! Go's time layouts ("2006-01-02 15:04:05"): splitting into chunks, formatting and parsing
//! with `time.Format` / `time.ParseInLocation` rules.

use super::gotime::{Civil, GoTime, Loc, days_in};
use super::gotime_error;

// Printing lives here, beside the layout rules, so that `gotime` needs nothing from this module.
impl GoTime {
    /// `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let (c, off, name) = self.civil();
        let mut out = String::with_capacity(layout.len() + 10);
        let mut rest = layout;
        loop {
            let (prefix, chunk, suffix) = next_chunk(rest);
            out.push_str(prefix);
            let Some(chunk) = chunk else { break };
            append(&mut out, chunk, &c, self.nsec, off, &name);
            rest = suffix;
        }
        out
    }

    /// `t.String()`.
    pub fn go_string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.unsigned_abs();
            s.push_str(&format!(
                " m={sign}{}.{:09}",
                m / 1_000_000_000,
                m % 1_000_000_000
            ));
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Tz,
    /// Numeric offset: ISO ('Z' for UTC), colons, with seconds, hours only.
    Offset {
        iso: bool,
        colon: bool,
        secs: bool,
        short: bool,
    },
    /// Fractional seconds: separator, digit count, trailing zeros trimmed ('9').
    Frac {
        sep: char,
        digits: usize,
        trim: bool,
    },
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn digit_at(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk`: text before the first chunk, the chunk, and the rest.
pub fn next_chunk(layout: &str) -> (&str, Option<Chunk>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    for i in 0..b.len() {
        let hit = |len: usize, c: Chunk| Some((len, c));
        let found = match b[i] {
            b'J' if at(i, "January") => hit(7, Chunk::LongMonth),
            b'J' if at(i, "Jan") => hit(3, Chunk::Month),
            b'M' if at(i, "Monday") => hit(6, Chunk::LongWeekDay),
            b'M' if at(i, "Mon") => hit(3, Chunk::WeekDay),
            b'M' if at(i, "MST") => hit(3, Chunk::Tz),
            b'0' if matches!(b.get(i + 1), Some(b'1'..=b'6')) => hit(
                2,
                [
                    Chunk::ZeroMonth,
                    Chunk::ZeroDay,
                    Chunk::ZeroHour12,
                    Chunk::ZeroMinute,
                    Chunk::ZeroSecond,
                    Chunk::Year,
                ][usize::from(b[i + 1] - b'1')],
            ),
            b'0' if at(i, "002") => hit(3, Chunk::ZeroYearDay),
            b'1' if at(i, "15") => hit(2, Chunk::Hour),
            b'1' => hit(1, Chunk::NumMonth),
            b'2' if at(i, "2006") => hit(4, Chunk::LongYear),
            b'2' => hit(1, Chunk::Day),
            b'_' if at(i, "_2006") => {
                // "_" stays literal text before the year.
                return (&layout[..i + 1], Some(Chunk::LongYear), &layout[i + 5..]);
            }
            b'_' if at(i, "_2") => hit(2, Chunk::UnderDay),
            b'_' if at(i, "__2") => hit(3, Chunk::UnderYearDay),
            b'3' => hit(1, Chunk::Hour12),
            b'4' => hit(1, Chunk::Minute),
            b'5' => hit(1, Chunk::Second),
            b'P' if at(i, "PM") => hit(2, Chunk::Pm),
            b'p' if at(i, "pm") => hit(2, Chunk::PmLower),
            c @ (b'-' | b'Z') => {
                let iso = c == b'Z';
                let off = |colon, secs, short| Chunk::Offset {
                    iso,
                    colon,
                    secs,
                    short,
                };
                if at(i + 1, "070000") {
                    hit(7, off(false, true, false))
                } else if at(i + 1, "07:00:00") {
                    hit(9, off(true, true, false))
                } else if at(i + 1, "0700") {
                    hit(5, off(false, false, false))
                } else if at(i + 1, "07:00") {
                    hit(6, off(true, false, false))
                } else if at(i + 1, "07") {
                    hit(3, off(false, false, true))
                } else {
                    None
                }
            }
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while b.get(j) == Some(&ch) {
                    j += 1;
                }
                if digit_at(b, j) {
                    None
                } else {
                    hit(
                        j - i,
                        Chunk::Frac {
                            sep: char::from(c),
                            digits: j - i - 1,
                            trim: ch == b'9',
                        },
                    )
                }
            }
            _ => None,
        };
        if let Some((len, chunk)) = found {
            return (&layout[..i], Some(chunk), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

fn pad(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", n.unsigned_abs()));
}

/// Appends one chunk of `Time.Format`.
pub fn append(out: &mut String, chunk: Chunk, c: &Civil, nsec: u32, off: i32, name: &str) {
    match chunk {
        Chunk::Year => pad(out, c.year.abs() % 100, 2),
        Chunk::LongYear => pad(out, c.year, 4),
        Chunk::Month => out.push_str(&LONG_MONTHS[c.month as usize - 1][..3]),
        Chunk::LongMonth => out.push_str(LONG_MONTHS[c.month as usize - 1]),
        Chunk::NumMonth => pad(out, i64::from(c.month), 0),
        Chunk::ZeroMonth => pad(out, i64::from(c.month), 2),
        Chunk::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
        Chunk::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
        Chunk::Day => pad(out, i64::from(c.day), 0),
        Chunk::UnderDay => {
            if c.day < 10 {
                out.push(' ');
            }
            pad(out, i64::from(c.day), 0)
        }
        Chunk::ZeroDay => pad(out, i64::from(c.day), 2),
        Chunk::UnderYearDay => out.push_str(&format!("{:>3}", c.yday)),
        Chunk::ZeroYearDay => pad(out, i64::from(c.yday), 3),
        Chunk::Hour => pad(out, i64::from(c.hour), 2),
        Chunk::Hour12 | Chunk::ZeroHour12 => {
            let h = match c.hour % 12 {
                0 => 12,
                h => h,
            };
            pad(
                out,
                i64::from(h),
                if chunk == Chunk::Hour12 { 0 } else { 2 },
            )
        }
        Chunk::Minute => pad(out, i64::from(c.min), 0),
        Chunk::ZeroMinute => pad(out, i64::from(c.min), 2),
        Chunk::Second => pad(out, i64::from(c.sec), 0),
        Chunk::ZeroSecond => pad(out, i64::from(c.sec), 2),
        Chunk::Pm => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
        Chunk::PmLower => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
        Chunk::Offset {
            iso,
            colon,
            secs,
            short,
        } => {
            if off == 0 && iso {
                out.push('Z');
                return;
            }
            let zone = off / 60;
            out.push(if zone < 0 { '-' } else { '+' });
            let (zone, abs) = (zone.abs(), off.abs());
            pad(out, i64::from(zone / 60), 2);
            if colon {
                out.push(':');
            }
            if !short {
                pad(out, i64::from(zone % 60), 2);
            }
            if secs {
                if colon {
                    out.push(':');
                }
                pad(out, i64::from(abs % 60), 2);
            }
        }
        Chunk::Tz => {
            if !name.is_empty() {
                out.push_str(name);
            } else {
                let zone = off / 60;
                out.push(if zone < 0 { '-' } else { '+' });
                pad(out, i64::from(zone.abs() / 60), 2);
                pad(out, i64::from(zone.abs() % 60), 2);
            }
        }
        Chunk::Frac { sep, digits, trim } => {
            let all = format!("{nsec:09}");
            let mut frac = &all[..digits.min(9)];
            if trim {
                frac = frac.trim_end_matches('0');
                if frac.is_empty() {
                    return;
                }
            }
            out.push(sep);
            out.push_str(frac);
        }
    }
}

/// Go's `skip`: the value must start with the layout's literal text (runs of spaces match
/// runs of spaces). `Err` holds what is left of the value where it stopped matching.
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Result<&'v str, &'v str> {
    while let Some(p) = prefix.as_bytes().first() {
        if *p == b' ' {
            if value.as_bytes().first().is_some_and(|c| *c != b' ') {
                return Err(value);
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.as_bytes().first() != Some(p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

/// Go's `getnum`: one or two digits (two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !digit_at(b, 0) {
        return None;
    }
    if !digit_at(b, 1) {
        return (!fixed).then(|| (i64::from(b[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &s[2..],
    ))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let (mut n, mut i) = (0i64, 0);
    while i < 3 && digit_at(b, i) {
        n = n * 10 + i64::from(b[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

fn lookup_name<'v>(names: &[&str], value: &'v str, short: bool) -> Option<(i64, &'v str)> {
    for (i, name) in names.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if value.len() >= name.len()
            && value.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some((i as i64, &value[name.len()..]));
        }
    }
    None
}

/// Go's `parseNanoseconds` over `value[..n]` (separator included).
fn nanos(value: &str, n: usize) -> Option<u32> {
    let b = value.as_bytes();
    if !matches!(b.first(), Some(b'.' | b',')) {
        return None;
    }
    let n = n.min(10);
    let digits = value.get(1..n)?;
    let ns: u32 = digits.parse().ok()?;
    Some(ns * 10u32.pow((10 - n) as u32))
}

/// Go's `parseTimeZone` (the length of a zone abbreviation at the start of `value`).
fn zone_len(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        return Some(3);
    }
    let upper = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    match upper {
        3 => Some(3),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        5 if b[4] == b'T' => Some(5),
        _ => None,
    }
}

/// Why one layout element failed: Go's `errBad` or a named field out of range.
enum Fail {
    Bad,
    Range(&'static str),
}

/// `time.ParseInLocation(layout, value, time.Local)`; `Err` is Go's `ParseError` text.
pub fn parse(layout_all: &str, value_all: &str) -> Result<GoTime, String> {
    let bad = || Fail::Bad;
    let (mut layout, mut value) = (layout_all, value_all);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0u32);
    let (mut pm, mut am) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i32> = None;
    let mut zone_name = String::new();
    loop {
        let (prefix, chunk, suffix) = next_chunk(layout);
        value = skip(value, prefix)
            .map_err(|rest| gotime_error::cannot_parse(layout_all, value_all, prefix, rest))?;
        let Some(chunk) = chunk else {
            if !value.is_empty() {
                let extra = format!(": extra text: {}", gotime_error::quote(value));
                return Err(gotime_error::with_message(value_all, &extra));
            }
            break;
        };
        let element = &layout[prefix.len()..layout.len() - suffix.len()];
        layout = suffix;
        let hold = value;
        let range = |n: i64, lo: i64, hi: i64, what: &'static str| {
            (lo..=hi).contains(&n).then_some(n).ok_or(Fail::Range(what))
        };
        // A closure so that `?` ends only this element: Go words the failure with the
        // layout element and the value where the element began.
        #[allow(clippy::redundant_closure_call)]
        let outcome = (|| -> Result<(), Fail> {
            match chunk {
                Chunk::Year => {
                    let p = value.get(..2).ok_or_else(bad)?;
                    let y: i64 = p.parse().map_err(|_| bad())?;
                    year = if y >= 69 { y + 1900 } else { y + 2000 };
                    value = &value[2..];
                }
                Chunk::LongYear => {
                    if value.len() < 4 || !digit_at(value.as_bytes(), 0) {
                        return Err(bad());
                    }
                    year = value[..4].parse().map_err(|_| bad())?;
                    value = &value[4..];
                }
                Chunk::Month | Chunk::LongMonth => {
                    let (m, rest) =
                        lookup_name(&LONG_MONTHS, value, chunk == Chunk::Month).ok_or_else(bad)?;
                    month = m + 1;
                    value = rest;
                }
                Chunk::NumMonth | Chunk::ZeroMonth => {
                    let (m, rest) = getnum(value, chunk == Chunk::ZeroMonth).ok_or_else(bad)?;
                    month = m;
                    range(m, 1, 12, "month")?;
                    value = rest;
                }
                Chunk::WeekDay | Chunk::LongWeekDay => {
                    value = lookup_name(&LONG_DAYS, value, chunk == Chunk::WeekDay)
                        .ok_or_else(bad)?
                        .1;
                }
                Chunk::Day | Chunk::UnderDay | Chunk::ZeroDay => {
                    if chunk == Chunk::UnderDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                    let (d, rest) = getnum(value, chunk == Chunk::ZeroDay).ok_or_else(bad)?;
                    day = d;
                    value = rest;
                }
                Chunk::UnderYearDay | Chunk::ZeroYearDay => {
                    for _ in 0..2 {
                        if chunk == Chunk::UnderYearDay && value.starts_with(' ') {
                            value = &value[1..];
                        }
                    }
                    let (d, rest) = getnum3(value, chunk == Chunk::ZeroYearDay).ok_or_else(bad)?;
                    yday = d;
                    value = rest;
                }
                Chunk::Hour => {
                    let (h, rest) = getnum(value, false).ok_or_else(bad)?;
                    hour = h;
                    range(h, 0, 23, "hour")?;
                    value = rest;
                }
                Chunk::Hour12 | Chunk::ZeroHour12 => {
                    let (h, rest) = getnum(value, chunk == Chunk::ZeroHour12).ok_or_else(bad)?;
                    hour = h;
                    range(h, 0, 12, "hour")?;
                    value = rest;
                }
                Chunk::Minute | Chunk::ZeroMinute => {
                    let (m, rest) = getnum(value, chunk == Chunk::ZeroMinute).ok_or_else(bad)?;
                    min = m;
                    range(m, 0, 59, "minute")?;
                    value = rest;
                }
                Chunk::Second | Chunk::ZeroSecond => {
                    let (s, rest) = getnum(value, chunk == Chunk::ZeroSecond).ok_or_else(bad)?;
                    sec = s;
                    range(s, 0, 59, "second")?;
                    value = rest;
                    // A fraction in the value that the layout does not spell out.
                    let b = value.as_bytes();
                    if b.len() >= 2
                        && matches!(b[0], b'.' | b',')
                        && digit_at(b, 1)
                        && !matches!(next_chunk(layout).1, Some(Chunk::Frac { .. }))
                    {
                        let mut n = 2;
                        while digit_at(b, n) {
                            n += 1;
                        }
                        nsec = nanos(value, n).ok_or_else(bad)?;
                        value = &value[n..];
                    }
                }
                Chunk::Pm | Chunk::PmLower => {
                    let p = value.get(..2).ok_or_else(bad)?;
                    let (pm_text, am_text) = if chunk == Chunk::Pm {
                        ("PM", "AM")
                    } else {
                        ("pm", "am")
                    };
                    if p == pm_text {
                        pm = true;
                    } else if p == am_text {
                        am = true;
                    } else {
                        return Err(bad());
                    }
                    value = &value[2..];
                }
                Chunk::Offset {
                    iso,
                    colon,
                    secs,
                    short,
                } => {
                    if iso && value.starts_with('Z') {
                        value = &value[1..];
                        utc = true;
                        return Ok(());
                    }
                    let b = value.as_bytes();
                    let (need, h, m, s) = match (colon, secs, short) {
                        (true, false, _) => (6, 1..3, Some(4..6), None),
                        (_, _, true) => (3, 1..3, None, None),
                        (true, true, _) => (9, 1..3, Some(4..6), Some(7..9)),
                        (false, true, _) => (7, 1..3, Some(3..5), Some(5..7)),
                        (false, false, false) => (5, 1..3, Some(3..5), None),
                    };
                    if b.len() < need || (colon && (b[3] != b':' || (secs && b[6] != b':'))) {
                        return Err(bad());
                    }
                    // As Go: a field that is not two digits is `errBad`, but only after the
                    // fields read before it were range-checked, and before the sign.
                    let num = |r: Option<std::ops::Range<usize>>| match r {
                        Some(r) => value
                            .get(r)
                            .and_then(|p| getnum(p, true))
                            .map(|x| x.0)
                            .ok_or(()),
                        None => Ok(0),
                    };
                    let hr = num(Some(h));
                    let mm = hr.and_then(|_| num(m));
                    let ss = mm.and_then(|_| num(s));
                    let (hv, mv, sv) = (hr.unwrap_or(0), mm.unwrap_or(0), ss.unwrap_or(0));
                    if sv > 60 {
                        return Err(Fail::Range("time zone offset second"));
                    }
                    if mv > 60 {
                        return Err(Fail::Range("time zone offset minute"));
                    }
                    if hv > 24 {
                        return Err(Fail::Range("time zone offset hour"));
                    }
                    if ss.is_err() {
                        return Err(bad());
                    }
                    let off = ((hv * 60 + mv) * 60 + sv) as i32;
                    zone_offset = Some(match b[0] {
                        b'+' => off,
                        b'-' => -off,
                        _ => return Err(bad()),
                    });
                    value = &value[need..];
                }
                Chunk::Tz => {
                    if value.starts_with("UTC") {
                        utc = true;
                        value = &value[3..];
                        return Ok(());
                    }
                    let n = zone_len(value).ok_or_else(bad)?;
                    zone_name = value[..n].to_string();
                    value = &value[n..];
                }
                Chunk::Frac { digits, trim, .. } => {
                    if !trim {
                        let n = digits + 1;
                        if value.len() < n {
                            return Err(bad());
                        }
                        nsec = nanos(value, n).ok_or_else(bad)?;
                        value = &value[n..];
                    } else {
                        let b = value.as_bytes();
                        if b.len() < 2 || !matches!(b[0], b'.' | b',') || !digit_at(b, 1) {
                            return Ok(());
                        }
                        let mut i = 0;
                        while digit_at(b, i + 1) {
                            i += 1;
                        }
                        nsec = nanos(value, 1 + i).ok_or_else(bad)?;
                        value = &value[1 + i..];
                    }
                }
            }
            Ok(())
        })();
        match outcome {
            Ok(()) => {}
            Err(Fail::Range(what)) => {
                let message = format!(": {what} out of range");
                return Err(gotime_error::with_message(value_all, &message));
            }
            Err(Fail::Bad) => {
                return Err(gotime_error::cannot_parse(
                    layout_all, value_all, element, hold,
                ));
            }
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let last = if super::gotime::is_leap(year) {
            366
        } else {
            365
        };
        if yday < 1 || yday > last {
            return Err(gotime_error::with_message(
                value_all,
                ": day-of-year out of range",
            ));
        }
        let mut m = 1u32;
        let mut d = yday;
        while d > i64::from(days_in(m, year)) {
            d -= i64::from(days_in(m, year));
            m += 1;
        }
        if month >= 0 && month != i64::from(m) {
            return Err(gotime_error::with_message(
                value_all,
                ": day-of-year does not match month",
            ));
        }
        if day >= 0 && day != d {
            return Err(gotime_error::with_message(
                value_all,
                ": day-of-year does not match day",
            ));
        }
        month = i64::from(m);
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > i64::from(days_in(month as u32, year)) {
        return Err(gotime_error::with_message(value_all, ": day out of range"));
    }
    let fields = [year, month, day, hour, min, sec];
    if utc {
        return Ok(GoTime::from_civil(fields, nsec, Loc::Utc));
    }
    if let Some(off) = zone_offset {
        // The local zone (UTC) when its offset and name match, else a zone recording the offset.
        let loc = if off == 0 && (zone_name.is_empty() || zone_name == "UTC") {
            Loc::Local
        } else {
            Loc::Fixed(zone_name, off)
        };
        return Ok(GoTime::from_civil(fields, nsec, loc));
    }
    if !zone_name.is_empty() {
        let mut off = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            off = zone_name[3..].parse::<i32>().unwrap_or(0) * 3600;
        }
        let t = GoTime::from_civil(fields, nsec, Loc::Utc);
        return Ok(GoTime {
            secs: t.secs - i64::from(off),
            loc: Loc::Fixed(zone_name, off),
            ..t
        });
    }
    Ok(GoTime::from_civil(fields, nsec, Loc::Local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(layout: &str, value: &str) -> String {
        parse(layout, value).map_or_else(|e| e, |t| t.go_string())
    }

    #[test]
    fn parse_as_go_does() {
        assert_eq!(
            parsed("2006-01-02T15:04:05Z07:00", "2023-11-14T22:13:20+02:00"),
            "2023-11-14 22:13:20 +0200 +0200"
        );
        assert_eq!(
            parsed("2006-01-02T15:04:05.000Z", "1999-12-31T23:59:59.999Z"),
            "1999-12-31 23:59:59.999 +0000 UTC"
        );
        assert_eq!(
            parsed("15:04:05.999999999", "01:02:03.5"),
            "0000-01-01 01:02:03.5 +0000 UTC"
        );
        assert!(parse("2006-01-02", "2020-02-30").is_err());
        assert!(parse("2006-01-02", "2024-02-29x").is_err());
        assert!(parse("2006-002 PM", "2024-060 AM").is_ok());
        // Go's ParseError texts.
        for (layout, value, want) in [
            (
                "2006-01-02",
                "raw\\n",
                r#"parsing time "raw\\n" as "2006-01-02": cannot parse "raw\\n" as "2006""#,
            ),
            (
                "2006-01-02",
                "2024/01/02",
                r#"parsing time "2024/01/02" as "2006-01-02": cannot parse "/01/02" as "-""#,
            ),
            (
                "2006-01-02",
                "2024-01-02x",
                r#"parsing time "2024-01-02x": extra text: "x""#,
            ),
            (
                "2006-01-02",
                "2024-13-02",
                r#"parsing time "2024-13-02": month out of range"#,
            ),
            (
                "2006-01-02",
                "2023-02-29",
                r#"parsing time "2023-02-29": day out of range"#,
            ),
            (
                "15:04",
                "24:00",
                r#"parsing time "24:00": hour out of range"#,
            ),
            (
                "2006-002",
                "2023-366",
                r#"parsing time "2023-366": day-of-year out of range"#,
            ),
            (
                "2006-01-002",
                "2024-02-001",
                r#"parsing time "2024-02-001": day-of-year does not match month"#,
            ),
            (
                "Z07:00",
                "+25:00",
                r#"parsing time "+25:00": time zone offset hour out of range"#,
            ),
        ] {
            assert_eq!(parsed(layout, value), want, "{layout} {value}");
        }
    }

    #[test]
    fn format_in_zones() {
        let t = GoTime::unix(1_700_000_000);
        let berlin = Loc::load("Europe/Berlin").map(|l| t.in_loc(l));
        assert_eq!(
            berlin.map(|t| t.format("Jan 2, 2006 at 3:04pm (MST) -07:00")),
            Some("Nov 14, 2023 at 11:13pm (CET) +01:00".to_string())
        );
        assert_eq!(
            t.format("Monday 02/01/06 __2 .000"),
            "Tuesday 14/11/23 318 .000"
        );
        assert!(Loc::load("Nowhere/Zone").is_none());
    }
}
