//! One file: read it as documents (the same reader as `kubeseal reencrypt`), and lint each
//! SealedSecret in it. Findings come back in line order.

use std::collections::HashMap;
use std::path::Path;

use super::ciphertext::{self, Against};
use super::finding::{Finding, Rule};
use super::lines::{self, Lines};
use super::lookup::Lookup;
use super::object::Object;
use super::{meta, secret};
use crate::gofmt::go_errno_text;
use crate::tree::document::{self, Syntax};

pub fn lint(path: &Path, lookup: &Lookup) -> Vec<Finding> {
    let shown = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![Finding::file(&shown, 0, Rule::Read, go_errno_text(&e))],
    };
    let docs = match document::parse(&bytes) {
        Ok((_, docs)) => docs,
        Err(e) => {
            let what = match e.syntax {
                Syntax::Yaml => "YAML",
                Syntax::Json => "JSON",
            };
            // A reader that runs into the end of the file names the line after the last.
            let last = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            return vec![Finding::file(
                &shown,
                error_line(&e.reason).min(last.max(1)),
                Rule::Syntax,
                format!("not valid {what}: {}", e.reason),
            )];
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut findings = Vec::new();
    let cert = lookup.cert_for(path).unwrap_or_else(|why| {
        findings.push(Finding::file(&shown, 0, Rule::Rules, why));
        None
    });
    let against = Against {
        cert: cert.as_ref(),
        keys: lookup.keys(),
        default_namespace: lookup.namespace(),
    };
    let mut positions: HashMap<usize, Lines> = HashMap::new();
    for (place, value) in document::sealed_secrets(&docs) {
        let lines = positions
            .entry(place.document)
            .or_insert_with(|| lines::of_document(&text, docs[place.document].range.clone()));
        let mut obj = Object::new(value, lines, place.list_item, &shown);
        let scope = meta::check(&mut obj);
        secret::check(&mut obj);
        ciphertext::check(&mut obj, scope, &against);
        findings.append(&mut obj.findings);
    }
    // Stable: findings on one line keep the order the checks made them in.
    findings.sort_by_key(|f| f.line);
    findings
}

/// The line a reader's message names (`line N column M: ...`), else the first.
fn error_line(reason: &str) -> usize {
    reason
        .strip_prefix("line ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, rule)` of each finding for `text` as a file, linted without keys or certificate.
    fn lint_text(text: &str) -> Vec<(usize, &'static str)> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("f.yaml");
        std::fs::write(&path, text).expect("write");
        lint(&path, &Lookup::default())
            .iter()
            .map(|f| (f.line, f.rule.name()))
            .collect()
    }

    fn ss(meta: &str, spec: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\n{meta}spec:\n{spec}"
        )
    }

    #[test]
    fn secret_types_and_their_keys() {
        let typed = |t: &str, keys: &str| {
            lint_text(&ss(
                "",
                &format!("  template:\n    type: {t}\n    data:\n{keys}"),
            ))
        };
        assert_eq!(typed("kubernetes.io/basic-auth", "      password: x\n"), []);
        assert_eq!(
            typed("kubernetes.io/basic-auth", "      other: x\n"),
            [(8, "secret-type")]
        );
        assert_eq!(
            typed("kubernetes.io/service-account-token", "      token: x\n"),
            [(8, "secret-type")],
            "the service account annotation is required"
        );
        assert_eq!(typed("helm.sh/release.v1", "      x: y\n"), []);
        assert_eq!(typed("Opaque", "      x: y\n"), []);
        assert_eq!(
            typed("mytype", "      x: y\n"),
            [],
            "Kubernetes keeps custom types as given"
        );
        assert_eq!(
            typed("kubernetes.io/tsl", "      x: y\n"),
            [(8, "secret-type")]
        );
        assert_eq!(
            typed(
                "kubernetes.io/dockerconfigjson",
                "      .dockerconfigjson: \"{}\"\n"
            ),
            []
        );
    }

    #[test]
    fn structure_and_scope_details() {
        assert_eq!(
            lint_text(&ss("", "  encryptedData:\n    port: 5432\n")),
            [(8, "structure")]
        );
        assert_eq!(
            lint_text(&ss(
                "  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: true\n",
                "  template:\n    data:\n      gone: null\n"
            )),
            [(7, "structure")],
            "an unquoted true is not a string annotation; a null template is fine"
        );
        assert_eq!(
            lint_text(&ss(
                "  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
                "  encryptedData: {}\n"
            )),
            [(8, "scope")]
        );
        assert_eq!(
            lint_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {}\n"),
            [(1, "structure"), (3, "name")],
            "no spec (the object's first line), no name"
        );
        // Without metadata.namespace the template's namespace cannot disagree with it.
        assert_eq!(
            lint_text(
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  template:\n    metadata:\n      namespace: prod\n"
            ),
            []
        );
        assert_eq!(
            lint_text(&ss("", "  encryptedData: AgBnotamapping\n")),
            [(7, "structure")],
            "reported once"
        );
        // Other kinds are not looked at.
        assert_eq!(
            lint_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: BAD\n"),
            []
        );
    }
}
