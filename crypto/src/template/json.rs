//! Go `encoding/json` as sprig uses it: `Marshal` (HTML-escaped), `MarshalIndent` and an
//! `Encoder` without HTML escaping; `Unmarshal` into `interface {}`.

use std::collections::BTreeMap;

use super::gofmt;
use super::value::Value;

/// Encodes like `json.Marshal` (`html` true) or an Encoder with `SetEscapeHTML(false)`;
/// `indent` gives `MarshalIndent(v, "", "  ")`.
pub fn encode(v: &Value, html: bool, indent: bool) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v, html, if indent { Some(0) } else { None })?;
    Ok(out)
}

fn newline(out: &mut String, depth: Option<usize>) {
    if let Some(d) = depth {
        out.push('\n');
        for _ in 0..d {
            out.push_str("  ");
        }
    }
}

fn write(out: &mut String, v: &Value, html: bool, depth: Option<usize>) -> Result<(), String> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&float(*f)?),
        Value::Str(s) => string(out, s, html),
        Value::List(items, _) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            let inner = depth.map(|d| d + 1);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write(out, item, html, inner)?;
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Map(m) => object(
            out,
            m.borrow().iter().map(|(k, v)| (k.as_str(), v.clone())),
            html,
            depth,
        )?,
        Value::StrMap(m) => object(
            out,
            m.iter().map(|(k, v)| (k.as_str(), Value::str(v.clone()))),
            html,
            depth,
        )?,
    }
    Ok(())
}

fn object<'k>(
    out: &mut String,
    entries: impl ExactSizeIterator<Item = (&'k str, Value)>,
    html: bool,
    depth: Option<usize>,
) -> Result<(), String> {
    if entries.len() == 0 {
        out.push_str("{}");
        return Ok(());
    }
    out.push('{');
    let inner = depth.map(|d| d + 1);
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, inner);
        string(out, k, html);
        out.push(':');
        if depth.is_some() {
            out.push(' ');
        }
        write(out, &v, html, inner)?;
    }
    newline(out, depth);
    out.push('}');
    Ok(())
}

fn float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            gofmt::format_g(f, None)
        ));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Shortest 'e' form with Go's exponent cleanup (e-07 → e-7).
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return Ok(format!("{mant}e{sign}{}", exp.unsigned_abs()));
    }
    // Shortest 'f' form.
    let s = format!("{f}");
    Ok(if s == "-0" { "-0".into() } else { s })
}

fn string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u00{:02x}", c as u32)),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Unmarshal` into `interface {}`: objects become maps, numbers float64.
pub fn decode(s: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    Ok(from_serde(v))
}

fn from_serde(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::list(a.into_iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            let m: BTreeMap<String, Value> =
                o.into_iter().map(|(k, v)| (k, from_serde(v))).collect();
            Value::map(m)
        }
    }
}
