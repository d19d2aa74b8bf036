//! Dynamic values as Go's `reflect.Value` sees them inside a template, with Go's type names.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Element type of a slice, which only matters for `%T`/`typeOf` and for parameter checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// `[]interface {}`
    Any,
    /// `[]string`
    Str,
    /// `[]int`
    Int,
}

/// A Go value. `Nil` stands for both an invalid `reflect.Value` and a nil interface: Go
/// collapses the two whenever a pipeline result is unwrapped.
#[derive(Debug, Clone)]
pub enum Value {
    Nil,
    Bool(bool),
    /// Go `int` (64-bit on every platform upstream ships).
    Int(i64),
    /// Go `int64`.
    Int64(i64),
    /// Go `float64`.
    Float(f64),
    Str(String),
    List(Rc<Vec<Value>>, Elem),
    /// `map[string]interface {}`: shared, because sprig's `set`/`unset` mutate in place.
    Map(Rc<RefCell<BTreeMap<String, Value>>>),
    /// `map[string]string`: the dot, and the result of `split`.
    StrMap(Rc<BTreeMap<String, String>>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v), Elem::Any)
    }

    pub fn str_list(v: Vec<String>) -> Value {
        Value::List(Rc::new(v.into_iter().map(Value::Str).collect()), Elem::Str)
    }

    pub fn map(m: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Go's `%T` / `reflect.Type.String()`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_, Elem::Any) => "[]interface {}",
            Value::List(_, Elem::Str) => "[]string",
            Value::List(_, Elem::Int) => "[]int",
            Value::Map(_) => "map[string]interface {}",
            Value::StrMap(_) => "map[string]string",
        }
    }

    /// Go's `reflect.Kind.String()`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(..) => "slice",
            Value::Map(_) | Value::StrMap(_) => "map",
        }
    }

    /// Length for `len` and emptiness checks, when the value has one.
    pub fn len(&self) -> Option<usize> {
        match self {
            Value::Str(s) => Some(s.len()),
            Value::List(v, _) => Some(v.len()),
            Value::Map(m) => Some(m.borrow().len()),
            Value::StrMap(m) => Some(m.len()),
            _ => None,
        }
    }

    /// Whether collections nest more than `limit` levels (a cycle counts as infinite).
    pub fn deeper_than(&self, limit: usize) -> bool {
        if limit == 0 {
            return matches!(self, Value::List(..) | Value::Map(_) | Value::StrMap(_));
        }
        match self {
            Value::List(items, _) => items.iter().any(|x| x.deeper_than(limit - 1)),
            Value::Map(m) => match m.try_borrow() {
                Ok(m) => m.values().any(|x| x.deeper_than(limit - 1)),
                Err(_) => true,
            },
            _ => false,
        }
    }

    /// text/template's `isTrue`.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            other => other.len().unwrap_or(0) > 0,
        }
    }
}

/// Go's `reflect.DeepEqual` over the values templates can build.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x, ex), Value::List(y, ey)) => {
            ex == ey && x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::StrMap(x), Value::StrMap(y)) => x == y,
        _ => false,
    }
}
