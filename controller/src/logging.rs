//! Tracing setup as upstream's slog setup: text or JSON, the level from `--log-level`, and with
//! `--log-info-stdout` (the default since upstream v0.36.2) INFO and below on stdout, WARN and
//! ERROR on stderr; without it everything goes to stderr. Lines are in slog's text or JSON shape
//! (`slog_format`).

use tracing::Level;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::slog_format::SlogFormat;

/// slog's numeric levels: a record is logged when its level is at least the minimum.
const SLOG_DEBUG: i64 = -4;
const SLOG_INFO: i64 = 0;
const SLOG_WARN: i64 = 4;
const SLOG_ERROR: i64 = 8;

/// Go `slog.Level.UnmarshalText`: `DEBUG`, `INFO`, `WARN` or `ERROR` in any case, optionally
/// followed by a signed offset (`INFO+2`, `error-1`). `None` for anything else, which upstream
/// ignores (the level stays INFO).
pub fn parse_slog_level(s: &str) -> Option<i64> {
    let (name, offset) = match s.find(['+', '-']) {
        Some(i) => (&s[..i], s[i..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let base = match name.to_ascii_uppercase().as_str() {
        "DEBUG" => SLOG_DEBUG,
        "INFO" => SLOG_INFO,
        "WARN" => SLOG_WARN,
        "ERROR" => SLOG_ERROR,
        _ => return None,
    };
    base.checked_add(offset)
}

/// The tracing filter that lets through the same records as slog's minimum `level`.
pub fn filter_for(level: i64) -> LevelFilter {
    match level {
        l if l <= SLOG_DEBUG => LevelFilter::DEBUG,
        l if l <= SLOG_INFO => LevelFilter::INFO,
        l if l <= SLOG_WARN => LevelFilter::WARN,
        l if l <= SLOG_ERROR => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// `--log-level` as a filter; invalid values mean INFO, as upstream.
pub fn parse_level(s: &str) -> LevelFilter {
    filter_for(parse_slog_level(s).unwrap_or(SLOG_INFO))
}

/// Upstream compares `--log-format` with `json` exactly; every other value is text.
pub fn is_json(format: &str) -> bool {
    format == "json"
}

/// Installs the global subscriber. Called once from `main`.
pub fn init(level: &str, format: &str, info_to_stdout: bool) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(parse_level(level))
        .event_format(SlogFormat {
            json: is_json(format),
        });
    // Errors here mean a subscriber is already installed (tests); nothing to do then.
    if info_to_stdout {
        let writer = std::io::stderr
            .with_max_level(Level::WARN)
            .or_else(std::io::stdout);
        let _ = builder.with_writer(writer).try_init();
    } else {
        let _ = builder.with_writer(std::io::stderr).try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slog_level_names_and_offsets() {
        assert_eq!(parse_slog_level("debug"), Some(-4));
        assert_eq!(parse_slog_level("INFO"), Some(0));
        assert_eq!(parse_slog_level("Warn"), Some(4));
        assert_eq!(parse_slog_level("ERROR"), Some(8));
        assert_eq!(parse_slog_level("INFO+2"), Some(2));
        assert_eq!(parse_slog_level("error-1"), Some(7));
        for bad in ["", "verbose", "WARNING", "INFO+", "INFO+x", "+1"] {
            assert_eq!(parse_slog_level(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn filters_match_slog_minimums() {
        assert_eq!(parse_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(parse_level("INFO"), LevelFilter::INFO);
        assert_eq!(parse_level("DEBUG+1"), LevelFilter::INFO);
        assert_eq!(parse_level("INFO+1"), LevelFilter::WARN);
        assert_eq!(parse_level("ERROR"), LevelFilter::ERROR);
        assert_eq!(parse_level("ERROR+1"), LevelFilter::OFF);
        // Unknown values are ignored: INFO.
        assert_eq!(parse_level("WARNING"), LevelFilter::INFO);
        assert_eq!(parse_level("verbose"), LevelFilter::INFO);
    }

    #[test]
    fn only_lowercase_json_selects_json() {
        assert!(is_json("json"));
        assert!(!is_json("JSON"));
        assert!(!is_json("text"));
        assert!(!is_json(""));
    }
}
