//! Go `time.ParseDuration` syntax (`720h30m`, `1.5s`, `0`), as upstream's duration flags take it,
//! with this flag parser's own messages.

use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DurationError {
    #[error("invalid duration {0:?}")]
    Invalid(String),
    #[error("missing unit in duration {0:?}")]
    MissingUnit(String),
    #[error("unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit { unit: String, input: String },
    #[error("negative duration {0:?}")]
    Negative(String),
}

impl DurationError {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::MissingUnit(_) => "missing_unit",
            Self::UnknownUnit { .. } => "unknown_unit",
            Self::Negative(_) => "negative",
        }
    }
}

/// Parses a Go duration (`gocompat::duration`). Negative values are refused: every duration
/// flag here is a period or a timeout, and a negative one has no useful meaning.
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    use gocompat::duration::DurationError as Go;
    let nanos = gocompat::duration::parse(input).map_err(|e| match e {
        Go::Invalid(s) => DurationError::Invalid(s),
        Go::MissingUnit(s) => DurationError::MissingUnit(s),
        Go::UnknownUnit { unit, input } => DurationError::UnknownUnit { unit, input },
    })?;
    let nanos = u64::try_from(nanos).map_err(|_| DurationError::Negative(input.to_string()))?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_examples() {
        assert_eq!(parse("720h").unwrap(), Duration::from_secs(720 * 3600));
        assert_eq!(
            parse("720h30m").unwrap(),
            Duration::from_secs(720 * 3600 + 1800)
        );
        assert_eq!(parse("87600h").unwrap(), Duration::from_secs(87600 * 3600));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse(".5s").unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse("1h2m3s4ms5us6ns").unwrap(),
            Duration::new(3723, 4_005_006)
        );
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse("+5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse("3µs").unwrap(), Duration::from_micros(3));
    }

    #[test]
    fn rejects_non_go_syntax() {
        for bad in ["", "5", "1d", "h", ".s", "1.h2", "abc", "-1s", "5 s"] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(parse("30d").unwrap_err().name(), "unknown_unit");
        assert_eq!(parse("12").unwrap_err().name(), "missing_unit");
    }
}
