//! `kubeseal reencrypt PATH...` offline: a small GitOps tree sealed with key A is re-encrypted
//! for key B. Every file keeps its bytes except the ciphertexts, the new values open with B
//! (`kubeseal --recovery-unseal`) to the same plaintext, a second run changes nothing, a file
//! that cannot be done fails alone, and `--dry-run` writes nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use sealwright_crypto::{RsaPrivateKey, Scope, cert, hybrid, keys, scope};

struct Key {
    private: RsaPrivateKey,
    key_pem: String,
    cert_pem: String,
}

/// Keys A (old), B (new) and C (another cluster's), made once per test binary.
fn key(which: usize) -> &'static Key {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    &KEYS.get_or_init(|| {
        (0..3)
            .map(|_| {
                let private = keys::generate(2048).expect("generate key");
                let cert_pem = cert::self_signed(
                    &private,
                    "",
                    time::OffsetDateTime::now_utc(),
                    time::Duration::days(3650),
                )
                .expect("self-signed certificate");
                let key_pem = keys::private_key_to_pem(&private).to_string();
                Key {
                    private,
                    key_pem,
                    cert_pem,
                }
            })
            .collect()
    })[which]
}

const A: usize = 0;
const C: usize = 2;

fn seal(k: usize, ns: &str, name: &str, scope: Scope, value: &str) -> String {
    let label = scope::label(ns, name, scope);
    hybrid::seal_base64(key(k).private.as_public_key(), &label, value.as_bytes()).expect("seal")
}

/// A scratch tree with the key files next to it (outside the walked directory).
struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    keys: PathBuf,
}

impl Tree {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("repo");
        let keys = tmp.path().join("keys");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&keys).expect("mkdir");
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            std::fs::write(keys.join(format!("{name}.key")), &key(i).key_pem).expect("key");
            std::fs::write(keys.join(format!("{name}.crt")), &key(i).cert_pem).expect("crt");
        }
        Self {
            _tmp: tmp,
            root,
            keys,
        }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    fn key_file(&self, name: &str) -> String {
        self.keys.join(name).display().to_string()
    }

    fn kubeseal(&self, args: &[&str], stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubeseal"))
            .args(args)
            .env("KUBECONFIG", "/nonexistent/kubeconfig")
            .env_remove("SEALED_SECRETS_CERT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubeseal");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("stdin");
        child.wait_with_output().expect("wait")
    }

    /// `kubeseal reencrypt <paths> --recovery-private-key a,b --cert b.crt [extra]`.
    fn reencrypt(&self, paths: &[&Path], extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec!["reencrypt".into()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        args.extend([
            "--recovery-private-key".into(),
            format!("{},{}", self.key_file("a.key"), self.key_file("b.key")),
            "--cert".into(),
            self.key_file("b.crt"),
        ]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.kubeseal(&refs, b"")
    }

    /// The plaintext of every item of the SealedSecret document `doc`, opened with `key_file`
    /// by `kubeseal --recovery-unseal`; `None` if it does not open.
    fn unseal(&self, doc: &serde_json::Value, key_file: &str) -> Option<serde_json::Value> {
        let out = self.kubeseal(
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                &self.key_file(key_file),
                "-o",
                "json",
            ],
            &serde_json::to_vec(doc).expect("json"),
        );
        if !out.status.success() {
            return None;
        }
        let secret: serde_json::Value = serde_json::from_slice(&out.stdout).expect("secret json");
        Some(secret["data"].clone())
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Replaces every long base64 token (a ciphertext) by `<CT>`, so two versions of a file can be
/// compared byte for byte everywhere else.
fn mask(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
    let mut out = String::new();
    let mut token = String::new();
    for c in text.chars() {
        if is_b64(c) {
            token.push(c);
            continue;
        }
        out.push_str(if token.len() >= 300 { "<CT>" } else { &token });
        token.clear();
        out.push(c);
    }
    out.push_str(if token.len() >= 300 { "<CT>" } else { &token });
    out
}

/// Every SealedSecret object in a YAML/JSON file (top level or in a List), as JSON.
fn sealed_secrets(text: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let docs: Vec<serde_json::Value> = if text.trim_start().starts_with('{') {
        serde_json::Deserializer::from_str(text)
            .into_iter()
            .map(|d| d.expect("json"))
            .collect()
    } else {
        use serde::Deserialize;
        serde_yaml::Deserializer::from_str(text)
            .map(|d| serde_json::Value::deserialize(d).expect("yaml"))
            .collect()
    };
    for d in docs {
        if d["kind"] == "SealedSecret" {
            out.push(d);
        } else if d["kind"] == "List" {
            out.extend(
                d["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|i| i["kind"] == "SealedSecret")
                    .cloned(),
            );
        }
    }
    out
}

fn b64(s: &str) -> serde_json::Value {
    serde_json::Value::String(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        s,
    ))
}

/// Files with comments, every quoting style, CRLF, JSON, a List, other documents, a file
/// without SealedSecrets and a hidden directory.
fn populate(t: &Tree, k: usize) -> Vec<(PathBuf, Vec<(&'static str, &'static str)>)> {
    let db = t.write(
        "apps/db.yaml",
        &format!(
            "# Database credentials (sealed with kubeseal)\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: prod\nspec:\n  encryptedData:\n    password: {} # rotated 2026\n    user:   \"{}\"\n  template:\n    metadata:\n      name: db\n      namespace: prod\n      labels: {{app: db}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: db-config, namespace: prod}}\ndata:\n  host: db.prod.svc\n",
            seal(k, "prod", "db", Scope::Strict, "s3cret"),
            seal(k, "prod", "db", Scope::Strict, "admin"),
        ),
    );
    let shared = t.write(
        "apps/shared.yml",
        &format!(
            "apiVersion: bitnami.com/v1alpha1\r\nkind: SealedSecret\r\nmetadata:\r\n  annotations:\r\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\r\n  name: shared\r\n  namespace: prod\r\nspec:\r\n  encryptedData:\r\n    token: '{}'\r\n  template:\r\n    metadata:\r\n      annotations:\r\n        sealedsecrets.bitnami.com/namespace-wide: \"true\"\r\n",
            seal(k, "prod", "", Scope::NamespaceWide, "tok-123"),
        ),
    );
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let cluster = t.write(
        "cluster.json",
        &format!(
            "{{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \"metadata\": {{\n    \"name\": \"registry\",\n    \"namespace\": \"ci\",\n    \"annotations\": {{\"sealedsecrets.bitnami.com/cluster-wide\": \"true\"}}\n  }},\n  \"spec\": {{\n    \"template\": {{\"type\": \"Opaque\"}},\n    \"encryptedData\": {{\n      \"auth\": \"{}\"\n    }}\n  }}\n}}\n",
            seal(k, "", "", Scope::ClusterWide, "user:pass"),
        ),
    );
    let list = t.write(
        "lists/all.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: bitnami.com/v1alpha1\n  kind: SealedSecret\n  metadata: {{name: api, namespace: dev}}\n  spec:\n    encryptedData: {{key: {}}}\n- apiVersion: v1\n  kind: Service\n  metadata: {{name: api}}\n",
            seal(k, "dev", "api", Scope::Strict, "k-456"),
        ),
    );
    t.write(
        "plain/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    t.write("README.md", "not a manifest\n");
    t.write(
        ".git/objects/stale.yaml",
        &format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: db, namespace: prod}}\nspec:\n  encryptedData: {{password: {}}}\n",
            seal(k, "prod", "db", Scope::Strict, "s3cret"),
        ),
    );
    vec![
        (db, vec![("password", "s3cret"), ("user", "admin")]),
        (shared, vec![("token", "tok-123")]),
        (cluster, vec![("auth", "user:pass")]),
        (list, vec![("key", "k-456")]),
    ]
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn visit(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                visit(&p, out);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p, bytes));
            }
        }
    }
    let mut out = Vec::new();
    visit(root, &mut out);
    out
}

#[test]
fn offline_tree_reencrypt_then_nothing_left() {
    let t = Tree::new();
    let files = populate(&t, A);
    let before = snapshot(&t.root);

    let out = t.reencrypt(&[&t.root], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty(), "stdout stays empty");
    assert!(
        err.contains(&format!(
            "re-encrypted {}: 2 items in 1 SealedSecret",
            t.root.join("apps/db.yaml").display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            "5 files scanned, 4 SealedSecrets, 5 items re-encrypted, 0 already current, 0 files failed\n"
        ),
        "{err}"
    );

    // Byte for byte the same except the ciphertexts; untouched files identical; the hidden
    // directory skipped.
    let after = snapshot(&t.root);
    assert_eq!(before.len(), after.len());
    for ((p, old), (_, new)) in before.iter().zip(&after) {
        let (old, new) = (
            String::from_utf8_lossy(old).into_owned(),
            String::from_utf8_lossy(new).into_owned(),
        );
        assert_eq!(mask(&old), mask(&new), "{}", p.display());
        let rewritten = files.iter().any(|(f, _)| f == p);
        assert_eq!(old != new, rewritten, "{}", p.display());
    }
    let mode = std::fs::metadata(t.root.join("apps/shared.yml"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640, "file mode kept");
    assert!(
        std::fs::read_to_string(t.root.join("apps/shared.yml"))
            .expect("read")
            .contains("\r\n  encryptedData:\r\n    token: 'AQ"),
        "CRLF and quoting kept"
    );

    // The new values open with B to the same plaintext, and no longer with A.
    for (path, items) in &files {
        let text = std::fs::read_to_string(path).expect("read");
        for ss in sealed_secrets(&text) {
            let data = t
                .unseal(&ss, "b.key")
                .unwrap_or_else(|| panic!("{} opens with B", path.display()));
            for (item, plain) in items {
                assert_eq!(data[item], b64(plain), "{} {item}", path.display());
            }
            assert!(
                t.unseal(&ss, "a.key").is_none(),
                "{} no longer opens with A",
                path.display()
            );
        }
    }

    // A second run finds everything current and writes nothing.
    let out = t.reencrypt(&[&t.root], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err,
        "5 files scanned, 4 SealedSecrets, 0 items re-encrypted, 5 already current, 0 files failed\n"
    );
    assert_eq!(snapshot(&t.root), after);
}

#[test]
fn failing_files_are_reported_alone_and_left_untouched() {
    let t = Tree::new();
    let ok_text = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: ok, namespace: n}}\nspec:\n  encryptedData:\n    k: {}\n",
        seal(A, "n", "ok", Scope::Strict, "v"),
    );
    let ok = t.write("a-ok.yaml", &ok_text);
    // One good object and one from another cluster's key: the whole file stays as it is.
    let foreign_text = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: mine, namespace: n}}\nspec:\n  encryptedData:\n    k: {}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: theirs, namespace: n}}\nspec:\n  encryptedData:\n    k: {}\n",
        seal(A, "n", "mine", Scope::Strict, "v"),
        seal(C, "n", "theirs", Scope::Strict, "v"),
    );
    let foreign = t.write("b-foreign.yaml", &foreign_text);
    let broken = t.write("c-broken.yaml", "apiVersion: v1\nkind: [unclosed\n");
    // A ciphertext folded over two lines has no single place in the bytes.
    let ct = seal(A, "n", "f", Scope::Strict, "v");
    let folded_text = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: f, namespace: n}}\nspec:\n  encryptedData:\n    k: |-\n      {}\n      {}\n",
        &ct[..100],
        &ct[100..],
    );
    let folded = t.write("d-folded.yaml", &folded_text);
    let missing = t.root.join("missing.yaml");

    let out = t.reencrypt(&[&t.root, &missing], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    let lines: Vec<&str> = err.lines().collect();
    let expected = [
        format!("error: {}: no such file or directory", missing.display()),
        format!("re-encrypted {}: 1 item in 1 SealedSecret", ok.display()),
        format!(
            "error: {}: SealedSecret n/theirs: item \"k\": no key could decrypt secret",
            foreign.display()
        ),
        format!("error: {}: not valid YAML: line ", broken.display()),
        format!(
            "error: {}: SealedSecret n/f: item \"k\": cannot rewrite in place:",
            folded.display()
        ),
        "4 files scanned, 4 SealedSecrets, 1 items re-encrypted, 0 already current, 4 files failed"
            .to_string(),
        "error: 4 files failed (see the errors above)".to_string(),
    ];
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(want.as_str()),
            "{line:?} should start with {want:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&foreign).expect("read"),
        foreign_text
    );
    assert_eq!(std::fs::read_to_string(&folded).expect("read"), folded_text);
    let ok_now = std::fs::read_to_string(&ok).expect("read");
    assert_ne!(ok_now, ok_text, "the good file is rewritten");
    assert_eq!(mask(&ok_now), mask(&ok_text));
}

#[test]
fn dry_run_writes_nothing() {
    let t = Tree::new();
    populate(&t, A);
    let before = snapshot(&t.root);
    let out = t.reencrypt(
        &[&t.root.join("apps"), &t.root.join("cluster.json")],
        &["--dry-run"],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "would re-encrypt {}: 1 item in 1 SealedSecret",
            t.root.join("cluster.json").display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            "3 files scanned, 3 SealedSecrets, 4 items re-encrypted, 0 already current, 0 files failed (dry run: nothing written)\n"
        ),
        "{err}"
    );
    assert_eq!(snapshot(&t.root), before);
}

#[test]
fn bad_key_file_stops_before_anything() {
    let t = Tree::new();
    populate(&t, A);
    let before = snapshot(&t.root);
    let not_a_key = t.keys.join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello\n").expect("write");
    let out = t.kubeseal(
        &[
            "reencrypt",
            &t.root.display().to_string(),
            "--recovery-private-key",
            &not_a_key.display().to_string(),
            "--cert",
            &t.key_file("b.crt"),
        ],
        b"",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(snapshot(&t.root), before);
}
