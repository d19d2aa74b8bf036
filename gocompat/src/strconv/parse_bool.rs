//! Go's `strconv.ParseBool`.

use super::quote;

/// Go's `*strconv.NumError` for `ParseBool` (always `ErrSyntax`).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("strconv.ParseBool: parsing {}: invalid syntax", quote(.0))]
pub struct ParseBoolError(pub String);

/// The spellings Go accepts; anything else is a syntax error.
pub fn parse_bool(s: &str) -> Result<bool, ParseBoolError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(ParseBoolError(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_spellings_and_error_text() {
        assert_eq!(parse_bool("T"), Ok(true));
        assert_eq!(parse_bool("False"), Ok(false));
        assert_eq!(
            parse_bool("yes").map_err(|e| e.to_string()),
            Err("strconv.ParseBool: parsing \"yes\": invalid syntax".to_string())
        );
        assert!(parse_bool("tRUE").is_err());
    }
}
