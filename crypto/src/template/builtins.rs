//! Go's predefined template functions (`and`, `index`, `printf`, `eq`, ...).

use super::func::{Func, Special, Ty, a, s};
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
        "print" => Func::var(&[], Any, |v| Ok(Value::Str(gofmt::sprint(&v)))),
        "println" => Func::var(&[], Any, |v| Ok(Value::Str(gofmt::sprintln(&v)))),
        "printf" => Func::var(&[Str], Any, |v| {
            Ok(Value::Str(gofmt::sprintf(&s(&v, 0), &v[1..])))
        }),
        "html" => Func::var(&[], Any, |v| Ok(Value::Str(html_escape(&eval_args(&v))))),
        "js" => Func::var(&[], Any, |v| Ok(Value::Str(js_escape(&eval_args(&v))))),
        "urlquery" => Func::var(&[], Any, |v| Ok(Value::Str(query_escape(&eval_args(&v))))),
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
                Value::Int(
                    *st.as_bytes()
                        .get(x)
                        .ok_or("reflect: string index out of range")? as i64,
                )
            }
            Value::Map(m) => {
                let key = map_key(idx)?;
                m.borrow().get(&key).cloned().unwrap_or(Value::Nil)
            }
            Value::StrMap(m) => {
                let key = map_key(idx)?;
                Value::str(m.get(&key).cloned().unwrap_or_default())
            }
            Value::Nil => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn map_key(idx: &Value) -> Result<String, String> {
    match idx {
        Value::Str(k) => Ok(k.clone()),
        Value::Nil => Err("value is nil; should be of type string".into()),
        other => Err(format!(
            "value has type {}; should be string",
            other.type_name()
        )),
    }
}

/// text/template's `evalArgs`: a lone string as is, else `fmt.Sprint`.
fn eval_args(v: &[Value]) -> String {
    if let [Value::Str(s)] = v {
        return s.clone();
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

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
}

fn basic(v: &Value) -> Basic {
    match v {
        Value::Bool(_) => Basic::Bool,
        Value::Int(_) | Value::Int64(_) => Basic::Int,
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
        let truth = if k1 != k2 {
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
                    if !same_kind {
                        return Err(gofmt::sprintf(
                            "non-comparable types %s: %v, %s: %v",
                            &[
                                redact(a1),
                                Value::str(a1.type_name()),
                                Value::str(a2.type_name()),
                                redact(a2),
                            ],
                        ));
                    }
                    if a1.is_nil() || a2.is_nil() {
                        a1.is_nil() == a2.is_nil()
                    } else {
                        return Err(gofmt::sprintf(
                            "non-comparable type %s: %v",
                            &[redact(a2), Value::str(a2.type_name())],
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
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            a1.type_name(),
            a2.type_name()
        ));
    }
    Ok(match (a1, a2) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

fn le(a1: &Value, a2: &Value) -> Result<bool, String> {
    let l = lt(a1, a2)?;
    if l {
        return Ok(true);
    }
    eq(a1, std::slice::from_ref(a2))
}

/// Stands in for a value inside an error message: values may hold decrypted plaintext,
/// which must not reach status conditions, events or logs (upstream prints the value).
pub fn redact(v: &Value) -> Value {
    Value::Str(format!("<{} value>", v.type_name()))
}
