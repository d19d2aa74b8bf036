//! `.sealed-secrets.yaml`: which cluster (certificate, controller) each file is sealed for.
//!
//! The rules file is found by walking up from the file's directory, like `.sops.yaml`; the
//! nearest one decides, its first matching rule wins. Paths in it are relative to its directory.
//!
//! ```yaml
//! clusters:
//!   prod: {cert: certs/prod.pem}
//!   staging: {context: staging, controllerNamespace: sealed-secrets}
//! rules:
//!   - {path: "clusters/prod/**", cluster: prod, scope: strict}
//!   - {path: "clusters/staging/**", cluster: staging}
//! ```

mod certs;
mod error;
mod format;

use std::path::{Path, PathBuf};

pub use certs::Certs;
pub use error::RulesError;
pub use format::Cluster;

use format::RulesFile;
use sealwright_crypto::Scope;

pub const FILE_NAME: &str = ".sealed-secrets.yaml";

/// The cluster a file is sealed for, with paths made absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub rules_file: PathBuf,
    pub cluster: String,
    pub settings: Cluster,
    pub scope: Option<Scope>,
}

/// The target of `path` (which need not exist yet), or `None` when no rules file is above it
/// or none of its rules matches.
pub fn target_for(path: &Path) -> Result<Option<Target>, RulesError> {
    let abs = absolute(path)?;
    let Some(start) = abs.parent() else {
        return Ok(None);
    };
    for dir in start.ancestors() {
        let file = dir.join(FILE_NAME);
        if !file.is_file() {
            continue;
        }
        let rules = load(&file)?;
        let rel = abs.strip_prefix(dir).unwrap_or(&abs);
        return pick(&file, dir, &rules, rel);
    }
    Ok(None)
}

/// The file's absolute path with its directory's symlinks and `..` resolved (the file itself
/// may be missing, as for `-w`).
fn absolute(path: &Path) -> Result<PathBuf, RulesError> {
    let err = |e: std::io::Error| RulesError::Path {
        path: path.display().to_string(),
        reason: crate::gofmt::go_errno_text(&e),
    };
    let abs = std::path::absolute(path).map_err(err)?;
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => Ok(std::fs::canonicalize(dir).map_err(err)?.join(name)),
        _ => Ok(abs),
    }
}

fn load(file: &Path) -> Result<RulesFile, RulesError> {
    let shown = shown(file);
    let text = std::fs::read_to_string(file).map_err(|e| RulesError::Read {
        file: shown.clone(),
        reason: crate::gofmt::go_errno_text(&e),
    })?;
    if text.trim().is_empty() {
        return Ok(RulesFile {
            clusters: Default::default(),
            rules: Vec::new(),
        });
    }
    let rules: RulesFile = serde_yaml::from_str(&text).map_err(|e| RulesError::Parse {
        file: shown.clone(),
        reason: e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    for (i, rule) in rules.rules.iter().enumerate() {
        let field = |f: &str| format!("rules[{i}].{f}");
        if !rules.clusters.contains_key(&rule.cluster) {
            return Err(RulesError::Field {
                file: shown,
                field: field("cluster"),
                reason: format!("no cluster named {:?} under clusters", rule.cluster),
            });
        }
        if let Err(e) = glob::Pattern::new(&rule.path) {
            return Err(RulesError::Field {
                file: shown,
                field: field("path"),
                reason: format!("not a valid glob: {}", e.msg),
            });
        }
        if let Some(s) = &rule.scope
            && let Err(e) = s.parse::<Scope>()
        {
            return Err(RulesError::Field {
                file: shown,
                field: field("scope"),
                reason: e.to_string(),
            });
        }
    }
    Ok(rules)
}

/// The rules file relative to the current directory when it is below it, as users name files.
fn shown(file: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok())
        .and_then(|d| file.strip_prefix(d).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}

fn pick(
    file: &Path,
    dir: &Path,
    rules: &RulesFile,
    rel: &Path,
) -> Result<Option<Target>, RulesError> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    for rule in &rules.rules {
        let matches = glob::Pattern::new(&rule.path)
            .map(|p| p.matches_path_with(rel, options))
            .unwrap_or(false);
        if !matches {
            continue;
        }
        let Some(cluster) = rules.clusters.get(&rule.cluster) else {
            continue;
        };
        let mut settings = cluster.clone();
        // `~/` is the user's home, as in a shell; anything else is relative to the rules file.
        let beside = |p: &str| match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Path::new(&home).join(rest).display().to_string(),
            _ => dir.join(p).display().to_string(),
        };
        if let Some(c) = &settings.cert
            && crate::certsource::is_filename(c)
        {
            settings.cert = Some(beside(c));
        }
        if let Some(k) = &settings.kubeconfig {
            settings.kubeconfig = Some(beside(k));
        }
        return Ok(Some(Target {
            rules_file: file.to_path_buf(),
            cluster: rule.cluster.clone(),
            settings,
            scope: rule.scope.as_deref().and_then(|s| s.parse().ok()),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(rules: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join(FILE_NAME), rules).expect("write");
        std::fs::create_dir_all(tmp.path().join("clusters/prod/apps")).expect("mkdir");
        tmp
    }

    const RULES: &str = "clusters:\n  prod: {cert: certs/prod.pem}\n  staging: {context: stg, controllerNamespace: ss}\nrules:\n- {path: \"clusters/prod/**\", cluster: prod, scope: namespace-wide}\n- {path: \"**/*.yaml\", cluster: staging}\n";

    #[test]
    fn first_match_wins_and_paths_are_relative_to_the_rules_file() {
        let tmp = repo(RULES);
        let root = std::fs::canonicalize(tmp.path()).expect("canon");
        let t = target_for(&tmp.path().join("clusters/prod/apps/db.yaml"))
            .expect("ok")
            .expect("matched");
        assert_eq!(t.cluster, "prod");
        assert_eq!(t.scope, Some(Scope::NamespaceWide));
        assert_eq!(
            t.settings.cert.as_deref(),
            Some(root.join("certs/prod.pem").to_str().expect("utf8"))
        );
        let t = target_for(&tmp.path().join("other.yaml"))
            .expect("ok")
            .expect("matched");
        assert_eq!(t.cluster, "staging");
        assert_eq!(t.settings.controller_namespace.as_deref(), Some("ss"));
        assert_eq!(target_for(&tmp.path().join("notes.txt")).expect("ok"), None);
    }

    #[test]
    fn errors_name_the_file_and_field() {
        let tmp = repo("clusters:\n  prod: {crt: x}\n");
        let e = target_for(&tmp.path().join("a.yaml")).expect_err("bad field");
        let text = e.to_string();
        assert!(
            text.contains(FILE_NAME) && text.contains("clusters.prod") && text.contains("crt"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        let tmp = repo("clusters: {}\nrules:\n- {path: x, cluster: nope}\n");
        let e = target_for(&tmp.path().join("a.yaml")).expect_err("unknown cluster");
        assert!(
            e.to_string()
                .ends_with("rules[0].cluster: no cluster named \"nope\" under clusters"),
            "{e}"
        );
    }

    #[test]
    fn urls_stay_urls_and_home_is_expanded() {
        let tmp = repo(
            "clusters:\n  a: {cert: \"https://certs.example.invalid/a.pem\", kubeconfig: ~/.kube/a}\nrules:\n- {path: \"**\", cluster: a}\n",
        );
        let t = target_for(&tmp.path().join("x.yaml"))
            .expect("ok")
            .expect("matched");
        assert_eq!(
            t.settings.cert.as_deref(),
            Some("https://certs.example.invalid/a.pem")
        );
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            assert_eq!(
                t.settings.kubeconfig.as_deref(),
                Some(Path::new(&home).join(".kube/a").to_str().expect("utf8"))
            );
        }
    }

    #[test]
    fn no_rules_file_means_no_target() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // The temp dir's ancestors (/tmp, /) hold no rules file on a test machine.
        assert_eq!(target_for(&tmp.path().join("a.yaml")).expect("ok"), None);
    }
}
