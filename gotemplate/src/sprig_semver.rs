//! Sprig's `semverCompare` with Masterminds/semver v3.4.0's rules: its loose version syntax
//! (`v` prefix, missing minor or patch), `x`/`*` wildcards, hyphen ranges, `,`/space AND,
//! `||` OR, and prereleases matching only when a constraint of their group names one.
//! (The `semver` crate follows Cargo's rules, which differ on all of these.)

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::budget;
use super::func::{Func, Ty, s};
use super::semver_version::Version;
use super::value::Value;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::Str;
    Some(match name {
        "semver" => Func::new(&[Str], |v| {
            let version = s(&v, 0);
            budget::steps(1 + version.len() as u64 / 8)?;
            Ok(Value::SemVer(
                std::rc::Rc::new(Version::parse(&version)?),
                true,
            ))
        }),
        "semverCompare" => Func::new(&[Str, Str], |v| {
            let (constraint, version) = (s(&v, 0), s(&v, 1));
            budget::steps(1 + (constraint.len() + version.len()) as u64 / 8)?;
            let c = Constraints::parse(&constraint)?;
            let v = Version::parse(&version)?;
            Ok(Value::Bool(c.check(&v)))
        }),
        _ => return None,
    })
}

// Grammar of versions and constraints (Masterminds' loose syntax).
const CV: &str = r"v?([0-9|xX*]+)(\.[0-9|xX*]+)?(\.[0-9|xX*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

fn regex(pattern: String) -> Regex {
    // The patterns are constants; a failure here is a programming error caught by tests.
    Regex::new(&pattern).unwrap_or_else(|e| panic!("semver grammar: {e}"))
}

static LOOSE_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
            .to_string(),
    )
});
static CONSTRAINT: LazyLock<Regex> = LazyLock::new(|| regex(format!(r"^\s*({OPS})\s*({CV})\s*$")));
static RANGE: LazyLock<Regex> = LazyLock::new(|| regex(format!(r"\s*({CV})\s+-\s+({CV})\s*")));
static FIND: LazyLock<Regex> = LazyLock::new(|| regex(format!(r"({OPS})\s*({CV})")));
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    regex(format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
});

impl Version {
    /// Masterminds' `NewVersion` (coercing): the loose grammar, then checks of the
    /// prerelease and metadata parts.
    pub fn parse(v: &str) -> Result<Version, String> {
        let invalid = || "invalid semantic version".to_string();
        let m = LOOSE_VERSION.captures(v).ok_or_else(invalid)?;
        let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
        let segment = |t: &str| -> Result<u64, String> {
            let t = t.trim_start_matches('.');
            if t.is_empty() {
                return Ok(0);
            }
            t.parse::<u64>().map_err(|_| {
                format!(
                    "error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
                    super::gofmt::quote(t)
                )
            })
        };
        let version = Version {
            major: segment(group(1))?,
            minor: segment(group(2))?,
            patch: segment(group(3))?,
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
            original: v.to_string(),
        };
        if !version.pre.is_empty() {
            validate_prerelease(&version.pre)?;
        }
        if !version.metadata.is_empty() {
            validate_metadata(&version.metadata)?;
        }
        Ok(version)
    }

    /// Go's `Version.String`: the canonical form, without a `v`.
    pub fn canonical(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            out.push('-');
            out.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            out.push('+');
            out.push_str(&self.metadata);
        }
        out
    }

    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn identifier_ok(part: &str) -> bool {
    part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Dot-separated identifiers, none empty; numeric ones without leading zeros.
pub fn validate_prerelease(pre: &str) -> Result<(), String> {
    for part in pre.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        }
        if part.bytes().all(|b| b.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !identifier_ok(part) {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

/// Dot-separated identifiers, none empty.
pub fn validate_metadata(meta: &str) -> Result<(), String> {
    if meta.split('.').all(|p| !p.is_empty() && identifier_ok(p)) {
        Ok(())
    } else {
        Err("invalid metadata string".into())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        if x == y {
            continue;
        }
        // A missing part sorts first; numbers sort before words; words compare as bytes.
        return match (x.is_empty(), y.is_empty()) {
            (true, _) => Ordering::Less,
            (_, true) => Ordering::Greater,
            _ => match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(n), Ok(m)) if n > m => Ordering::Greater,
                (Ok(_), Ok(_)) => Ordering::Less,
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                (Err(_), Err(_)) if x > y => Ordering::Greater,
                (Err(_), Err(_)) => Ordering::Less,
            },
        };
    }
    Ordering::Equal
}

struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

fn is_x(t: &str) -> bool {
    matches!(t, "x" | "X" | "*")
}

impl Constraint {
    fn parse(c: &str) -> Result<Constraint, String> {
        if c.is_empty() {
            return Ok(Constraint {
                op: String::new(),
                con: Version::parse("0.0.0")?,
                dirty: true,
                minor_dirty: false,
                patch_dirty: false,
            });
        }
        let m = CONSTRAINT
            .captures(c)
            .ok_or_else(|| format!("improper constraint: {c}"))?;
        let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
        let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
        let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
        let version = if is_x(major) || major.is_empty() {
            dirty = true;
            format!("0.0.0{pre}")
        } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
            dirty = true;
            minor_dirty = true;
            format!("{major}.0.0{pre}")
        } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{major}{minor}.0{pre}")
        } else {
            group(2).to_string()
        };
        let con = Version::parse(&version).map_err(|_| "constraint parser error".to_string())?;
        Ok(Constraint {
            op: group(1).to_string(),
            con,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }

    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" if self.dirty => self.tilde(v),
            "" | "=" => v.compare(c).is_eq(),
            "!=" => self.not_equal(v),
            ">" => {
                if !self.dirty || v.major != c.major {
                    return v.compare(c).is_gt();
                }
                if self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c).is_gt()
                }
            }
            "<" => v.compare(c).is_lt(),
            ">=" | "=>" => v.compare(c).is_ge(),
            "<=" | "=<" => {
                if !self.dirty {
                    return v.compare(c).is_le();
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.patch != v.patch && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                return (!v.pre.is_empty() || !c.pre.is_empty())
                    && compare_prerelease(&v.pre, &c.pre).is_ne();
            }
        }
        !v.compare(c).is_eq()
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

struct Constraints(Vec<(Vec<Constraint>, bool)>);

impl Constraints {
    fn parse(text: &str) -> Result<Constraints, String> {
        // Hyphen ranges become `>= a, <= b`, each first occurrence in turn.
        let mut c = text.to_string();
        for m in RANGE.captures_iter(text) {
            let whole = m.get(0).map_or("", |g| g.as_str());
            let lo = m.get(1).map_or("", |g| g.as_str());
            let hi = m.get(11).map_or("", |g| g.as_str());
            c = c.replacen(whole, &format!(">= {lo}, <= {hi} "), 1);
        }
        let mut groups = Vec::new();
        for part in c.split("||") {
            if !VALID.is_match(part) {
                return Err(format!("improper constraint: {part}"));
            }
            let mut found: Vec<&str> = FIND.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let group = found
                .into_iter()
                .map(Constraint::parse)
                .collect::<Result<Vec<_>, _>>()?;
            let has_pre = group.iter().any(|c| !c.con.pre.is_empty());
            groups.push((group, has_pre));
        }
        Ok(Constraints(groups))
    }

    fn check(&self, v: &Version) -> bool {
        self.0
            .iter()
            .any(|(group, pre)| group.iter().all(|c| c.check(v, *pre)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(c: &str, v: &str) -> Result<bool, String> {
        Ok(Constraints::parse(c)?.check(&Version::parse(v)?))
    }

    #[test]
    fn follows_masterminds_rules() {
        assert_eq!(cmp(">=1.2.0", "1.4.2"), Ok(true));
        assert_eq!(cmp(">=1.2.0", "v2.0.0-rc.1+build.5"), Ok(false));
        assert_eq!(cmp("^1.x", "1.9.9"), Ok(true));
        assert_eq!(cmp(">1.0.0-beta", "1.0.0-alpha"), Ok(false));
        assert_eq!(cmp("~1.4.0", "1.4.2"), Ok(true));
        assert_eq!(cmp("1.2.x", "1.3.0"), Ok(false));
        assert_eq!(cmp("1.0 - 2.0", "1.5.0"), Ok(true));
        assert_eq!(cmp("<1.0 || >=3", "3.1.0"), Ok(true));
        assert_eq!(
            cmp("~1.2", "1.2.3.4"),
            Err("invalid semantic version".to_string())
        );
        assert!(cmp("foo", "1.0.0").is_err());
    }
}
