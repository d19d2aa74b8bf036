//! Go's `regexp/syntax` error texts (`error parsing regexp: <code>: `<expr>``) for the syntax
//! errors whose Go wording and offending text are known from the `regex-syntax` error's kind
//! and span. Others keep the `regex` crate's description.

use regex_syntax::ast::{ErrorKind, parse::Parser};

/// Go's text for the syntax error in `pattern`, when it can be told exactly.
pub fn go_text(pattern: &str) -> Option<String> {
    let err = Parser::new().parse(pattern).err()?;
    let span = err.span();
    let (start, end) = (span.start.offset, span.end.offset);
    let at = pattern.get(start..end)?;
    let (code, expr): (&str, &str) = match err.kind() {
        // Go names the whole expression for unbalanced parentheses.
        ErrorKind::GroupUnclosed => ("missing closing )", pattern),
        ErrorKind::GroupUnopened => ("unexpected )", pattern),
        // Go names the class from its `[` to the end of the expression. A `[` inside a class
        // is a literal in Go but opens a nested class here, so then the class is not known.
        ErrorKind::ClassUnclosed if !pattern.get(start + 1..)?.contains('[') => {
            ("missing closing ]", pattern.get(start..)?)
        }
        ErrorKind::EscapeUnexpectedEof => ("trailing backslash at end of expression", ""),
        ErrorKind::EscapeUnrecognized | ErrorKind::UnsupportedBackreference => {
            ("invalid escape sequence", at)
        }
        ErrorKind::ClassRangeInvalid => ("invalid character class range", at),
        ErrorKind::RepetitionCountInvalid => ("invalid repeat count", at),
        // The span is empty, at the operator; Go names it with its non-greedy `?`.
        ErrorKind::RepetitionMissing => {
            let rest = pattern.get(start..)?;
            let op = ["*?", "+?", "??", "*", "+", "?"]
                .into_iter()
                .find(|op| rest.starts_with(op))?;
            ("missing argument to repetition operator", op)
        }
        // Go names the group from its `(?` through the offending character.
        ErrorKind::FlagUnrecognized => {
            let open = pattern.get(..start)?.rfind("(?")?;
            (
                "invalid or unsupported Perl syntax",
                pattern.get(open..end)?,
            )
        }
        ErrorKind::GroupNameEmpty if pattern.get(start..)?.starts_with('>') => {
            let open = pattern.get(..start)?.rfind("(?")?;
            ("invalid named capture", pattern.get(open..=start)?)
        }
        _ => return None,
    };
    Some(format!("error parsing regexp: {code}: `{expr}`"))
}

#[cfg(test)]
mod tests {
    use super::go_text;

    #[test]
    fn words_errors_as_go() {
        for (pattern, want) in [
            ("(", "missing closing ): `(`"),
            ("a(b", "missing closing ): `a(b`"),
            (")", "unexpected ): `)`"),
            ("[a", "missing closing ]: `[a`"),
            ("*", "missing argument to repetition operator: `*`"),
            ("\\", "trailing backslash at end of expression: ``"),
            ("\\q", "invalid escape sequence: `\\q`"),
            ("\\8", "invalid escape sequence: `\\8`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("a{2,1}", "invalid repeat count: `{2,1}`"),
            ("*?", "missing argument to repetition operator: `*?`"),
            ("(?z)", "invalid or unsupported Perl syntax: `(?z`"),
            ("(?P<>a)", "invalid named capture: `(?P<>`"),
        ] {
            assert_eq!(
                go_text(pattern),
                Some(format!("error parsing regexp: {want}")),
                "{pattern:?}"
            );
        }
    }
}
