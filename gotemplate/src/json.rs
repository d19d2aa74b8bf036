use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::budget::{self, Budget};
use super::gofmt;
use super::value::{Elem, SLOT, Value};

/// Encodes like `json.Marshal` (`html` true) or an Encoder with `SetEscapeHTML(false)`;
/// `indent` gives `MarshalIndent(v, "", "  ")`. Stops with an error once the render's
/// budget is spent or the value nests too deep (a map that contains itself).
pub fn encode(v: &Value, html: bool, indent: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write(&mut out, v, html, if indent { Some(0) } else { None }, 0)?;
    Ok(out)
}

fn newline(out: &mut Vec<u8>, depth: Option<usize>) {
    if let Some(d) = depth {
        out.push(b'\n');
        for _ in 0..d {
            out.extend_from_slice(b"  ");
        }
    }
}

/// One more value at `level`: a step, within the byte budget and the nesting limit.
fn enter(out: &[u8], level: usize) -> Result<(), String> {
    if level > Budget::MAX_VALUE_DEPTH {
        return Err(budget::too_deep());
    }
    budget::steps(1)?;
    budget::fits(out.len() as u64)
}

fn write(
    out: &mut Vec<u8>,
    v: &Value,
    html: bool,
    depth: Option<usize>,
    level: usize,
) -> Result<(), String> {
    enter(out, level)?;
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) | Value::Int64(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Float(f) => out.extend_from_slice(float(*f)?.as_bytes()),
        Value::Str(s) => string(out, s, html),
        // `time.Time.MarshalJSON`: RFC 3339 with nanoseconds.
        Value::Time(t) => string(
            out,
            t.format("2006-01-02T15:04:05.999999999Z07:00").as_bytes(),
            html,
        ),
        Value::Uint(u) => out.extend_from_slice(u.to_string().as_bytes()),
        // `Version.MarshalJSON`: its string form.
        Value::SemVer(v, _) => string(out, v.canonical().as_bytes(), html),
        Value::Cert(c) => object(
            out,
            [
                ("Cert", Value::Str(c.cert.clone())),
                ("Key", Value::Str(c.key.clone())),
            ]
            .into_iter(),
            html,
            depth,
            level,
        )?,
        Value::List(_, Elem::AnyNil) => out.extend_from_slice(b"null"),
        Value::List(items, _) => {
            if items.is_empty() {
                out.extend_from_slice(b"[]");
                return Ok(());
            }
            out.push(b'[');
            let inner = depth.map(|d| d + 1);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                newline(out, inner);
                write(out, item, html, inner, level + 1)?;
            }
            newline(out, depth);
            out.push(b']');
        }
        Value::Map(m) => object(
            out,
            m.borrow().iter().map(|(k, v)| (k.as_str(), v.clone())),
            html,
            depth,
            level,
        )?,
        Value::StrMap(m) => object(
            out,
            m.iter().map(|(k, v)| (k.as_str(), Value::Str(v.clone()))),
            html,
            depth,
            level,
        )?,
    }
    Ok(())
}

fn object<'k>(
    out: &mut Vec<u8>,
    entries: impl ExactSizeIterator<Item = (&'k str, Value)>,
    html: bool,
    depth: Option<usize>,
    level: usize,
) -> Result<(), String> {
    if entries.len() == 0 {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    out.push(b'{');
    let inner = depth.map(|d| d + 1);
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        newline(out, inner);
        string(out, k.as_bytes(), html);
        out.push(b':');
        if depth.is_some() {
            out.push(b' ');
        }
        write(out, &v, html, inner, level + 1)?;
    }
    newline(out, depth);
    out.push(b'}');
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

/// `encodeState.string`: bytes that are not UTF-8 become `\ufffd`, as in Go.
fn string(out: &mut Vec<u8>, s: &[u8], html: bool) {
    out.push(b'"');
    for (i, c) in gofmt::runes(s) {
        let esc = |out: &mut Vec<u8>, code: u32| {
            out.extend_from_slice(format!("\\u{code:04x}").as_bytes());
        };
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\x08' => out.extend_from_slice(b"\\b"),
            '\x0c' => out.extend_from_slice(b"\\f"),
            '<' | '>' | '&' if html => esc(out, c as u32),
            '\u{2028}' | '\u{2029}' => esc(out, c as u32),
            c if (c as u32) < 0x20 => esc(out, c as u32),
            '\u{FFFD}' if gofmt::decode_rune(&s[i..]).1 == 1 => esc(out, 0xfffd),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out.push(b'"');
}

/// `json.Unmarshal` into `interface {}`: objects become maps, numbers float64. Values are
/// built as they are read, so a large document stops at the budget instead of after it.
pub fn decode(s: &[u8]) -> Result<Value, String> {
    // Go checks the whole text first, so a syntax error is reported in its words.
    super::json_syntax::check(s)?;
    let text = String::from_utf8_lossy(s);
    let mut de = serde_json::Deserializer::from_str(&text);
    let v = de.deserialize_any(Build).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Builds template values straight from the JSON tokens.
struct Build;

impl<'de> de::DeserializeSeed<'de> for Build {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(Build)
    }
}

fn over<E: de::Error>(used: u64) -> Result<(), E> {
    budget::fits(used).map_err(E::custom)
}

impl<'de> Visitor<'de> for Build {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Float(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Float(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Float(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        over(s.len() as u64)?;
        Ok(Value::str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(x) = seq.next_element_seed(Build)? {
            items.push(x);
            over(items.len() as u64 * SLOT)?;
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = BTreeMap::new();
        let mut used = 0;
        while let Some(k) = map.next_key::<String>()? {
            used += k.len() as u64 + SLOT;
            over(used)?;
            let v = map.next_value_seed(Build)?;
            m.insert(k, v);
        }
        Ok(Value::map(m))
    }
}
