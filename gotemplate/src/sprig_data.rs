//! Sprig's defaults, JSON, dictionary, list, numeric and reflection functions.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::budget::{self, Budget};
use super::conv::{empty, strslice, strval, to_f64, to_i64};
use super::func::{Func, Ty, a, b, n, s, sb};
use super::gofmt;
use super::json;
use super::value::{Bytes, Elem, SLOT, Value, deep_equal};

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        // Defaults and flow.
        "default" => Func::var(&[Any], Any, |v| {
            if v.len() < 2 || empty(&v[1]) {
                Ok(a(&v, 0))
            } else {
                Ok(a(&v, 1))
            }
        }),
        "empty" => Func::new(&[Any], |v| Ok(Value::Bool(empty(&a(&v, 0))))),
        "coalesce" => Func::var(&[], Any, |v| {
            Ok(v.into_iter().find(|x| !empty(x)).unwrap_or(Value::Nil))
        }),
        "all" => Func::var(&[], Any, |v| Ok(Value::Bool(v.iter().all(|x| !empty(x))))),
        "any" => Func::var(&[], Any, |v| Ok(Value::Bool(v.iter().any(|x| !empty(x))))),
        "ternary" => Func::new(&[Any, Any, Bool], |v| {
            Ok(if b(&v, 2) { a(&v, 0) } else { a(&v, 1) })
        }),
        "fail" => Func::new(&[Str], |v| Err(s(&v, 0))),
        "deepCopy" | "mustDeepCopy" => Func::new(&[Any], |v| match a(&v, 0) {
            // copystructure asks reflect for the type of a nil interface.
            Value::Nil => Err("reflect: call of reflect.Value.Type on zero Value".into()),
            x => deep_copy(&x, 0),
        }),
        // JSON.
        "toJson" => Func::new(&[Any], |v| {
            Ok(Value::str(
                json::encode(&a(&v, 0), true, false).unwrap_or_default(),
            ))
        }),
        "mustToJson" => Func::new(&[Any], |v| {
            json::encode(&a(&v, 0), true, false).map(Value::str)
        }),
        "toPrettyJson" => Func::new(&[Any], |v| {
            Ok(Value::str(
                json::encode(&a(&v, 0), true, true).unwrap_or_default(),
            ))
        }),
        "mustToPrettyJson" => Func::new(&[Any], |v| {
            json::encode(&a(&v, 0), true, true).map(Value::str)
        }),
        "toRawJson" | "mustToRawJson" => Func::new(&[Any], |v| {
            json::encode(&a(&v, 0), false, false).map(Value::str)
        }),
        "fromJson" => Func::new(&[Str], |v| {
            Ok(json::decode(&sb(&v, 0)).unwrap_or(Value::Nil))
        }),
        "mustFromJson" => Func::new(&[Str], |v| json::decode(&sb(&v, 0))),
        // Conversions and numbers.
        "atoi" => Func::new(&[Str], |v| Ok(Value::Int(atoi(&s(&v, 0))))),
        "int64" => Func::new(&[Any], |v| Ok(Value::Int64(to_i64(&a(&v, 0))))),
        "int" => Func::new(&[Any], |v| Ok(Value::Int(to_i64(&a(&v, 0))))),
        "float64" => Func::new(&[Any], |v| Ok(Value::Float(to_f64(&a(&v, 0))))),
        "toDecimal" => Func::new(&[Any], |v| {
            Ok(Value::Int64(
                i64::from_str_radix(&gofmt::v(&a(&v, 0)), 8).unwrap_or(0),
            ))
        }),
        "add1" => Func::new(&[Any], |v| {
            Ok(Value::Int64(to_i64(&a(&v, 0)).wrapping_add(1)))
        }),
        "add" => Func::var(&[], Any, |v| {
            Ok(Value::Int64(
                v.iter().fold(0i64, |acc, x| acc.wrapping_add(to_i64(x))),
            ))
        }),
        "sub" => Func::new(&[Any, Any], |v| {
            Ok(Value::Int64(to_i64(&v[0]).wrapping_sub(to_i64(&v[1]))))
        }),
        "mul" => Func::var(&[Any], Any, |v| {
            Ok(Value::Int64(
                v[1..]
                    .iter()
                    .fold(to_i64(&v[0]), |acc, x| acc.wrapping_mul(to_i64(x))),
            ))
        }),
        "div" => Func::new(&[Any, Any], |v| {
            let d = to_i64(&v[1]);
            if d == 0 {
                return Err("runtime error: integer divide by zero".into());
            }
            Ok(Value::Int64(to_i64(&v[0]).wrapping_div(d)))
        }),
        "mod" => Func::new(&[Any, Any], |v| {
            let d = to_i64(&v[1]);
            if d == 0 {
                return Err("runtime error: integer divide by zero".into());
            }
            Ok(Value::Int64(to_i64(&v[0]).wrapping_rem(d)))
        }),
        "max" | "biggest" => Func::var(&[Any], Any, |v| {
            Ok(Value::Int64(v.iter().map(to_i64).max().unwrap_or(0)))
        }),
        "min" => Func::var(&[Any], Any, |v| {
            Ok(Value::Int64(v.iter().map(to_i64).min().unwrap_or(0)))
        }),
        "maxf" => Func::var(&[Any], Any, |v| {
            Ok(Value::Float(
                v[1..].iter().map(to_f64).fold(to_f64(&v[0]), go_max),
            ))
        }),
        "minf" => Func::var(&[Any], Any, |v| {
            Ok(Value::Float(
                v[1..].iter().map(to_f64).fold(to_f64(&v[0]), go_min),
            ))
        }),
        "ceil" => Func::new(&[Any], |v| Ok(Value::Float(to_f64(&a(&v, 0)).ceil()))),
        "floor" => Func::new(&[Any], |v| Ok(Value::Float(to_f64(&a(&v, 0)).floor()))),
        "round" => Func::var(&[Any, Int], F64, |v| {
            let round_on = match v.get(2) {
                Some(Value::Float(f)) => *f,
                _ => 0.5,
            };
            let pow = 10f64.powf(n(&v, 1) as f64);
            let digit = pow * to_f64(&v[0]);
            let frac = digit.fract();
            let r = if frac >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        }),
        "seq" => Func::var(&[], Int, |v| {
            seq(&v.iter().map(to_i64).collect::<Vec<_>>()).map(Value::str)
        }),
        "until" => Func::new(&[Int], |v| {
            let c = n(&v, 0);
            Ok(int_list(until_step(0, c, if c < 0 { -1 } else { 1 })?))
        }),
        "untilStep" => Func::new(&[Int, Int, Int], |v| {
            Ok(int_list(until_step(n(&v, 0), n(&v, 1), n(&v, 2))?))
        }),
        // Strings ↔ lists.
        "split" => Func::new(&[Str, Str], |v| {
            let (sep, orig) = (sb(&v, 0), sb(&v, 1));
            Ok(split_map(go_splitn(&orig, &sep, -1)?))
        }),
        "splitn" => Func::new(&[Str, Int, Str], |v| {
            let (sep, cnt, orig) = (sb(&v, 0), n(&v, 1), sb(&v, 2));
            Ok(split_map(go_splitn(&orig, &sep, cnt)?))
        }),
        "splitList" => Func::new(&[Str, Str], |v| {
            let (sep, orig) = (sb(&v, 0), sb(&v, 1));
            let parts = go_splitn(&orig, &sep, -1)?;
            Ok(bytes_list(parts.into_iter().map(Bytes::from).collect()))
        }),
        "join" => Func::new(&[Str, Any], |v| join(&strslice(&v[1]), &sb(&v, 0))),
        "toStrings" => Func::new(&[Any], |v| Ok(bytes_list(strslice(&a(&v, 0))))),
        "sortAlpha" => Func::new(&[Any], |v| {
            Ok(bytes_list(match &v[0] {
                Value::List(..) => {
                    let mut l = strslice(&v[0]);
                    l.sort();
                    l
                }
                other => vec![super::conv::strval_bytes(other)],
            }))
        }),
        // Dictionaries.
        "dict" => Func::var(&[], Any, |v| {
            let mut m = BTreeMap::new();
            for pair in v.chunks(2) {
                let val = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
                if budget::exceeded().is_some() {
                    break;
                }
                m.insert(strval(&pair[0]), val);
            }
            Ok(Value::map(m))
        }),
        "get" => Func::new(&[Map, Str], |v| {
            Ok(map_of(&v[0])
                .and_then(|m| m.borrow().get(&s(&v, 1)).cloned())
                .unwrap_or_else(|| Value::str("")))
        }),
        "set" => Func::new(&[Map, Str, Any], |v| {
            let m = map_of(&v[0]).ok_or("assignment to entry in nil map")?;
            let key = s(&v, 1);
            budget::bytes(key.len() as u64 + 2 * SLOT)?;
            m.borrow_mut().insert(key, a(&v, 2));
            Ok(v[0].clone())
        }),
        "unset" => Func::new(&[Map, Str], |v| {
            if let Some(m) = map_of(&v[0]) {
                m.borrow_mut().remove(&s(&v, 1));
            }
            Ok(v[0].clone())
        }),
        "hasKey" => Func::new(&[Map, Str], |v| {
            Ok(Value::Bool(
                map_of(&v[0]).is_some_and(|m| m.borrow().contains_key(&s(&v, 1))),
            ))
        }),
        "pluck" => Func::var(&[Str], Map, |v| {
            let key = s(&v, 0);
            Ok(Value::list(
                v[1..]
                    .iter()
                    .filter_map(|d| map_of(d).and_then(|m| m.borrow().get(&key).cloned()))
                    .collect(),
            ))
        }),
        "keys" => Func::var(&[], Map, |v| {
            Ok(Value::str_list(
                v.iter()
                    .filter_map(map_of)
                    .flat_map(|m| m.borrow().keys().cloned().collect::<Vec<_>>())
                    .collect(),
            ))
        }),
        "values" => Func::new(&[Map], |v| {
            Ok(Value::list(
                map_of(&v[0])
                    .map(|m| m.borrow().values().cloned().collect())
                    .unwrap_or_default(),
            ))
        }),
        "pick" => Func::var(&[Map], Str, |v| {
            let mut out = BTreeMap::new();
            if let Some(src) = map_of(&v[0]) {
                let src = src.borrow();
                for k in &v[1..] {
                    let k = strval(k);
                    if let Some(x) = src.get(&k) {
                        out.insert(k, x.clone());
                    }
                }
            }
            Ok(Value::map(out))
        }),
        "omit" => Func::var(&[Map], Str, |v| {
            let mut out = BTreeMap::new();
            if let Some(src) = map_of(&v[0]) {
                let src = src.borrow();
                budget::fits(src.len() as u64 * SLOT)?;
                out = src.clone();
            }
            for k in &v[1..] {
                out.remove(&strval(k));
            }
            Ok(Value::map(out))
        }),
        "dig" => Func::var(&[], Any, |v| dig(&v)),
        // Lists.
        "list" | "tuple" => Func::var(&[], Any, |v| Ok(Value::list(v))),
        "append" | "push" | "mustAppend" | "mustPush" => Func::new(&[Any, Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot push on type {}", v[0].kind_name()))?;
            let mut l = copy_of(&l, 1)?;
            l.push(v[1].clone());
            Ok(Value::list(l))
        }),
        "prepend" | "mustPrepend" => Func::new(&[Any, Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot prepend on type {}", v[0].kind_name()))?;
            budget::fits((l.len() as u64 + 1) * SLOT)?;
            let mut out = Vec::with_capacity(l.len() + 1);
            out.push(v[1].clone());
            out.extend(l.iter().cloned());
            Ok(Value::list(out))
        }),
        "first" | "mustFirst" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find first on type {}", v[0].kind_name()))?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        }),
        "last" | "mustLast" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find last on type {}", v[0].kind_name()))?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        }),
        "rest" | "mustRest" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find rest on type {}", v[0].kind_name()))?;
            // Go returns a nil slice for an empty list: `[]` printed, `null` in JSON.
            if l.is_empty() {
                return Ok(Value::typed_list(Vec::new(), Elem::AnyNil));
            }
            Ok(Value::list(copy_of(l.get(1..).unwrap_or_default(), 0)?))
        }),
        "initial" | "mustInitial" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find initial on type {}", v[0].kind_name()))?;
            if l.is_empty() {
                return Ok(Value::typed_list(Vec::new(), Elem::AnyNil));
            }
            let end = l.len().saturating_sub(1);
            Ok(Value::list(copy_of(&l[..end], 0)?))
        }),
        "reverse" | "mustReverse" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find reverse on type {}", v[0].kind_name()))?;
            let mut l = copy_of(&l, 0)?;
            l.reverse();
            Ok(Value::list(l))
        }),
        "compact" | "mustCompact" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot compact on type {}", v[0].kind_name()))?;
            budget::fits(l.len() as u64 * SLOT)?;
            Ok(Value::list(
                l.iter().filter(|x| !empty(x)).cloned().collect(),
            ))
        }),
        "uniq" | "mustUniq" => Func::new(&[Any], |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find uniq on type {}", v[0].kind_name()))?;
            budget::fits(l.len() as u64 * SLOT)?;
            // Quadratic, as in sprig: every comparison is a budgeted step.
            let mut out: Vec<Value> = Vec::new();
            for x in l.iter() {
                if budget::exceeded().is_some() {
                    break;
                }
                if !out.iter().any(|y| deep_equal(y, x)) {
                    out.push(x.clone());
                }
            }
            Ok(Value::list(out))
        }),
        "without" | "mustWithout" => Func::var(&[Any], Any, |v| {
            let l = list_arg(&v[0])?
                .ok_or_else(|| format!("Cannot find without on type {}", v[0].kind_name()))?;
            budget::fits(l.len() as u64 * SLOT)?;
            Ok(Value::list(
                l.iter()
                    .filter(|x| !v[1..].iter().any(|o| deep_equal(o, x)))
                    .cloned()
                    .collect(),
            ))
        }),
        "has" | "mustHas" => Func::new(&[Any, Any], |v| {
            if v[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            let l = list_arg(&v[1])?
                .ok_or_else(|| format!("Cannot find has on type {}", v[1].kind_name()))?;
            Ok(Value::Bool(l.iter().any(|x| deep_equal(x, &v[0]))))
        }),
        "slice" | "mustSlice" => Func::var(&[Any], Any, |v| {
            if v[0].is_nil() {
                return Err(NIL_DEREF.into());
            }
            let Value::List(l, elem) = &v[0] else {
                return Err(format!(
                    "list should be type of slice or array but {}",
                    v[0].kind_name()
                ));
            };
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let start = v.get(1).map(to_i64).unwrap_or(0);
            let end = if v.len() < 3 {
                l.len() as i64
            } else {
                to_i64(&v[2])
            };
            if start < 0 || end < start || end > l.len() as i64 {
                return Err("reflect.Value.Slice: slice index out of bounds".into());
            }
            let part = copy_of(&l[start as usize..end as usize], 0)?;
            Ok(Value::typed_list(part, *elem))
        }),
        "concat" => Func::var(&[], Any, |v| {
            let mut len = 0u64;
            for x in &v {
                if x.is_nil() {
                    return Err(NIL_DEREF.into());
                }
                match x {
                    Value::List(l, _) => len += l.len() as u64,
                    _ => return Err(format!("Cannot concat type {} as list", x.kind_name())),
                }
            }
            budget::fits(len * SLOT)?;
            let mut out = Vec::with_capacity(len as usize);
            for x in &v {
                if let Value::List(l, _) = x {
                    out.extend(l.iter().cloned());
                }
            }
            Ok(Value::list(out))
        }),
        "chunk" | "mustChunk" => Func::new(&[Int, Any], |v| {
            let size = n(&v, 0);
            let l = list_arg(&v[1])?
                .ok_or_else(|| format!("Cannot chunk type {}", v[1].kind_name()))?;
            if size <= 0 {
                return Err("runtime error: makeslice: len out of range".into());
            }
            let chunks = l.len().div_ceil(size as usize) as u64;
            budget::fits((l.len() as u64 + chunks) * SLOT)?;
            Ok(Value::list(
                l.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        }),
        // Reflection.
        "typeOf" => Func::new(&[Any], |v| Ok(Value::str(a(&v, 0).type_name()))),
        "typeIs" => Func::new(&[Str, Any], |v| {
            Ok(Value::Bool(s(&v, 0) == a(&v, 1).type_name()))
        }),
        "typeIsLike" => Func::new(&[Str, Any], |v| {
            let t = a(&v, 1).type_name();
            let want = s(&v, 0);
            Ok(Value::Bool(want == t || want == format!("*{t}")))
        }),
        "kindOf" => Func::new(&[Any], |v| Ok(Value::str(kind_of(&a(&v, 0))))),
        "kindIs" => Func::new(&[Str, Any], |v| {
            Ok(Value::Bool(s(&v, 0) == kind_of(&a(&v, 1))))
        }),
        "deepEqual" => Func::new(&[Any, Any], |v| Ok(Value::Bool(deep_equal(&v[0], &v[1])))),
        _ => return None,
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        other => other.kind_name(),
    }
}

fn go_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
}

fn go_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
}

/// `strconv.Atoi` with the error dropped: junk gives 0, overflow the clamped value.
pub(super) fn atoi(x: &str) -> i64 {
    let (neg, digits) = match x.as_bytes().first() {
        Some(b'-') => (true, &x[1..]),
        Some(b'+') => (false, &x[1..]),
        _ => (false, x),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    match digits.parse::<i64>() {
        Ok(v) if neg => -v,
        Ok(v) => v,
        Err(_) if neg => i64::MIN,
        Err(_) => i64::MAX,
    }
}

fn map_of(v: &Value) -> Option<&Rc<std::cell::RefCell<BTreeMap<String, Value>>>> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// A list argument's elements (shared), or `None` when it is not a list. A nil argument
/// is Go's panic inside sprig (`reflect.TypeOf(nil).Kind()`).
fn list_arg(v: &Value) -> Result<Option<Rc<Vec<Value>>>, String> {
    match v {
        Value::Nil => Err(NIL_DEREF.into()),
        Value::List(l, _) => Ok(Some(Rc::clone(l))),
        _ => Ok(None),
    }
}

/// A copy of `items` with room for `extra` more, once it fits the budget.
fn copy_of(items: &[Value], extra: usize) -> Result<Vec<Value>, String> {
    budget::fits((items.len() + extra) as u64 * SLOT)?;
    let mut v = Vec::with_capacity(items.len() + extra);
    v.extend(items.iter().cloned());
    Ok(v)
}

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

fn int_list(v: Vec<i64>) -> Value {
    Value::typed_list(v.into_iter().map(Value::Int).collect(), Elem::Int)
}

fn bytes_list(v: Vec<Bytes>) -> Value {
    Value::typed_list(v.into_iter().map(Value::Str).collect(), Elem::Str)
}

/// sprig `join`: the total length must fit the budget before the result is built.
fn join(parts: &[Bytes], sep: &[u8]) -> Result<Value, String> {
    let len: u64 = parts.iter().map(|p| p.len() as u64).sum::<u64>()
        + (sep.len() as u64).saturating_mul(parts.len().saturating_sub(1) as u64);
    budget::fits(len)?;
    let mut out = Vec::with_capacity(len as usize);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(p);
    }
    Ok(Value::str(out))
}

/// sprig `untilStep`; the count must fit the budget before the list is built.
fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    let mut v = Vec::new();
    let up = stop >= start;
    if (up && step <= 0) || (!up && step >= 0) {
        return Ok(v);
    }
    let span = (i128::from(stop) - i128::from(start)).unsigned_abs();
    let count = span.div_ceil(i128::from(step).unsigned_abs());
    budget::fits(
        u64::try_from(count)
            .unwrap_or(u64::MAX)
            .saturating_mul(SLOT),
    )?;
    v.reserve(count as usize);
    let mut i = start;
    while (up && i < stop) || (!up && i > stop) {
        v.push(i);
        match i.checked_add(step) {
            Some(n) => i = n,
            None => break,
        }
    }
    Ok(v)
}

fn seq(p: &[i64]) -> Result<String, String> {
    let list = match p.len() {
        1 => {
            let (start, end) = (1, p[0]);
            let inc = if end < start { -1 } else { 1 };
            until_step(start, end.saturating_add(inc), inc)?
        }
        2 => {
            let (start, end) = (p[0], p[1]);
            let step = if end < start { -1 } else { 1 };
            until_step(start, end.saturating_add(step), step)?
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok(String::new());
                }
            }
            until_step(start, end.saturating_add(inc), step)?
        }
        _ => return Ok(String::new()),
    };
    Ok(list
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" "))
}

/// Go's `strings.SplitN` (n < 0: all); the parts must fit the budget first.
fn go_splitn<'x>(x: &'x [u8], sep: &[u8], n: i64) -> Result<Vec<&'x [u8]>, String> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let finder = if sep.is_empty() {
        None
    } else {
        Some(aho_corasick::AhoCorasick::new([sep]).map_err(|e| e.to_string())?)
    };
    let count = match &finder {
        Some(f) => f.find_iter(x).count() + 1,
        None => runes(x).count(),
    } as u64;
    let count = if n > 0 { count.min(n as u64) } else { count };
    budget::fits(count * (SLOT + 8) + x.len() as u64)?;
    let mut out = Vec::new();
    match &finder {
        // Go splits into UTF-8 sequences, a byte that is not UTF-8 on its own.
        None => {
            for (i, r) in runes(x).enumerate() {
                if n > 0 && i as i64 == n - 1 {
                    out.push(&x[r.start..]);
                    break;
                }
                out.push(&x[r]);
            }
        }
        Some(f) => {
            let mut last = 0;
            for m in f.find_iter(x) {
                if n > 0 && out.len() as i64 == n - 1 {
                    break;
                }
                out.push(&x[last..m.start()]);
                last = m.end();
            }
            out.push(&x[last..]);
        }
    }
    Ok(out)
}

/// The byte ranges of `x`'s runes (Go's `utf8.DecodeRune` steps).
fn runes(x: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let rest = x.get(i..).filter(|r| !r.is_empty())?;
        let start = i;
        i += super::gofmt::decode_rune(rest).1;
        Some(start..i)
    })
}

fn split_map(parts: Vec<&[u8]>) -> Value {
    let m: BTreeMap<String, Bytes> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Bytes::from(*p)))
        .collect();
    Value::StrMap(Rc::new(m))
}

/// `copystructure.Copy`: a shared list or map is copied each time it is reached, as in
/// Go, so each copy is charged; a map that contains itself stops at the nesting limit.
fn deep_copy(v: &Value, depth: usize) -> Result<Value, String> {
    if depth > Budget::MAX_VALUE_DEPTH {
        return Err(budget::too_deep());
    }
    budget::steps(1)?;
    Ok(match v {
        Value::List(l, e) => {
            budget::fits(l.len() as u64 * SLOT)?;
            let items = l
                .iter()
                .map(|x| deep_copy(x, depth + 1))
                .collect::<Result<_, _>>()?;
            Value::typed_list(items, *e)
        }
        Value::Map(m) => {
            let entries = m
                .borrow()
                .iter()
                .map(|(k, x)| Ok((k.clone(), deep_copy(x, depth + 1)?)))
                .collect::<Result<_, String>>()?;
            Value::map(entries)
        }
        other => other.clone(),
    })
}

/// sprig `dig`: `dig "a" "b" default dict`.
fn dig(v: &[Value]) -> Result<Value, String> {
    if v.len() < 3 {
        return Err("dig needs at least three arguments".into());
    }
    let dict = v.last().cloned().unwrap_or(Value::Nil);
    let default = v[v.len() - 2].clone();
    let keys: Vec<String> = v[..v.len() - 2]
        .iter()
        .map(|k| match k {
            Value::Str(s) => Ok(s.to_str_lossy().into_owned()),
            Value::Nil => Err("interface conversion: interface {} is nil, not string".to_string()),
            other => Err(format!(
                "interface conversion: interface {{}} is {}, not string",
                other.type_name()
            )),
        })
        .collect::<Result<_, _>>()?;
    let mut cur = dict;
    for (i, k) in keys.iter().enumerate() {
        let next = match &cur {
            Value::Map(m) => m.borrow().get(k).cloned(),
            _ => {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    cur.type_name()
                ));
            }
        };
        match next {
            Some(x) if i + 1 == keys.len() => return Ok(x),
            Some(x) => cur = x,
            None => return Ok(default),
        }
    }
    Ok(default)
}
