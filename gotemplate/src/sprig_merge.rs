//! Sprig's `merge`, `mergeOverwrite` and their `must` variants: dario.cat/mergo v1.0.1's deep
//! merge of `map[string]interface {}` values, which changes the first map in place.
//!
//! Without overwrite a source key lands when the destination lacks it or holds an empty value
//! (`""`, `0`, `false`, `nil`, an empty list or map); nested maps merge recursively; a list
//! never merges into a non-empty value. With overwrite every source key lands (`nil` too),
//! except that non-empty nested maps still merge and non-empty lists are replaced.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::conv::empty;
use super::func::{Func, Ty};
use super::value::Value;

/// Nesting beyond this is not followed (values are bounded well below it anyway).
const MAX_DEPTH: usize = 128;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "merge" | "mustMerge" => Func::var(&[Map], Map, |v| Ok(merge_all(&v, false))),
        "mergeOverwrite" | "mustMergeOverwrite" => {
            Func::var(&[Map], Map, |v| Ok(merge_all(&v, true)))
        }
        _ => return None,
    })
}

type Shared = Rc<RefCell<BTreeMap<String, Value>>>;

fn merge_all(args: &[Value], overwrite: bool) -> Value {
    // A nil destination becomes a new map, as mergo allocates one.
    let dst: Shared = match args.first() {
        Some(Value::Map(m)) => Rc::clone(m),
        _ => Rc::new(RefCell::new(BTreeMap::new())),
    };
    for src in &args[1..] {
        if let Some(entries) = entries(src) {
            merge_into(&dst, entries, overwrite, 0);
        }
    }
    Value::Map(dst)
}

/// A map's entries as values (a `map[string]string` gives strings).
fn entries(v: &Value) -> Option<Vec<(String, Value)>> {
    match v {
        Value::Map(m) => Some(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Value::StrMap(m) => Some(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
                .collect(),
        ),
        _ => None,
    }
}

fn is_map(v: &Value) -> bool {
    matches!(v, Value::Map(_) | Value::StrMap(_))
}

fn merge_into(dst: &Shared, src: Vec<(String, Value)>, overwrite: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for (key, s) in src {
        let d = dst.borrow().get(&key).cloned();
        match &s {
            Value::Nil => {
                if overwrite {
                    dst.borrow_mut().insert(key, Value::Nil);
                }
                continue;
            }
            Value::Map(_) | Value::StrMap(_) => {
                // Only a map of the same kind merges in place; anything else stays.
                if let Some(Value::Map(inner)) = &d {
                    let same = matches!(&s, Value::Map(m) if Rc::ptr_eq(m, inner));
                    if let (false, Some(nested)) = (same, entries(&s)) {
                        merge_into(inner, nested, overwrite, depth + 1);
                    }
                }
            }
            Value::List(_, elem) => {
                let dst_empty = dst.borrow().is_empty();
                let placed = if overwrite || dst_empty {
                    s.clone()
                } else {
                    match &d {
                        None | Some(Value::Nil) => Value::List(Rc::new(Vec::new()), *elem),
                        Some(x) => x.clone(),
                    }
                };
                dst.borrow_mut().insert(key.clone(), placed);
            }
            _ => {}
        }
        if let Some(existing) = d.as_ref().filter(|x| !empty(x))
            && (matches!(s, Value::List(..)) || (is_map(&s) && is_map(existing)))
        {
            continue;
        }
        if overwrite || d.as_ref().is_none_or(empty) {
            dst.borrow_mut().insert(key, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn get(v: &Value, k: &str) -> Option<Value> {
        match v {
            Value::Map(m) => m.borrow().get(k).cloned(),
            _ => None,
        }
    }

    #[test]
    fn merge_keeps_non_empty_destination_values() {
        let dst = map(&[
            ("a", Value::Int(1)),
            ("e", Value::str("")),
            ("n", map(&[("x", Value::Int(1))])),
        ]);
        let src = map(&[
            ("a", Value::Int(2)),
            ("b", Value::Int(3)),
            ("e", Value::str("z")),
            ("n", map(&[("x", Value::Int(9)), ("y", Value::Int(2))])),
        ]);
        let out = merge_all(&[dst.clone(), src], false);
        assert!(matches!(get(&out, "a"), Some(Value::Int(1))));
        assert!(matches!(get(&out, "b"), Some(Value::Int(3))));
        assert!(matches!(get(&out, "e"), Some(Value::Str(s)) if &s[..] == b"z"));
        let n = get(&out, "n").expect("nested");
        assert!(matches!(get(&n, "x"), Some(Value::Int(1))));
        assert!(matches!(get(&n, "y"), Some(Value::Int(2))));
        // In place, as Go.
        assert!(matches!(get(&dst, "b"), Some(Value::Int(3))));
    }

    #[test]
    fn overwrite_replaces_and_merges_nested_maps() {
        let dst = map(&[("a", Value::str("x")), ("n", map(&[("x", Value::Int(1))]))]);
        let src = map(&[
            ("a", Value::str("")),
            ("n", map(&[("y", Value::Int(2))])),
            ("z", Value::Nil),
        ]);
        let out = merge_all(&[dst, src], true);
        assert!(matches!(get(&out, "a"), Some(Value::Str(s)) if s.is_empty()));
        assert!(matches!(get(&out, "z"), Some(Value::Nil)));
        let n = get(&out, "n").expect("nested");
        assert!(get(&n, "x").is_some() && get(&n, "y").is_some());
    }
}
