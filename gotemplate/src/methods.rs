//! Methods of the struct values sprig functions return, which templates call by name
//! (`(semver "1.2.3").Major`, `$v.Compare $w`). The receiver is the body's first argument;
//! `Func::params` lists the other parameters, as Go's reflection does for a method value.

use std::cmp::Ordering;
use std::rc::Rc;

use super::func::{Func, Ty, s};
use super::semver_version::Version;
use super::sprig_semver::{validate_metadata, validate_prerelease};
use super::value::Value;

/// The method `name` of `recv`, if its method set has one. A `semver.Version` that is not a
/// pointer (what `IncMinor` returns) cannot be addressed, so only the methods declared on
/// the value are there; a `*semver.Version` has all of them.
pub fn lookup(recv: &Value, name: &str) -> Option<Func> {
    let Value::SemVer(_, ptr) = recv else {
        return None;
    };
    use Ty::{Str, Version as V};
    let on_value = match name {
        "String" => Func::new(&[], |a| Ok(Value::str(ver(&a).canonical()))),
        "Major" => Func::new(&[], |a| Ok(Value::Uint(ver(&a).major))),
        "Minor" => Func::new(&[], |a| Ok(Value::Uint(ver(&a).minor))),
        "Patch" => Func::new(&[], |a| Ok(Value::Uint(ver(&a).patch))),
        "Prerelease" => Func::new(&[], |a| Ok(Value::str(ver(&a).pre.as_str()))),
        "Metadata" => Func::new(&[], |a| Ok(Value::str(ver(&a).metadata.as_str()))),
        "IncPatch" => Func::new(&[], |a| {
            let v = ver(&a);
            let mut next = v.clone();
            // A prerelease version's next patch is the release of the same number.
            if v.pre.is_empty() {
                next.patch = v.patch.wrapping_add(1);
            }
            Ok(version_value(reset(next, &v)))
        }),
        "IncMinor" => Func::new(&[], |a| {
            let v = ver(&a);
            let mut next = v.clone();
            next.minor = v.minor.wrapping_add(1);
            next.patch = 0;
            Ok(version_value(reset(next, &v)))
        }),
        "IncMajor" => Func::new(&[], |a| {
            let v = ver(&a);
            let mut next = v.clone();
            next.major = v.major.wrapping_add(1);
            next.minor = 0;
            next.patch = 0;
            Ok(version_value(reset(next, &v)))
        }),
        "SetPrerelease" => Func::new(&[Str], |a| {
            let v = ver(&a);
            let pre = s(&a, 1);
            if !pre.is_empty() {
                validate_prerelease(&pre)?;
            }
            let mut next = v.clone();
            next.pre = pre;
            next.original = format!("{}{}", v_prefix(&v), next.canonical());
            Ok(version_value(next))
        }),
        "SetMetadata" => Func::new(&[Str], |a| {
            let v = ver(&a);
            let meta = s(&a, 1);
            if !meta.is_empty() {
                validate_metadata(&meta)?;
            }
            let mut next = v.clone();
            next.metadata = meta;
            next.original = format!("{}{}", v_prefix(&v), next.canonical());
            Ok(version_value(next))
        }),
        _ => {
            if !ptr {
                return None;
            }
            match name {
                "Original" => Func::new(&[], |a| Ok(Value::str(ver(&a).original.as_str()))),
                "LessThan" => Func::new(&[V], |a| cmp(&a, |o| o.is_lt())),
                "LessThanEqual" => Func::new(&[V], |a| cmp(&a, |o| o.is_le())),
                "GreaterThan" => Func::new(&[V], |a| cmp(&a, |o| o.is_gt())),
                "GreaterThanEqual" => Func::new(&[V], |a| cmp(&a, |o| o.is_ge())),
                "Equal" => Func::new(&[V], |a| match a.get(1) {
                    // Equal checks for nil before comparing.
                    Some(Value::SemVer(..)) => cmp(&a, |o| o.is_eq()),
                    _ => Ok(Value::Bool(false)),
                }),
                "Compare" => Func::new(&[V], |a| {
                    let o = other(&a)?;
                    Ok(Value::Int(match ver(&a).compare(&o) {
                        Ordering::Less => -1,
                        Ordering::Equal => 0,
                        Ordering::Greater => 1,
                    }))
                }),
                _ => return None,
            }
        }
    };
    Some(on_value)
}

fn ver(a: &[Value]) -> Version {
    match a.first() {
        Some(Value::SemVer(v, _)) => (**v).clone(),
        _ => Version::default(),
    }
}

/// The argument version; Go dereferences a nil `*Version` and the call panics.
fn other(a: &[Value]) -> Result<Version, String> {
    match a.get(1) {
        Some(Value::SemVer(v, _)) => Ok((**v).clone()),
        _ => Err("runtime error: invalid memory address or nil pointer dereference".into()),
    }
}

fn cmp(a: &[Value], test: fn(Ordering) -> bool) -> Result<Value, String> {
    let o = other(a)?;
    Ok(Value::Bool(test(ver(a).compare(&o))))
}

fn version_value(v: Version) -> Value {
    Value::SemVer(Rc::new(v), false)
}

/// The `v` the original text started with, which the `Inc*`/`Set*` results keep.
fn v_prefix(v: &Version) -> &'static str {
    if v.original.starts_with('v') { "v" } else { "" }
}

/// Drops prerelease and metadata, and rewrites the original text to match.
fn reset(mut next: Version, from: &Version) -> Version {
    next.pre.clear();
    next.metadata.clear();
    next.original = format!("{}{}", v_prefix(from), next.canonical());
    next
}
