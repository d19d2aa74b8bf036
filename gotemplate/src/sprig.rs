//! The function map upstream installs: Go's built-ins plus sprig v3.3.0's
//! `GenericFuncMap()` without `env`, `expandenv` and `getHostByName`.

use super::builtins;
use super::func::Func;
use super::sprig_aes;
use super::sprig_cert;
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
        .or_else(|| sprig_cert::lookup(name))
    {
        return Some(f);
    }
    if let Some(f) = builtins::lookup(name) {
        return Some(f);
    }
    None
}

/// Whether the parser accepts `name` as a function.
pub fn has_function(name: &str) -> bool {
    lookup(name).is_some()
}
