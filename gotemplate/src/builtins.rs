//! Go's predefined template functions (`and`, `index`, `printf`, `eq`, ...).

use super::budget;
use super::func::{Func, Special, Ty, a, sb};
use super::gofmt;
use super::value::Value;

/// The built-in function named `name`, if any. `slice` is absent on purpose: sprig's
/// `slice` replaces it in upstream's function map.
pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "and" => Func {
            special: Special::And,
            ..Func::var(&[Refl], Refl, |_| Ok(Value::Nil))
        },
        "or" => Func {
            special: Special::Or,
            ..Func::var(&[Refl], Refl, |_| Ok(Value::Nil))
        },
        "call" => Func {
            special: Special::Call,
            ..Func::var(&[Refl], Refl, |_| Ok(Value::Nil))
        },
        "not" => Func::new(&[Refl], |v| Ok(Value::Bool(!a(&v, 0).truth()))),
        "len" => Func::new(&[Refl], |v| length(&a(&v, 0))),
        "index" => Func::var(&[Refl], Refl, |v| index(&v)),
        "print" => Func::var(&[], Any, |v| Ok(Value::str(gofmt::sprint(&v)))),
        "println" => Func::var(&[], Any, |v| Ok(Value::str(gofmt::sprintln(&v)))),
        "printf" => Func::var(&[Str], Any, |v| {
            Ok(Value::str(gofmt::sprintf(&sb(&v, 0), &v[1..])))
        }),
        "html" => Func::var(&[], Any, |v| escaped(&v, html_escape)),
        "js" => Func::var(&[], Any, |v| escaped(&v, js_escape)),
        "urlquery" => Func::var(&[], Any, |v| escaped(&v, query_escape)),
        "eq" => Func::var(&[Refl], Refl, |v| eq(&v[0], &v[1..]).map(Value::Bool)),
        "ne" => Func::new(&[Refl, Refl], |v| {
            eq(&v[0], &v[1..2]).map(|b| Value::Bool(!b))
        }),
        "lt" => Func::new(&[Refl, Refl], |v| lt(&v[0], &v[1]).map(Value::Bool)),
        "le" => Func::new(&[Refl, Refl], |v| le(&v[0], &v[1]).map(Value::Bool)),
        "gt" => Func::new(&[Refl, Refl], |v| le(&v[0], &v[1]).map(|b| Value::Bool(!b))),
        "ge" => Func::new(&[Refl, Refl], |v| lt(&v[0], &v[1]).map(|b| Value::Bool(!b))),
        _ => return None,
    })
}

fn length(v: &Value) -> Result<Value, String> {
    match v {
        Value::Nil => Err("reflect: call of reflect.Value.Type on zero Value".into()),
        other => match other.len() {
            Some(n) => Ok(Value::Int(n as i64)),
            None => Err(format!("len of type {}", other.type_name())),
        },
    }
}

fn index_arg(i: &Value, cap: usize) -> Result<usize, String> {
    let x = match i {
        Value::Int(x) | Value::Int64(x) => *x,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(v: &[Value]) -> Result<Value, String> {
    let mut item = v[0].clone();
    if item.is_nil() {
        return Err("index of untyped nil".into());
    }
    for idx in &v[1..] {
        item = match &item {
            Value::List(l, _) => {
                let x = index_arg(idx, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or("reflect: slice index out of range")?
            }
            Value::Str(st) => {
                let x = index_arg(idx, st.len())?;
                Value::Int(i64::from(
                    *st.get(x).ok_or("reflect: string index out of range")?,
                ))
            }
            Value::Map(m) => {
                let key = map_key(idx)?;
                m.borrow().get(&key).cloned().unwrap_or(Value::Nil)
            }
            Value::StrMap(m) => {
                let key = map_key(idx)?;
                Value::Str(m.get(&key).cloned().unwrap_or_default())
            }
            Value::Nil => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn map_key(idx: &Value) -> Result<String, String> {
    match idx {
        Value::Str(k) => Ok(k.to_str_lossy().into_owned()),
        Value::Nil => Err("value is nil; should be of type string".into()),
        other => Err(format!(
            "value has type {}; should be string",
            other.type_name()
        )),
    }
}

/// `html`, `js` or `urlquery` of the arguments; escaping grows text at most sixfold,
/// which must fit the budget before it is built.
fn escaped(v: &[Value], escape: fn(&[u8]) -> Vec<u8>) -> Result<Value, String> {
    let text = eval_args(v);
    budget::fits(text.len() as u64 * 6)?;
    Ok(Value::str(escape(&text)))
}

/// text/template's `evalArgs`: a lone string as is, else `fmt.Sprint`.
fn eval_args(v: &[Value]) -> Vec<u8> {
    if let [Value::Str(s)] = v {
        return s.to_vec();
    }
    // `printableValue` turns a nil argument into the string "<no value>".
    let v: Vec<Value> = v
        .iter()
        .map(|x| {
            if x.is_nil() {
                Value::str("<no value>")
            } else {
                x.clone()
            }
        })
        .collect();
    gofmt::sprint(&v)
}

/// Go's `template.HTMLEscape`: works on bytes, so other bytes pass through unchanged.
pub fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        match b {
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b => out.push(b),
        }
    }
    out
}

/// Go's `template.JSEscape`: ASCII byte by byte, other runes kept when printable (an
/// invalid byte reads as U+FFFD, which is, so it passes through raw).
pub fn js_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'<' => out.extend_from_slice(b"\\u003C"),
            b'>' => out.extend_from_slice(b"\\u003E"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            b'=' => out.extend_from_slice(b"\\u003D"),
            b if b < 0x20 => out.extend_from_slice(format!("\\u00{b:02X}").as_bytes()),
            b if b < 0x80 => out.push(b),
            _ => {
                let (c, n) = gofmt::decode_rune(&s[i..]);
                if gofmt::is_print(c) {
                    out.extend_from_slice(&s[i..i + n]);
                } else {
                    out.extend_from_slice(format!("\\u{:04X}", c as u32).as_bytes());
                }
                i += n;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &[u8]) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out.into_bytes()
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn basic(v: &Value) -> Basic {
    match v {
        Value::Bool(_) => Basic::Bool,
        Value::Int(_) | Value::Int64(_) => Basic::Int,
        Value::Uint(_) => Basic::Uint,
        Value::Float(_) => Basic::Float,
        Value::Str(_) => Basic::Str,
        _ => Basic::Invalid,
    }
}

fn eq(a1: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic(a1);
    for a2 in rest {
        let k2 = basic(a2);
        let truth = if let Some(o) = int_uint(a1, a2) {
            o.is_eq()
        } else if k1 != k2 {
            if !a1.is_nil() && !a2.is_nil() {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    a1.type_name(),
                    a2.type_name()
                ));
            }
            false
        } else {
            match (a1, a2) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ => {
                    let same_kind = a1.kind_name() == a2.kind_name() || a1.is_nil() || a2.is_nil();
                    // Upstream prints the values here; messages that carry decrypted
                    // values are kept out of status and Events by `sealwright_crypto::redact`.
                    if !same_kind {
                        return Err(message(
                            "non-comparable types %s: %v, %s: %v",
                            &[
                                a1.clone(),
                                Value::str(a1.type_name()),
                                Value::str(a2.type_name()),
                                a2.clone(),
                            ],
                        ));
                    }
                    if a1.is_nil() || a2.is_nil() {
                        a1.is_nil() == a2.is_nil()
                    } else {
                        return Err(message(
                            "non-comparable type %s: %v",
                            &[a2.clone(), Value::str(a2.type_name())],
                        ));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a1: &Value, a2: &Value) -> Result<bool, String> {
    let k1 = basic(a1);
    let k2 = basic(a2);
    if k1 == Basic::Invalid || k2 == Basic::Invalid {
        return Err("invalid type for comparison".into());
    }
    if let Some(o) = int_uint(a1, a2) {
        return Ok(o.is_lt());
    }
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            a1.type_name(),
            a2.type_name()
        ));
    }
    Ok(match (a1, a2) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Uint(x), Value::Uint(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

/// Go compares signed and unsigned integers by value (a negative one is less).
fn int_uint(a1: &Value, a2: &Value) -> Option<std::cmp::Ordering> {
    let wide = |v: &Value| match v {
        Value::Int(i) | Value::Int64(i) => Some(i128::from(*i)),
        Value::Uint(u) => Some(i128::from(*u)),
        _ => None,
    };
    let mixed = matches!(a1, Value::Uint(_)) != matches!(a2, Value::Uint(_));
    match (wide(a1), wide(a2)) {
        (Some(x), Some(y)) if mixed || matches!(a1, Value::Uint(_)) => Some(x.cmp(&y)),
        _ => None,
    }
}

fn le(a1: &Value, a2: &Value) -> Result<bool, String> {
    let l = lt(a1, a2)?;
    if l {
        return Ok(true);
    }
    eq(a1, std::slice::from_ref(a2))
}

/// An error message made with Go's `Sprintf`.
fn message(format: &str, args: &[Value]) -> String {
    String::from_utf8_lossy(&gofmt::sprintf(format.as_bytes(), args)).into_owned()
}

/// Stands in for a value inside an error message: values may hold decrypted plaintext,
/// which must not reach status conditions, events or logs (upstream prints the value).
pub fn redact(v: &Value) -> Value {
    Value::str(format!("<{} value>", v.type_name()))
}
