//! Function signatures as Go's reflection sees them: parameter types decide how literal
//! arguments are read and which values are accepted.

use super::value::{Bytes, Value};

/// A Go parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `interface {}`
    Any,
    /// `reflect.Value` (the built-ins that look at raw values)
    Refl,
    Str,
    Int,
    F64,
    Bool,
    /// `map[string]interface {}`
    Map,
    /// `time.Time`
    Time,
    /// `[]interface {}`
    List,
    /// `*semver.Version`
    Version,
    /// sprig's `certificate`
    Cert,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Refl => "reflect.Value",
            Ty::Str => "string",
            Ty::Int => "int",
            Ty::F64 => "float64",
            Ty::Bool => "bool",
            Ty::Map => "map[string]interface {}",
            Ty::Time => "time.Time",
            Ty::List => "[]interface {}",
            Ty::Version => "*semver.Version",
            Ty::Cert => "sprig.certificate",
        }
    }

    pub fn can_be_nil(self) -> bool {
        matches!(self, Ty::Any | Ty::Refl | Ty::Map | Ty::List | Ty::Version)
    }

    /// Whether a (non-nil) value is assignable to this type.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            Ty::Any | Ty::Refl => true,
            Ty::Str => matches!(v, Value::Str(_)),
            Ty::Int => matches!(v, Value::Int(_)),
            Ty::F64 => matches!(v, Value::Float(_)),
            Ty::Bool => matches!(v, Value::Bool(_)),
            Ty::Map => matches!(v, Value::Map(_)),
            Ty::Time => matches!(v, Value::Time(_)),
            Ty::List => matches!(
                v,
                Value::List(_, super::value::Elem::Any | super::value::Elem::AnyNil)
            ),
            Ty::Version => matches!(v, Value::SemVer(_, true)),
            Ty::Cert => matches!(v, Value::Cert(_)),
        }
    }
}

/// Built-ins the evaluator treats specially, as Go does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    None,
    And,
    Or,
    Call,
}

pub type Body = fn(Vec<Value>) -> Result<Value, String>;

#[derive(Debug, Clone, Copy)]
pub struct Func {
    pub params: &'static [Ty],
    pub variadic: Option<Ty>,
    pub body: Body,
    pub special: Special,
}

impl Func {
    pub const fn new(params: &'static [Ty], body: Body) -> Func {
        Func {
            params,
            variadic: None,
            body,
            special: Special::None,
        }
    }

    pub const fn var(params: &'static [Ty], variadic: Ty, body: Body) -> Func {
        Func {
            params,
            variadic: Some(variadic),
            body,
            special: Special::None,
        }
    }
}

/// Reads argument `i` as text (the signature guarantees a string); bytes that are not
/// UTF-8 read as U+FFFD.
pub fn s(args: &[Value], i: usize) -> String {
    match args.get(i) {
        Some(Value::Str(s)) => s.to_str_lossy().into_owned(),
        _ => String::new(),
    }
}

/// Reads argument `i` as a Go string: its bytes, shared.
pub fn sb(args: &[Value], i: usize) -> Bytes {
    match args.get(i) {
        Some(Value::Str(s)) => s.clone(),
        _ => Bytes::default(),
    }
}

/// Reads argument `i` as an integer (`int` or `int64` per the signature).
pub fn n(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n)) | Some(Value::Int64(n)) => *n,
        _ => 0,
    }
}

/// Reads argument `i` as a bool.
pub fn b(args: &[Value], i: usize) -> bool {
    matches!(args.get(i), Some(Value::Bool(true)))
}

/// Reads argument `i` as an `interface {}`.
pub fn a(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}
