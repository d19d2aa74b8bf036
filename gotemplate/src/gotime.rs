//! Go's `time.Time` as templates see it: an instant (seconds and nanoseconds since the Unix
//! epoch), a location, and a monotonic reading when it came from the clock. The process's
//! `Local` zone is UTC, as in the controller's image.

use std::sync::OnceLock;
use std::time::Instant;

const DAY: i64 = 86_400;

/// A `*time.Location`.
#[derive(Debug, Clone)]
pub enum Loc {
    Utc,
    Local,
    /// `time.FixedZone(name, offset)`.
    Fixed(String, i32),
    /// A zone loaded from the tz database.
    Zone(jiff::tz::TimeZone),
}

impl Loc {
    /// Go's `time.LoadLocation`; `None` where Go fails.
    pub fn load(name: &str) -> Option<Loc> {
        match name {
            "" | "UTC" => Some(Loc::Utc),
            "Local" => Some(Loc::Local),
            _ => jiff::tz::TimeZone::get(name).ok().map(Loc::Zone),
        }
    }

    /// Offset east of UTC in seconds and the zone's abbreviation at the instant `secs`.
    fn lookup(&self, secs: i64) -> (i32, String) {
        match self {
            Loc::Utc | Loc::Local => (0, "UTC".into()),
            Loc::Fixed(name, off) => (*off, name.clone()),
            Loc::Zone(tz) => match jiff::Timestamp::new(secs, 0) {
                Ok(ts) => {
                    let info = tz.to_offset_info(ts);
                    (info.offset().seconds(), info.abbreviation().to_string())
                }
                Err(_) => (0, "UTC".into()),
            },
        }
    }
}

/// A `time.Time`.
#[derive(Debug, Clone)]
pub struct GoTime {
    pub secs: i64,
    pub nsec: u32,
    pub loc: Loc,
    /// Nanoseconds since the process's clock origin, for values made by `now`.
    pub mono: Option<i64>,
}

fn clock_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// The civil fields of an instant in a zone.
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub yday: u32,
    pub weekday: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
}

impl GoTime {
    /// Go's zero `time.Time{}`: January 1, year 1, 00:00:00 UTC.
    pub fn zero() -> GoTime {
        GoTime {
            secs: days_from_civil(1, 1, 1) * DAY,
            nsec: 0,
            loc: Loc::Utc,
            mono: None,
        }
    }

    /// `time.Now()`, in `Local`.
    pub fn now() -> GoTime {
        let origin = clock_origin();
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mono = i64::try_from(origin.elapsed().as_nanos()).unwrap_or(i64::MAX);
        GoTime {
            secs: i64::try_from(wall.as_secs()).unwrap_or(i64::MAX),
            nsec: wall.subsec_nanos(),
            loc: Loc::Local,
            mono: Some(mono.max(1)),
        }
    }

    /// `time.Unix(secs, 0)` (in `Local`).
    pub fn unix(secs: i64) -> GoTime {
        GoTime {
            secs,
            nsec: 0,
            loc: Loc::Local,
            mono: None,
        }
    }

    /// `t.Sub(u)`-style nanoseconds between the instants, saturated as Go does.
    pub fn since(&self) -> i64 {
        let now = GoTime::now();
        let ds = i128::from(now.secs) - i128::from(self.secs);
        let dn = i128::from(now.nsec) - i128::from(self.nsec);
        let d = ds * 1_000_000_000 + dn;
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        let total = i128::from(self.nsec) + i128::from(d % 1_000_000_000);
        let mut secs = self.secs.wrapping_add(d / 1_000_000_000);
        let mut nsec = total;
        if nsec < 0 {
            nsec += 1_000_000_000;
            secs = secs.wrapping_sub(1);
        } else if nsec >= 1_000_000_000 {
            nsec -= 1_000_000_000;
            secs = secs.wrapping_add(1);
        }
        GoTime {
            secs,
            nsec: nsec as u32,
            loc: self.loc.clone(),
            mono: self.mono.map(|m| m.wrapping_add(d)),
        }
    }

    /// `t.In(loc)`.
    pub fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            loc,
            ..self.clone()
        }
    }

    /// Civil fields, offset and abbreviation in the time's own location.
    pub fn civil(&self) -> (Civil, i32, String) {
        let (off, name) = self.loc.lookup(self.secs);
        let local = self.secs + i64::from(off);
        let days = local.div_euclid(DAY);
        let rem = local.rem_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        let yday = (days - days_from_civil(year, 1, 1) + 1) as u32;
        let civil = Civil {
            year,
            month,
            day,
            yday,
            weekday: (days + 4).rem_euclid(7) as u32,
            hour: (rem / 3600) as u32,
            min: (rem % 3600 / 60) as u32,
            sec: (rem % 60) as u32,
        };
        (civil, off, name)
    }

    /// `time.Date(...)` for fields already in range, in `loc` (UTC or a fixed offset).
    pub fn from_civil(fields: [i64; 6], nsec: u32, loc: Loc) -> GoTime {
        let [year, month, day, hour, min, sec] = fields;
        let local =
            days_from_civil(year, month as u32, day as u32) * DAY + hour * 3600 + min * 60 + sec;
        let off = match &loc {
            Loc::Fixed(_, off) => i64::from(*off),
            _ => 0,
        };
        GoTime {
            secs: local - off,
            nsec,
            loc,
            mono: None,
        }
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_162, -1, 0, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(GoTime::zero().go_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            GoTime::unix(1_700_000_000).format("Mon Jan _2 15:04:05 2006"),
            "Tue Nov 14 22:13:20 2023"
        );
    }
}
