//! One file: find its SealedSecrets, re-encrypt them, and work out the new bytes. All or
//! nothing: any failure in the file means no new bytes, only errors.

use std::path::Path;

use serde_yaml::Value;

use super::document::{self, Syntax};
use super::error::TreeError;
use super::reseal::Reseal;
use super::splice::{self, Change, Edit};
use crate::gofmt::go_errno_text;
use crate::input;

/// What happened to one file.
#[derive(Debug, Default)]
pub struct FileReport {
    pub sealed_secrets: usize,
    pub objects_changed: usize,
    pub items_changed: usize,
    pub items_current: usize,
    pub errors: Vec<TreeError>,
    /// The rewritten file, when something changed and nothing failed.
    pub new_bytes: Option<Vec<u8>>,
}

/// `SealedSecret ns/name`, from the raw document so that even an unreadable object is named.
pub(crate) fn object_name(v: &Value) -> String {
    let meta = v.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (field("namespace"), field("name")) {
        (Some(ns), Some(name)) => format!("SealedSecret {ns}/{name}"),
        (None, Some(name)) => format!("SealedSecret {name}"),
        (_, None) => "SealedSecret (no name)".to_string(),
    }
}

pub fn process(path: &Path, resealer: &mut dyn Reseal) -> FileReport {
    let shown = path.display().to_string();
    let mut report = FileReport::default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            report.errors.push(TreeError::Read {
                path: shown,
                reason: go_errno_text(&e),
            });
            return report;
        }
    };
    let (syntax, docs) = match document::parse(&bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            report.errors.push(match e.syntax {
                Syntax::Yaml => TreeError::NotYaml {
                    path: shown,
                    reason: e.reason,
                },
                Syntax::Json => TreeError::NotJson {
                    path: shown,
                    reason: e.reason,
                },
            });
            return report;
        }
    };

    let mut edits = Vec::new();
    let mut changes = Vec::new();
    for (place, raw) in document::sealed_secrets(&docs) {
        report.sealed_secrets += 1;
        let object = object_name(raw);
        let parsed = serde_json::to_value(raw)
            .map_err(|e| e.to_string())
            .and_then(|v| input::sealed_secret_lenient(v).map_err(|e| e.to_string()));
        let ss = match parsed {
            Ok(ss) => ss,
            Err(reason) => {
                report.errors.push(TreeError::Object {
                    path: shown.clone(),
                    object,
                    reason: format!("not a readable SealedSecret: {reason}"),
                });
                continue;
            }
        };
        let resealed = match resealer.reseal(&ss) {
            Ok(r) => r,
            Err(failures) => {
                report
                    .errors
                    .extend(failures.into_iter().map(|f| match f.item {
                        Some(item) => TreeError::Item {
                            path: shown.clone(),
                            object: object.clone(),
                            item,
                            reason: f.reason,
                        },
                        None => TreeError::Object {
                            path: shown.clone(),
                            object: object.clone(),
                            reason: f.reason,
                        },
                    }));
                continue;
            }
        };
        report.items_current += resealed.current;
        if !resealed.changed.is_empty() {
            report.objects_changed += 1;
        }
        let range = docs[place.document].range.clone();
        for (item, text) in resealed.changed {
            let old = ss
                .spec
                .encrypted_data
                .get(&item)
                .map(String::as_str)
                .unwrap_or_default();
            match splice::locate(&bytes, range.clone(), old) {
                Ok(at) => {
                    edits.push(Edit {
                        range: at,
                        text: text.clone(),
                    });
                    changes.push(Change { place, item, text });
                    report.items_changed += 1;
                }
                Err(e) => report.errors.push(TreeError::CannotRewrite {
                    path: shown.clone(),
                    object: object.clone(),
                    item,
                    reason: e.to_string(),
                }),
            }
        }
    }
    if !report.errors.is_empty() || edits.is_empty() {
        return report;
    }
    match splice::apply(&bytes, edits) {
        Some(out) if splice::verify(syntax, &docs, &changes, &out) => report.new_bytes = Some(out),
        _ => report.errors.push(TreeError::Verify { path: shown }),
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::reseal::{Failure, Resealed};
    use sealwright_crypto::SealedSecret;

    /// Replaces every item whose ciphertext starts with `Old` by `New…`; fails items named `bad`.
    struct Fake;

    impl Reseal for Fake {
        fn reseal(&mut self, ss: &SealedSecret) -> Result<Resealed, Vec<Failure>> {
            let mut out = Resealed::default();
            let mut failures = Vec::new();
            for (k, v) in &ss.spec.encrypted_data {
                if k == "bad" {
                    failures.push(Failure::item(k, "no key could decrypt secret"));
                } else if let Some(rest) = v.strip_prefix("Old") {
                    out.changed.push((k.clone(), format!("New{rest}")));
                } else {
                    out.current += 1;
                }
            }
            if failures.is_empty() {
                Ok(out)
            } else {
                Err(failures)
            }
        }
    }

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f.yaml");
        std::fs::write(&p, text).expect("write");
        (dir, p)
    }

    const SS: &str = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n  encryptedData:\n";

    #[test]
    fn rewrites_only_changed_items() {
        let text = format!("{SS}    a: OldAAAA # c\n    b: CurBBBB\n---\nkind: ConfigMap\n");
        let (_d, p) = file(&text);
        let r = process(&p, &mut Fake);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(
            (
                r.sealed_secrets,
                r.objects_changed,
                r.items_changed,
                r.items_current
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            r.new_bytes.as_deref(),
            Some(text.replace("OldAAAA", "NewAAAA").as_bytes())
        );
    }

    #[test]
    fn one_failure_means_no_new_bytes() {
        let text = format!("{SS}    a: OldAAAA\n---\n{SS}    bad: OldBBBB\n");
        let (_d, p) = file(&text);
        let r = process(&p, &mut Fake);
        assert!(r.new_bytes.is_none());
        assert_eq!(r.errors.len(), 1);
        assert_eq!(
            r.errors[0].to_string(),
            format!(
                "{}: SealedSecret n/s: item \"bad\": no key could decrypt secret",
                p.display()
            )
        );
    }

    #[test]
    fn no_sealed_secrets_and_bad_yaml() {
        let (_d, p) = file("kind: ConfigMap\n");
        let r = process(&p, &mut Fake);
        assert!(r.errors.is_empty() && r.new_bytes.is_none() && r.sealed_secrets == 0);
        let (_d, p) = file("a: [\n");
        let r = process(&p, &mut Fake);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].name(), "tree_not_yaml");
    }

    #[test]
    fn folded_value_cannot_be_rewritten() {
        let text = format!("{SS}    a: >-\n      OldAA\n      AA\n");
        let (_d, p) = file(&text);
        let r = process(&p, &mut Fake);
        assert!(r.new_bytes.is_none());
        assert_eq!(r.errors[0].name(), "tree_cannot_rewrite");
        assert!(
            r.errors[0]
                .to_string()
                .contains("item \"a\": cannot rewrite in place")
        );
    }
}
