//! When to make a new key (upstream `initKeyRenewal`, `ScheduleJobWithTrigger`), as pure functions.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// Go's `time.RFC1123Z`: `Mon, 02 Jan 2006 15:04:05 -0700` (what `date -R` prints).
const RFC1123Z: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
);

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error(
    "cannot parse --key-cutoff-time {value:?} as RFC1123Z (\"Mon, 02 Jan 2006 15:04:05 -0700\"): {reason}"
)]
pub struct CutoffError {
    pub value: String,
    pub reason: String,
}

impl CutoffError {
    pub fn name(&self) -> &'static str {
        "bad_cutoff_time"
    }
}

/// `--key-cutoff-time`; empty means none.
pub fn parse_cutoff(value: &str) -> Result<Option<OffsetDateTime>, CutoffError> {
    if value.is_empty() {
        return Ok(None);
    }
    OffsetDateTime::parse(value, RFC1123Z)
        .map(Some)
        .map_err(|e| CutoffError {
            value: value.to_string(),
            reason: e.to_string(),
        })
}

/// A key is generated at startup when there is none or the newest is older than the cutoff.
pub fn needs_key_at_start(
    most_recent: Option<OffsetDateTime>,
    cutoff: Option<OffsetDateTime>,
) -> bool {
    match (most_recent, cutoff) {
        (None, _) => true,
        (Some(t), Some(c)) => t < c,
        (Some(_), None) => false,
    }
}

/// Delay before the first automatic renewal: `max(0, period − age)`; `None` when disabled.
pub fn first_delay(
    period: Duration,
    most_recent: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<Duration> {
    if period.is_zero() {
        return None;
    }
    let age = most_recent.map(|t| now - t).unwrap_or(time::Duration::ZERO);
    let age = if age.is_negative() {
        Duration::ZERO
    } else {
        age.unsigned_abs()
    };
    Some(period.saturating_sub(age))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cutoff_parses_date_r_output() {
        let t = parse_cutoff("Tue, 25 Nov 2025 15:04:05 +0100")
            .unwrap()
            .unwrap();
        assert_eq!(t, datetime!(2025-11-25 14:04:05 UTC));
        assert_eq!(parse_cutoff("").unwrap(), None);
        assert!(parse_cutoff("2025-11-25").is_err());
    }

    #[test]
    fn startup_generation() {
        let t = datetime!(2025-01-01 0:00 UTC);
        assert!(needs_key_at_start(None, None));
        assert!(!needs_key_at_start(Some(t), None));
        assert!(needs_key_at_start(
            Some(t),
            Some(datetime!(2025-06-01 0:00 UTC))
        ));
        assert!(!needs_key_at_start(
            Some(t),
            Some(datetime!(2024-06-01 0:00 UTC))
        ));
    }

    #[test]
    fn first_renewal_delay() {
        let now = datetime!(2025-01-31 0:00 UTC);
        let day = Duration::from_secs(86400);
        assert_eq!(first_delay(Duration::ZERO, Some(now), now), None);
        assert_eq!(
            first_delay(30 * day, Some(datetime!(2025-01-11 0:00 UTC)), now),
            Some(10 * day)
        );
        assert_eq!(
            first_delay(30 * day, Some(datetime!(2024-01-01 0:00 UTC)), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            first_delay(30 * day, Some(datetime!(2025-02-10 0:00 UTC)), now),
            Some(30 * day)
        );
    }
}
