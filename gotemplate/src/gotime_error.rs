//! The texts of Go's `time.ParseError`, which quote the value and the layout. Messages that
//! carry decrypted values are kept out of status and Events by `sealwright_crypto::redact`.

/// Go's `time.quote`: double quotes, `"` and `\` escaped, every byte of a control or
/// non-ASCII character written as `\xNN`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if (' '..='\x7f').contains(&c) {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
    }
    out.push('"');
    out
}

/// `ParseError` without a message: which part of the value did not fit which layout element.
pub fn cannot_parse(layout: &str, value: &str, layout_elem: &str, value_elem: &str) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        quote(value),
        quote(layout),
        quote(value_elem),
        quote(layout_elem)
    )
}

/// `ParseError` with a message (which starts with `": "`).
pub fn with_message(value: &str, message: &str) -> String {
    format!("parsing time {}{message}", quote(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_go_does() {
        assert_eq!(quote("raw\\n"), r#""raw\\n""#);
        assert_eq!(quote("a\"b\n"), r#""a\"b\x0a""#);
        assert_eq!(quote("é\x7f"), "\"\\xc3\\xa9\x7f\"");
    }
}
