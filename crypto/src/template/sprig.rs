//! The function map upstream installs: Go's built-ins plus sprig v3.3.0's
//! `GenericFuncMap()` without `env`, `expandenv` and `getHostByName`.

use super::builtins;
use super::func::{Func, Ty};
use super::sprig_aes;
use super::sprig_data;
use super::sprig_duration;
use super::sprig_float;
use super::sprig_merge;
use super::sprig_password;
use super::sprig_random;
use super::sprig_semver;
use super::sprig_str;
use super::sprig_text;
use super::sprig_time;
use super::sprig_url;
use super::value::Value;

/// Sprig functions that parse (upstream knows them) but fail when called here: not
/// implemented yet. See `crypto/TEMPLATES.md`.
pub const UNSUPPORTED: &[&str] = &[
    // Keys and certificates.
    "genPrivateKey",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    // Others.
    "semver",
];

/// The function `name` as the evaluator calls it.
pub fn lookup(name: &str) -> Option<Func> {
    // Sprig entries shadow built-ins of the same name (only `slice` in practice).
    if let Some(f) = sprig_data::lookup(name)
        .or_else(|| sprig_aes::lookup(name))
        .or_else(|| sprig_url::lookup(name))
        .or_else(|| sprig_semver::lookup(name))
        .or_else(|| sprig_str::lookup(name))
        .or_else(|| sprig_text::lookup(name))
        .or_else(|| sprig_float::lookup(name))
        .or_else(|| sprig_merge::lookup(name))
        .or_else(|| sprig_duration::lookup(name))
        .or_else(|| sprig_time::lookup(name))
        .or_else(|| sprig_random::lookup(name))
        .or_else(|| sprig_password::lookup(name))
    {
        return Some(f);
    }
    if let Some(f) = builtins::lookup(name) {
        return Some(f);
    }
    if UNSUPPORTED.contains(&name) {
        return Some(Func::var(&[], Ty::Any, unsupported));
    }
    None
}

fn unsupported(_: Vec<Value>) -> Result<Value, String> {
    Err("function not supported by sealwright templates".into())
}

/// Whether the parser accepts `name` as a function.
pub fn has_function(name: &str) -> bool {
    lookup(name).is_some()
}
