//! `kubeseal lint PATH...`: a tree with one seeded defect per rule, every ciphertext made with
//! the crate's own sealing and the test key. Each defect is reported once, at its file and
//! line, under its rule; nothing else is reported; no plaintext is ever printed; a clean tree
//! passes with exit status 0.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sealwright_crypto::{RsaPrivateKey, Scope, b64, hybrid, keys, scope};

/// Plaintexts carry this marker so the test can tell if any were printed.
const MARK: &str = "plaintext-marker-7f3a";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cmd/data")
        .join(name)
}

fn test_key() -> RsaPrivateKey {
    let pem = std::fs::read(data("cert.key")).expect("test key");
    keys::private_key_from_pem(&pem).expect("parse test key")
}

fn seal_with(key: &RsaPrivateKey, ns: &str, name: &str, scope: Scope, value: &str) -> String {
    let label = scope::label(ns, name, scope);
    hybrid::seal_base64(key.as_public_key(), &label, value.as_bytes()).expect("seal")
}

fn sealed_secret(name: &str, annotations: &str, spec: &str) -> String {
    format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: apps\n{annotations}spec:\n{spec}"
    )
}

/// The 1-based line of the only line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "{needle:?} must be on exactly one line");
    hits[0]
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn lint(root: &Path, extra: &[&str]) -> Output {
    let cert = data("cert.pem");
    let key = data("cert.key");
    Command::new(env!("CARGO_BIN_EXE_kubeseal"))
        .arg("lint")
        .args(extra)
        .arg("--cert")
        .arg(&cert)
        .arg("--recovery-private-key")
        .arg(&key)
        .current_dir(root)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("HOME", "/nonexistent")
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("SEALED_SECRETS_RECOVERY_PRIVATE_KEY")
        .env_remove("SEALED_SECRETS_NAMESPACE")
        .output()
        .expect("run kubeseal")
}

struct Seeded {
    file: &'static str,
    line: usize,
    rule: &'static str,
}

#[test]
fn every_rule_finds_its_seeded_defect_and_nothing_else() {
    let key = test_key();
    let ok = |name: &str, item: &str| {
        seal_with(
            &key,
            "apps",
            name,
            Scope::Strict,
            &format!("{MARK}-{name}-{item}"),
        )
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let mut seeded = Vec::new();
    let mut add = |file: &'static str, text: String, needle: &str, rules: &[&'static str]| {
        let line = line_of(&text, needle);
        for rule in rules {
            seeded.push(Seeded { file, line, rule });
        }
        write(root, file, &text);
    };

    add(
        "base64.yaml",
        sealed_secret(
            "b",
            "",
            &format!(
                "  encryptedData:\n    good: {}\n    bad: AgB*not-base64\n",
                ok("b", "good")
            ),
        ),
        "bad:",
        &["base64"],
    );
    let truncated = {
        let blob = b64::decode(ok("t", "v").as_bytes()).expect("decode");
        b64::encode(&blob[..100])
    };
    add(
        "framing/truncated.yaml",
        sealed_secret("t", "", &format!("  encryptedData:\n    v: {truncated}\n")),
        "v:",
        &["ciphertext"],
    );
    let small = keys::generate(1024).expect("1024-bit key");
    add(
        "framing/key-size.yml",
        sealed_secret(
            "k",
            "",
            &format!(
                "  encryptedData:\n    v: {}\n",
                seal_with(&small, "apps", "k", Scope::Strict, MARK)
            ),
        ),
        "v:",
        // Sealed for another key: it neither fits the certificate nor opens.
        &["key-size", "decrypt"],
    );
    add(
        "scope/disagree.yaml",
        sealed_secret(
            "s",
            "  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n",
            &format!(
                "  encryptedData:\n    v: {}\n  template:\n    metadata:\n      annotations:\n        sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
                seal_with(&key, "", "", Scope::ClusterWide, MARK)
            ),
        ),
        "namespace-wide",
        &["scope"],
    );
    add(
        "names/bad-name.yaml",
        sealed_secret(
            "Bad_Name",
            "",
            &format!("  encryptedData:\n    v: {}\n", ok("Bad_Name", "v")),
        ),
        "Bad_Name",
        &["name"],
    );
    add(
        "names/bad-key.yaml",
        sealed_secret(
            "bk",
            "",
            &format!("  encryptedData:\n    \"my key\": {}\n", ok("bk", "my key")),
        ),
        "my key",
        &["key"],
    );
    add(
        "template.yaml",
        sealed_secret(
            "tp",
            "",
            &format!(
                "  encryptedData:\n    password: {}\n  template:\n    data:\n      dsn: \"{{{{ .password \"\n",
                ok("tp", "password")
            ),
        ),
        "dsn:",
        &["template"],
    );
    add(
        "type.yaml",
        sealed_secret(
            "tls",
            "",
            &format!(
                "  encryptedData:\n    tls.crt: {}\n  template:\n    type: kubernetes.io/tls\n",
                ok("tls", "crt")
            ),
        ),
        "type:",
        &["secret-type"],
    );
    let big = format!("{MARK}{}", "x".repeat(1024 * 1024));
    add(
        "size.yaml",
        sealed_secret(
            "big",
            "",
            &format!(
                "  encryptedData:\n    blob: {}\n",
                seal_with(&key, "apps", "big", Scope::Strict, &big)
            ),
        ),
        "encryptedData:",
        &["size"],
    );
    add(
        "decrypt.yaml",
        sealed_secret(
            "moved",
            "",
            &format!(
                "  encryptedData:\n    v: {}\n",
                seal_with(&key, "apps", "original-name", Scope::Strict, MARK)
            ),
        ),
        "v:",
        &["decrypt"],
    );
    add(
        "structure.yaml",
        sealed_secret(
            "st",
            "",
            &format!(
                "  data: AgBlegacy\n  encryptedData:\n    v: {}\n",
                ok("st", "v")
            ),
        ),
        "data: AgBlegacy",
        &["structure"],
    );
    add(
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n".to_string(),
        "data:",
        &["syntax"],
    );
    // JSON, inside a List, after another document: lines still point at the item.
    let json = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"c\"}}}}\n{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {{\n      \"apiVersion\": \"bitnami.com/v1alpha1\",\n      \"kind\": \"SealedSecret\",\n      \"metadata\": {{\"name\": \"j\", \"namespace\": \"apps\"}},\n      \"spec\": {{\n        \"encryptedData\": {{\n          \"ok\": \"{}\",\n          \"broken\": \"AgB=x\"\n        }}\n      }}\n    }}\n  ]\n}}\n",
        ok("j", "ok")
    );
    add("list.json", json, "\"broken\"", &["base64"]);

    let out = lint(root, &["-o", "json", ".", "missing-dir"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        !stdout.contains(MARK) && !stderr.contains(MARK),
        "plaintext printed"
    );
    let found: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("JSON findings");
    let got: Vec<(String, u64, String)> = found
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut want: Vec<(String, u64, String)> = seeded
        .iter()
        .map(|s| (format!("./{}", s.file), s.line as u64, s.rule.to_string()))
        .collect();
    want.push(("missing-dir".into(), 0, "read".into()));
    let mut got_sorted = got.clone();
    got_sorted.sort();
    want.sort();
    assert_eq!(got_sorted, want, "findings: {stdout}");
    assert!(
        stderr.contains(&format!(
            "{} findings in {} files",
            want.len(),
            want.len() - 1
        )),
        "{stderr}"
    );

    // Text output: the same findings, one `file:line: message` line each, in the same order.
    let text = lint(root, &[".", "missing-dir"]);
    let text_out = String::from_utf8_lossy(&text.stdout);
    let lines: Vec<&str> = text_out.lines().collect();
    assert_eq!(lines.len(), got.len());
    for (line, (file, n, _)) in lines.iter().zip(&got) {
        let prefix = if *n == 0 {
            format!("{file}: ")
        } else {
            format!("{file}:{n}: ")
        };
        assert!(line.starts_with(&prefix), "{line} / {prefix}");
    }
    // Deterministic: a second run prints the same bytes.
    assert_eq!(lint(root, &[".", "missing-dir"]).stdout, text.stdout);
}

#[test]
fn a_clean_tree_passes() {
    let key = test_key();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let strict = |name: &str, v: &str| seal_with(&key, "apps", name, Scope::Strict, v);
    write(
        root,
        "apps/db.yaml",
        &format!(
            "# database credentials\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: db}}\n---\n{}",
            sealed_secret(
                "db",
                "",
                &format!(
                    "  encryptedData:\n    username: {}\n    password: {}\n  template:\n    metadata:\n      name: db\n      namespace: apps\n    type: kubernetes.io/basic-auth\n    data:\n      dsn: \"postgres://{{{{ .username }}}}:{{{{ .password | urlquery }}}}@db\"\n",
                    strict("db", "app"),
                    strict("db", "s3cret")
                )
            )
        ),
    );
    write(
        root,
        "apps/tls.yml",
        &sealed_secret(
            "web-tls",
            "  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
            &format!(
                "  encryptedData:\n    tls.crt: {}\n    tls.key: {}\n  template:\n    type: kubernetes.io/tls\n    metadata:\n      annotations:\n        sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
                seal_with(&key, "apps", "", Scope::NamespaceWide, "crt"),
                seal_with(&key, "apps", "", Scope::NamespaceWide, "key")
            ),
        ),
    );
    write(
        root,
        "shared/list.json",
        &format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{{\"apiVersion\": \"bitnami.com/v1alpha1\", \"kind\": \"SealedSecret\", \"metadata\": {{\"name\": \"shared\", \"annotations\": {{\"sealedsecrets.bitnami.com/cluster-wide\": \"true\"}}}}, \"spec\": {{\"encryptedData\": {{\"token\": \"{}\"}}, \"template\": {{\"type\": \"example.com/api-token\"}}}}}}]}}\n",
            seal_with(&key, "", "", Scope::ClusterWide, "t")
        ),
    );
    write(root, "notes.txt", "not looked at\n");
    let out = lint(root, &["."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "no findings in 3 files\n"
    );
    let json = lint(root, &["-o", "json", "."]);
    assert_eq!(json.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&json.stdout), "[]\n");
}

/// Without `--cert`, each file is checked against the certificate of its cluster in
/// `.sealed-secrets.yaml`: a value sealed for the 2048-bit test key is a finding under a rule whose
/// cluster has a 4096-bit certificate, none under the rule with the test certificate, and a rule
/// whose certificate file is missing is one `rules` finding per file it covers.
#[test]
fn the_rules_file_names_each_files_certificate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let key = test_key();
    let big =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/upstream/keys/rsa-4096.crt");
    std::fs::create_dir_all(root.join("certs")).expect("mkdir");
    std::fs::copy(&big, root.join("certs/big.pem")).expect("copy 4096-bit cert");
    std::fs::copy(data("cert.pem"), root.join("certs/small.pem")).expect("copy test cert");
    write(
        root,
        ".sealed-secrets.yaml",
        "clusters:\n  big: {cert: certs/big.pem}\n  small: {cert: certs/small.pem}\n  gone: {cert: certs/gone.pem}\nrules:\n  - {path: \"big/**\", cluster: big}\n  - {path: \"small/**\", cluster: small}\n  - {path: \"gone/**\", cluster: gone}\n",
    );
    let object = |name: &str| {
        sealed_secret(
            name,
            "",
            &format!(
                "  encryptedData:\n    password: {}\n",
                seal_with(&key, "apps", name, Scope::Strict, "p")
            ),
        )
    };
    for dir in ["big", "small", "gone"] {
        write(root, &format!("{dir}/db.yaml"), &object("db"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kubeseal"))
        .args(["lint", "-o", "json", "."])
        .current_dir(root)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("HOME", "/nonexistent")
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("run kubeseal");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("JSON findings");
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("./big/db.yaml".to_string(), "key-size".to_string()),
            ("./gone/db.yaml".to_string(), "rules".to_string()),
        ],
        "{stdout}"
    );
}
