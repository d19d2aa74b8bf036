//! Tracing setup: text or JSON, level from `--log-level`, INFO to stdout and WARN+ to stderr.

use std::io::IsTerminal;

use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Upstream slog level names, case-insensitive; anything else is ignored (→ INFO).
pub fn parse_level(s: &str) -> Option<Level> {
    match s.to_ascii_uppercase().as_str() {
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" | "WARNING" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        _ => None,
    }
}

/// Installs the global subscriber. Called once from `main`.
pub fn init(level: &str, format: &str, info_to_stdout: bool) {
    let level = parse_level(level).unwrap_or(Level::INFO);
    let filter = tracing_subscriber::filter::LevelFilter::from_level(level);
    // Colours only when a person watches both streams; log collectors get plain text.
    let ansi = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_max_level(filter)
        .with_target(false)
        .with_ansi(ansi);
    let json = format.eq_ignore_ascii_case("json");
    // Errors here mean a subscriber is already installed (tests); nothing to do then.
    if info_to_stdout {
        let writer = std::io::stderr
            .with_max_level(Level::WARN)
            .or_else(std::io::stdout);
        if json {
            let _ = builder.json().with_writer(writer).try_init();
        } else {
            let _ = builder.with_writer(writer).try_init();
        }
    } else if json {
        let _ = builder.json().with_writer(std::io::stderr).try_init();
    } else {
        let _ = builder.with_writer(std::io::stderr).try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(parse_level("debug"), Some(Level::DEBUG));
        assert_eq!(parse_level("WARN"), Some(Level::WARN));
        assert_eq!(parse_level("verbose"), None);
    }
}
