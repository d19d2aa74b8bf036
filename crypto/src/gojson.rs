//! JSON text exactly as Go's `json.MarshalIndent(v, "", "  ")` and `json.Marshal` write it.
//!
//! Differences from serde_json's pretty printer that matter for byte equality:
//! Go escapes `<`, `>`, `&`, U+2028 and U+2029, uses `\u00XX` (lower-case hex) for
//! control characters other than `\b \f \n \r \t`, and prints empty containers as `{}`/`[]`.

use serde_json::Value;

/// Renders `value` with two-space indentation and no trailing newline.
pub fn to_go_json(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write_value(&mut out, value, Some(0));
    out
}

/// Renders `value` as `json.Marshal` does: no whitespace at all.
pub fn to_go_json_compact(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write_value(&mut out, value, None);
    out
}

/// `depth` is the indentation level, or `None` for compact output.
fn write_value(out: &mut String, value: &Value, depth: Option<usize>) {
    let inner = depth.map(|d| d + 1);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_value(out, item, inner);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_string(out, key);
                out.push_str(if depth.is_some() { ": " } else { ":" });
                write_value(out, item, inner);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, depth: Option<usize>) {
    let Some(depth) = depth else { return };
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A JSON string literal with Go's escaping (HTML-safe).
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let v = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((v >> shift) & 0xf) as usize] as char);
                }
            }
            c if (c as u32) < 0x20 => {
                let v = c as u32;
                out.push_str("\\u00");
                out.push(HEX[(v >> 4) as usize] as char);
                out.push(HEX[(v & 0xf) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_escaping() {
        let v = json!({"a": "<x> & y\u{2028}\u{1}\u{8}\t", "b": {}, "c": [], "d": [1, true, null]});
        assert_eq!(
            to_go_json(&v),
            "{\n  \"a\": \"\\u003cx\\u003e \\u0026 y\\u2028\\u0001\\b\\t\",\n  \"b\": {},\n  \"c\": [],\n  \"d\": [\n    1,\n    true,\n    null\n  ]\n}"
        );
        assert_eq!(
            to_go_json_compact(&v),
            "{\"a\":\"\\u003cx\\u003e \\u0026 y\\u2028\\u0001\\b\\t\",\"b\":{},\"c\":[],\"d\":[1,true,null]}"
        );
    }
}
