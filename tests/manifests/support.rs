//! Shared by the `manifests_*` tests: paths, the Go-built tools, rendering, YAML documents.
//! Included with `#[path]` so each test binary stays self-contained.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The repository root (the workspace holding `manifests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub fn manifests_dir() -> PathBuf {
    repo_root().join("manifests")
}

/// Builds a workspace binary and returns its path in this test run's profile directory
/// (`target/<profile>/`, above the test binary in `deps/`).
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args(["build", "-q", "-p", package, "--bin", bin])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building {bin} failed");
    let exe = std::env::current_exe().expect("current test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("target profile directory")
        .join(bin)
}

const OFFLINE_HINT: &str =
    " (it needs the Go module proxy unless tests/manifests/prepare.sh ran on the host first)";

fn run(cmd: &mut Command, hint: &str) -> String {
    let shown = format!("{cmd:?}{hint}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tool output is UTF-8")
}

/// Directory with `kubeconform` and `kustomize`, built from the Go module proxy once and cached.
pub fn tools_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = repo_root().join("tests/manifests/build-tools.sh");
        PathBuf::from(run(Command::new("bash").arg(script), OFFLINE_HINT).trim())
    })
}

/// `(name, path)` of each upstream schema source (schema-sources.tsv), from the Go module cache.
pub fn schema_sources() -> &'static [(String, PathBuf)] {
    static SOURCES: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let script = repo_root().join("tests/manifests/fetch-schemas.sh");
        run(Command::new("bash").arg(script), OFFLINE_HINT)
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(n, p)| (n.to_string(), PathBuf::from(p)))
            .collect()
    })
}

pub fn schema_source(name: &str) -> &'static Path {
    schema_sources()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.as_path())
        .unwrap_or_else(|| panic!("schema source {name} missing from schema-sources.tsv"))
}

/// `kustomize build <dir>` (relative to `manifests/`), as YAML text.
pub fn render_yaml(dir: &str) -> String {
    let kustomize = tools_dir().join("kustomize");
    run(
        Command::new(kustomize)
            .arg("build")
            .arg(manifests_dir().join(dir)),
        "",
    )
}

/// The two ways to deploy the stack: (name, kustomization under `manifests/`). `argocd` brings
/// its own Traefik through ArgoCD; `k3s` configures the Traefik k3s already runs.
pub const VARIANTS: [(&str, &str); 2] = [("argocd", "."), ("k3s", "overlays/k3s")];

/// One variant's rendered objects (without the examples), rendered once per test process.
pub fn rendered_variant(variant: &str) -> &'static [Value] {
    static DOCS: OnceLock<Vec<(String, Vec<Value>)>> = OnceLock::new();
    let all = DOCS.get_or_init(|| {
        VARIANTS
            .iter()
            .map(|(n, dir)| (n.to_string(), yaml_documents(&render_yaml(dir))))
            .collect()
    });
    all.iter()
        .find(|(n, _)| n == variant)
        .map(|(_, docs)| docs.as_slice())
        .unwrap_or_else(|| panic!("no variant {variant}"))
}

/// The rendered stack (`manifests/`) plus the example route (`manifests/examples/`).
pub fn rendered() -> &'static [Value] {
    static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut docs = yaml_documents(&render_yaml("."));
        docs.extend(yaml_documents(&render_yaml("examples")));
        docs
    })
}

/// Every non-empty document of a multi-document YAML text, as JSON values.
pub fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).expect("valid YAML");
            serde_json::to_value(v).expect("YAML maps to JSON")
        })
        .filter(|v| !v.is_null())
        .collect()
}

pub fn kind(doc: &Value) -> &str {
    doc["kind"].as_str().unwrap_or("")
}

pub fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or("")
}

pub fn namespace(doc: &Value) -> &str {
    doc["metadata"]["namespace"].as_str().unwrap_or("")
}

pub fn id(doc: &Value) -> String {
    format!("{}/{}/{}", kind(doc), namespace(doc), name(doc))
}

pub fn find<'a>(docs: &'a [Value], kind_: &str, ns: &str, name_: &str) -> &'a Value {
    docs.iter()
        .find(|d| kind(d) == kind_ && namespace(d) == ns && name(d) == name_)
        .unwrap_or_else(|| panic!("{kind_} {ns}/{name_} is not in the rendered manifests"))
}

/// The pod spec of a workload object, if it has one.
pub fn pod_spec(doc: &Value) -> Option<&Value> {
    match kind(doc) {
        "Pod" => Some(&doc["spec"]),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" => {
            Some(&doc["spec"]["template"]["spec"])
        }
        "CronJob" => Some(&doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        _ => None,
    }
}

pub fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The workspace version (root Cargo.toml `[workspace.package] version`).
pub fn workspace_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
