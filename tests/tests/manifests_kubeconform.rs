//! kubeconform (built from the Go module proxy) in strict mode over the rendered stack, both
//! variants (ArgoCD and k3s), with schemas for every kind they contain: core kinds from the
//! Kubernetes OpenAPI document, Traefik, prometheus-operator, ArgoCD and k3s helm-controller
//! kinds from their upstream CRDs, SealedSecret from ours.
//! Missing schemas fail the test (no `-ignore-missing-schemas`).

#[path = "../manifests/schemas.rs"]
mod schemas;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::*;

fn gvk(doc: &Value) -> (String, String, String) {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    (
        group.to_string(),
        version.to_string(),
        kind(doc).to_string(),
    )
}

fn crd_docs(path: &std::path::Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    yaml_documents(&text)
}

/// Every kind in the render with a schema, written to a fresh directory.
fn schema_dir(docs: &[Value]) -> tempfile::TempDir {
    let wanted: BTreeSet<_> = docs.iter().map(gvk).collect();
    let mut set = schemas::SchemaSet::new();
    for name in [
        "traefik",
        "prometheus-operator",
        "argocd",
        "helm-controller",
    ] {
        schemas::from_crds(&crd_docs(schema_source(name)), &mut set);
    }
    schemas::from_crds(
        &crd_docs(&manifests_dir().join("sealed-secrets/crd.yaml")),
        &mut set,
    );
    let swagger: Value = serde_json::from_slice(
        &std::fs::read(schema_source("kubernetes")).expect("read the Kubernetes OpenAPI document"),
    )
    .expect("OpenAPI document is JSON");
    schemas::from_swagger(&swagger, &wanted, &mut set);

    let missing: Vec<_> = wanted.iter().filter(|k| !set.contains_key(*k)).collect();
    assert!(missing.is_empty(), "no schema for {missing:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    schemas::write(&set, dir.path());
    dir
}

fn kubeconform(docs: &[Value], rendered_yaml: &str) -> std::process::Output {
    let schemas = schema_dir(docs);
    let input = schemas.path().join("rendered.yaml");
    std::fs::write(&input, rendered_yaml).expect("write rendered manifests");
    let location = format!(
        "{}/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json",
        schemas.path().display()
    );
    Command::new(tools_dir().join("kubeconform"))
        .args(["-strict", "-summary", "-output", "text", "-schema-location"])
        .arg(&location)
        .arg(&input)
        .output()
        .expect("run kubeconform")
}

#[test]
fn rendered_stack_is_schema_valid_in_strict_mode() {
    for (variant, dir) in VARIANTS {
        let yaml = format!("{}\n---\n{}", render_yaml(dir), render_yaml("examples"));
        let docs = yaml_documents(&yaml);
        let out = kubeconform(&docs, &yaml);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{variant}: kubeconform failed:\n{stdout}\n{stderr}"
        );
        let summary = stdout.lines().last().unwrap_or_default();
        let expected = format!("Valid: {}, Invalid: 0, Errors: 0, Skipped: 0", docs.len());
        assert!(
            summary.contains(&expected),
            "{variant}: unexpected summary {summary:?}, want {expected:?}"
        );
    }
}

/// The schemas are strict enough to catch a misplaced field in each kind of source.
#[test]
fn strict_schemas_reject_unknown_fields() {
    let docs: Vec<Value> = rendered()
        .iter()
        .chain(rendered_variant("k3s"))
        .cloned()
        .collect();
    let cases = [
        (
            "Deployment",
            "/spec/template/spec/containers/0",
            "imagePullPolicyy",
        ),
        ("Middleware", "/spec/forwardAuth", "adress"),
        ("Application", "/spec/source", "chartt"),
        ("SealedSecret", "/spec", "encrypteddata"),
        ("ServiceMonitor", "/spec", "endpoint"),
        ("NetworkPolicy", "/spec", "ingres"),
        ("HelmChartConfig", "/spec", "valuescontent"),
    ];
    for (kind_, pointer, field) in cases {
        let mut doc = docs
            .iter()
            .find(|d| kind(d) == kind_)
            .expect("kind present")
            .clone();
        doc.pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .expect("object at pointer")
            .insert(field.into(), Value::String("x".into()));
        let yaml = serde_yaml::to_string(&doc).expect("serialise");
        let out = kubeconform(std::slice::from_ref(&doc), &yaml);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success() && stdout.contains(field),
            "{kind_} with {field} passed:\n{stdout}"
        );
    }
}
