//! Go's ways of writing values where upstream's messages and flags show them: `%q` quoting,
//! `strconv.ParseBool`, and the text of an OS error, from `gocompat`. A leaf: errors and
//! commands use it alike.

/// Go's `%q` (`strconv.Quote`), as upstream quotes names, URLs and items in its messages.
pub use gocompat::strconv::quote as go_quote;

/// Go's text for an I/O error's errno (`no such file or directory`).
pub use gocompat::errno::text as go_errno_text;

/// Go's `strconv.ParseBool`, which pflag uses for `--flag=<value>` and the environment.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    gocompat::strconv::parse_bool(s).map_err(|e| e.to_string())
}
