//! Dynamic values as Go's `reflect.Value` sees them inside a template, with Go's type names.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::budget;
use super::gotime::GoTime;
use super::semver_version::Version;

/// A Go string: immutable bytes (not necessarily UTF-8), shared on clone. Making one from
/// new text charges its length to the render's budget.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(Rc<[u8]>);

impl Bytes {
    /// The text, with U+FFFD for bytes that are not UTF-8 (borrowed when it is UTF-8).
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Shares `b` without charging it (for values that exist outside the render already).
    pub fn shared(b: Rc<[u8]>) -> Bytes {
        Bytes(b)
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        // Sticky: an overrun is reported by the evaluator after the call that made it.
        let _ = budget::bytes(v.len() as u64);
        Bytes(v.into())
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Bytes {
        let _ = budget::bytes(v.len() as u64);
        Bytes(v.into())
    }
}

impl From<String> for Bytes {
    fn from(v: String) -> Bytes {
        Bytes::from(v.into_bytes())
    }
}

impl From<&str> for Bytes {
    fn from(v: &str) -> Bytes {
        Bytes::from(v.as_bytes())
    }
}

/// Bytes a list element is charged, besides its own strings; a map entry is charged two
/// (key and value), and a list or map itself two more for its headers.
pub const SLOT: u64 = std::mem::size_of::<Value>() as u64;

/// Element type of a slice, which only matters for `%T`/`typeOf` and for parameter checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// `[]interface {}`
    Any,
    /// A nil `[]interface {}` (always empty): JSON `null`, and not deeply equal to an
    /// empty slice.
    AnyNil,
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
    Str(Bytes),
    List(Rc<Vec<Value>>, Elem),
    /// `map[string]interface {}`: shared, because sprig's `set`/`unset` mutate in place.
    Map(Rc<RefCell<BTreeMap<String, Value>>>),
    /// `map[string]string`: the dot, and the result of `split`.
    StrMap(Rc<BTreeMap<String, Bytes>>),
    /// `time.Time`.
    Time(Rc<GoTime>),
    /// Go `uint64` (what `semver.Version.Major` and friends return).
    Uint(u64),
    /// `*semver.Version` when `ptr`, else `semver.Version` (what `IncMinor` returns).
    SemVer(Rc<Version>, bool),
    /// sprig's `certificate` struct: PEM `Cert` and `Key`.
    Cert(Rc<CertPair>),
}

/// The fields of sprig's `certificate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPair {
    pub cert: Bytes,
    pub key: Bytes,
}

impl Value {
    /// A string value (charged to the budget).
    pub fn str(s: impl Into<Bytes>) -> Value {
        Value::Str(s.into())
    }

    /// An `[]interface {}` (its slots charged to the budget).
    pub fn list(v: Vec<Value>) -> Value {
        Value::typed_list(v, Elem::Any)
    }

    /// A slice of the given element type (its slots charged to the budget).
    pub fn typed_list(v: Vec<Value>, elem: Elem) -> Value {
        let _ = budget::bytes((v.len() as u64 + 2) * SLOT);
        Value::List(Rc::new(v), elem)
    }

    pub fn str_list(v: Vec<String>) -> Value {
        Value::typed_list(v.into_iter().map(Value::str).collect(), Elem::Str)
    }

    /// A `map[string]interface {}` (charged, and emptied when the render ends).
    pub fn map(m: BTreeMap<String, Value>) -> Value {
        let entries: u64 = m.keys().map(|k| k.len() as u64 + 2 * SLOT).sum();
        let _ = budget::bytes(entries + 2 * SLOT);
        let cell = Rc::new(RefCell::new(m));
        budget::adopt(Rc::clone(&cell) as Rc<dyn budget::Emptied>);
        Value::Map(cell)
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
            Value::List(_, Elem::Any | Elem::AnyNil) => "[]interface {}",
            Value::List(_, Elem::Str) => "[]string",
            Value::List(_, Elem::Int) => "[]int",
            Value::Map(_) => "map[string]interface {}",
            Value::StrMap(_) => "map[string]string",
            Value::Time(_) => "time.Time",
            Value::Uint(_) => "uint64",
            Value::SemVer(_, true) => "*semver.Version",
            Value::SemVer(_, false) => "semver.Version",
            Value::Cert(_) => "sprig.certificate",
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
            Value::Time(_) | Value::SemVer(_, false) | Value::Cert(_) => "struct",
            Value::Uint(_) => "uint64",
            Value::SemVer(_, true) => "ptr",
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
    /// Shared lists and maps are measured once, so a value made of `list $l $l` layers
    /// costs steps in proportion to its distinct parts, not its unfolded size.
    pub fn deeper_than(&self, limit: usize) -> bool {
        let mut seen = HashMap::new();
        height(self, limit + 1, &mut seen) > limit
    }

    /// text/template's `isTrue`.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            // A struct is always true.
            Value::Time(_) | Value::SemVer(..) | Value::Cert(_) => true,
            Value::Uint(u) => *u != 0,
            other => other.len().unwrap_or(0) > 0,
        }
    }
}

/// Go's `reflect.DeepEqual` over the values templates can build. Each value compared is an
/// evaluation step; the same list or map on both sides is equal without a walk, as in Go.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_at(a, b, 0)
}

fn deep_equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if !budget::step() {
        return false;
    }
    if depth > budget::Budget::MAX_VALUE_DEPTH {
        budget::too_deep();
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x, ex), Value::List(y, ey)) => {
            ex == ey
                && x.len() == y.len()
                && (Rc::ptr_eq(x, y)
                    || x.iter()
                        .zip(y.iter())
                        .all(|(p, q)| deep_equal_at(p, q, depth + 1)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal_at(v, w, depth + 1)))
        }
        (Value::StrMap(x), Value::StrMap(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::Uint(x), Value::Uint(y)) => x == y,
        // Pointers are deeply equal when they point at equal values.
        (Value::SemVer(x, px), Value::SemVer(y, py)) => px == py && x == y,
        (Value::Cert(x), Value::Cert(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => {
            x.secs == y.secs && x.nsec == y.nsec && x.mono == y.mono
        }
        _ => false,
    }
}

/// Nesting height of `v` (a scalar is 0), stopping at `cap`; `seen` memoises shared
/// containers by address (a container still being measured is a cycle: `cap`).
fn height(v: &Value, cap: usize, seen: &mut HashMap<usize, usize>) -> usize {
    let key = match v {
        Value::List(l, _) => Rc::as_ptr(l) as usize,
        Value::Map(m) => Rc::as_ptr(m) as usize,
        Value::StrMap(_) => return 1,
        _ => return 0,
    };
    if let Some(&h) = seen.get(&key) {
        return h;
    }
    if cap == 0 || !budget::step() {
        return cap;
    }
    seen.insert(key, cap);
    let mut h = 0;
    // Whether `x` makes the height reach the cap (then the walk can stop).
    let mut child = |x: &Value, h: &mut usize| {
        if matches!(x, Value::List(..) | Value::Map(_) | Value::StrMap(_)) {
            *h = (*h).max(height(x, cap - 1, seen));
        } else if !budget::step() {
            *h = cap - 1;
        }
        *h + 1 >= cap
    };
    match v {
        Value::List(l, _) => {
            for x in l.iter() {
                if child(x, &mut h) {
                    break;
                }
            }
        }
        Value::Map(m) => match m.try_borrow() {
            Ok(m) => {
                for x in m.values() {
                    if child(x, &mut h) {
                        break;
                    }
                }
            }
            Err(_) => h = cap - 1,
        },
        _ => {}
    }
    let h = (h + 1).min(cap);
    seen.insert(key, h);
    h
}

impl budget::Emptied for RefCell<BTreeMap<String, Value>> {
    fn take_contents(&self) -> Box<dyn std::any::Any> {
        Box::new(std::mem::take(&mut *self.borrow_mut()))
    }
}

/// Steps charged for handing a value to a function: its strings and list lengths, so
/// functions whose work grows with their input (hashes, regexps, searches) are bounded.
pub fn input_cost(v: &Value) -> u64 {
    match v {
        Value::Str(s) => 1 + s.len() as u64 / 16,
        Value::List(l, _) => 1 + l.len() as u64,
        Value::Map(m) => 1 + m.borrow().len() as u64,
        Value::StrMap(m) => 1 + m.len() as u64,
        _ => 1,
    }
}
