//! Server-side dry-run of the whole rendered stack, both variants (ArgoCD and k3s), against the
//! local control plane: real API validation and defaulting, CRD schemas (Traefik,
//! prometheus-operator, ArgoCD, k3s helm-controller, ours) and Pod Security admission, whose
//! warnings for pod templates fail the run (`--warnings-as-errors`).
//! Needs the control plane (`SEALWRIGHT_TESTENV`); without it the test fails, as all cluster tests.

#[path = "../manifests/cluster.rs"]
mod cluster;
#[path = "../manifests/support.rs"]
mod support;

use std::path::Path;

use cluster::{install_stack_crds, kubectl_apply, kubectl_apply_docs, namespace_doc};
use sealwright_tests::Testenv;
use support::*;

#[test]
fn rendered_stack_passes_server_side_dry_run() {
    let env = Testenv::get();
    let scratch = tempfile::tempdir().expect("temp dir");

    install_stack_crds(env);

    for (variant, dir) in VARIANTS {
        dry_run(env, scratch.path(), variant, dir);
    }
}

fn dry_run(env: &Testenv, scratch: &Path, variant: &str, dir: &str) {
    // Namespaces must exist for a dry-run of the objects in them; create them for real.
    let yaml = format!("{}\n---\n{}", render_yaml(dir), render_yaml("examples"));
    let docs = yaml_documents(&yaml);
    let mut namespaces: Vec<serde_json::Value> = docs
        .iter()
        .filter(|d| kind(d) == "Namespace")
        .cloned()
        .collect();
    namespaces.push(namespace_doc("argocd"));
    let ns_file = scratch.join(format!("namespaces-{variant}.yaml"));
    kubectl_apply_docs(env, &ns_file, &namespaces)
        .unwrap_or_else(|e| panic!("{variant}: creating namespaces: {e}"));

    let all = scratch.join(format!("stack-{variant}.yaml"));
    std::fs::write(&all, &yaml).expect("write rendered stack");
    let out = kubectl_apply(env, &all, &["--dry-run=server", "--warnings-as-errors"])
        .unwrap_or_else(|e| panic!("{variant}: server-side dry-run failed:\n{e}"));
    let applied = out
        .lines()
        .filter(|l| l.contains("(server dry run)"))
        .count();
    assert_eq!(applied, docs.len(), "{variant}: dry-run output:\n{out}");
}
