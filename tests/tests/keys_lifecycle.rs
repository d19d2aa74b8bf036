//! The whole key lifecycle on the real control plane, checking "no secret lost" at every step:
//! seal in all scopes into a directory and apply; `keys rotate`; new seals use the new key;
//! `reencrypt` the directory offline and online, apply, every Secret unchanged; `keys list`
//! shows the old key unused; `keys retire` refuses while anything needs the key or without a
//! backup, then removes it; `keys backup`, and on a fresh control plane `keys restore` (twice)
//! unseals the same directory.

#[path = "cli_support.rs"]
mod cli_support;
mod controller_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use controller_common::*;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, ListParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::keys::{self, KEY_LABEL};
use sealwright_tests::{
    ControllerBinary, ControllerOptions, FreshControlPlane, RunningController, TestContext,
    Testenv, eventually,
};

/// One Secret of the directory: name, scope, items.
type Sealed = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The Secrets the directory holds.
const SECRETS: &[Sealed] = &[
    ("db", "strict", &[("user", "app"), ("password", "s3cr3t-1")]),
    ("api", "namespace-wide", &[("token", "tok-2")]),
    ("shared", "cluster-wide", &[("key", "k-3"), ("empty", "")]),
    ("multi", "strict", &[("a", "one")]),
];

/// kubeseal's default `--controller-name`.
const CONTROLLER: &str = "sealed-secrets-controller";

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Our `kubeseal`, pointed at one control plane and one controller namespace.
struct Kubeseal {
    bin: PathBuf,
    kubeconfig: PathBuf,
    namespace: String,
}

impl Kubeseal {
    fn new(env: &Testenv, namespace: &str) -> Kubeseal {
        Kubeseal {
            bin: cli_support::ours(),
            kubeconfig: env.kubeconfig("admin").expect("kubeconfig").to_path_buf(),
            namespace: namespace.to_string(),
        }
    }

    /// `args` then the connection flags (global, so they may follow a subcommand).
    fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        use std::io::Write;
        let mut child = Command::new(&self.bin)
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--controller-namespace", &self.namespace])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubeseal");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin).expect("stdin");
        }
        let out = child.wait_with_output().expect("kubeseal");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str], stdin: &[u8]) -> Run {
        let r = self.run(args, stdin);
        assert!(
            r.ok,
            "kubeseal {args:?} failed\nstdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        );
        r
    }

    fn fails(&self, args: &[&str]) -> Run {
        let r = self.run(args, b"");
        assert!(
            !r.ok,
            "kubeseal {args:?} should fail\nstdout:\n{}",
            r.stdout
        );
        let lines: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert!(!lines.is_empty(), "no `error:` line: {}", r.stderr);
        r
    }
}

fn secret_yaml(namespace: &str, name: &str, scope: &str, items: &[(&str, &str)]) -> String {
    let mut y = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
    );
    if scope != "strict" {
        y.push_str(&format!(
            "  annotations:\n    sealedsecrets.bitnami.com/{scope}: \"true\"\n"
        ));
    }
    y.push_str("stringData:\n");
    for (k, v) in items {
        y.push_str(&format!("  {k}: \"{v}\"\n"));
    }
    y
}

/// Seals every Secret of `SECRETS` through the controller (certificate fetched via the
/// service proxy) into `dir`: YAML with a comment, a multi-document file, a JSON file.
fn seal_directory(ks: &Kubeseal, namespace: &str, dir: &Path) {
    std::fs::create_dir_all(dir.join("apps")).expect("mkdir");
    for (name, scope, items) in SECRETS {
        let input = secret_yaml(namespace, name, scope, items);
        match *name {
            "shared" => {
                let out = ks.ok(&["-o", "json"], input.as_bytes());
                std::fs::write(dir.join("shared.json"), out.stdout).expect("write");
            }
            "multi" => {
                let out = ks.ok(&["-o", "yaml"], input.as_bytes());
                let text = format!(
                    "# Two documents: the SealedSecret keeps its neighbour and this comment.\n\
                     apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: multi-settings\n  \
                     namespace: {namespace}\ndata:\n  mode: production # inline comment\n{}",
                    out.stdout
                );
                std::fs::write(dir.join("apps/multi.yaml"), text).expect("write");
            }
            _ => {
                let out = ks.ok(&["-o", "yaml"], input.as_bytes());
                let text = format!("# {name}: sealed by kubeseal\n{}", out.stdout);
                std::fs::write(dir.join(format!("{name}.yaml")), text).expect("write");
            }
        }
    }
    std::fs::write(dir.join("README.md"), "not a manifest\n").expect("write");
}

fn kubectl_apply(env: &Testenv, dir: &Path) {
    let out = Command::new(&env.kubectl)
        .arg("--kubeconfig")
        .arg(env.kubeconfig("admin").expect("kubeconfig"))
        .args(["apply", "-R", "-f"])
        .arg(dir)
        .output()
        .expect("kubectl");
    assert!(
        out.status.success(),
        "kubectl apply -R -f {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn expected(name: &str) -> BTreeMap<String, String> {
    SECRETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, items)| {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every Secret of the directory exists in `namespace` with exactly its plaintext.
async fn all_secrets_correct(client: &Client, namespace: &str, log: &RunningController) {
    let api = Api::<Secret>::namespaced(client.clone(), namespace);
    for (name, _, _) in SECRETS {
        let want = expected(name);
        eventually(WAIT, &format!("Secret {namespace}/{name}"), || {
            let api = api.clone();
            let want = want.clone();
            async move {
                let s = api.get_opt(name).await.ok().flatten()?;
                (secret_data(&s) == want).then_some(())
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", log.log_tail(40)));
    }
}

/// Waits until every SealedSecret of the directory was opened, at its current generation, by
/// exactly the key `fingerprint`.
async fn all_opened_by(
    client: &Client,
    namespace: &str,
    fingerprint: &str,
    log: &RunningController,
) {
    let api = Api::<SealedSecret>::namespaced(client.clone(), namespace);
    for (name, _, _) in SECRETS {
        eventually(WAIT, &format!("{name} opened by {fingerprint}"), || {
            let api = api.clone();
            async move {
                let ss = api.get_opt(name).await.ok().flatten()?;
                let st = ss.status.as_ref()?;
                let synced = st
                    .conditions
                    .as_ref()?
                    .iter()
                    .any(|c| c.type_ == "Synced" && c.status == "True");
                (synced
                    && st.observed_generation == ss.metadata.generation
                    && st.key_fingerprints.as_deref() == Some(&[fingerprint.to_string()][..]))
                .then_some(())
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", log.log_tail(40)));
    }
}

/// Fingerprints of the key Secrets in `namespace`, oldest first.
async fn key_fingerprints(client: &Client, namespace: &str) -> Vec<String> {
    let mut keys: Vec<(String, String)> = Api::<Secret>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(KEY_LABEL))
        .await
        .expect("list key Secrets")
        .items
        .iter()
        .map(|s| {
            let key = keys::from_secret(s).expect("key Secret");
            let created = s
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default();
            (created, key.fingerprint)
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, f)| f).collect()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    files(dir)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p.strip_prefix(dir).expect("prefix").to_path_buf(), text)
        })
        .collect()
}

/// `after` differs from `before` in ciphertexts only, and in every ciphertext.
fn only_ciphertexts_changed(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, old) in before {
        let new = &after[path];
        assert_eq!(
            cli_support::mask(old),
            cli_support::mask(new),
            "{}: something besides ciphertexts changed",
            path.display()
        );
        if path.extension().is_some_and(|e| e == "md") {
            assert_eq!(old, new);
        } else {
            assert_ne!(old, new, "{}: no ciphertext changed", path.display());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for f in files(from) {
        let rel = f.strip_prefix(from).expect("prefix");
        let dst = to.join(rel);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(&f, &dst).expect("copy");
    }
}

async fn create_namespace_named(client: &Client, name: &str) {
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

async fn start_controller(
    env: &Testenv,
    admin: &Client,
    namespace: &str,
    service: &str,
) -> RunningController {
    let binary = ControllerBinary::ours().expect("our controller (cargo build --workspace)");
    let mut options = ControllerOptions::in_namespace(namespace);
    options.service = service.to_string();
    options.args.push("--key-size=2048".into());
    RunningController::start(env, admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start our controller: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_lifecycle_loses_no_secret() {
    let ctx = TestContext::new("keys-life").await;
    let ns = ctx.namespace.clone();
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("repo");
    let ks = Kubeseal::new(ctx.env, &ns);
    let mut controller = start_controller(ctx.env, &ctx.admin, &ns, CONTROLLER).await;

    // 1. Seal in all scopes into a directory, apply: every Secret appears.
    seal_directory(&ks, &ns, &dir);
    kubectl_apply(ctx.env, &dir);
    all_secrets_correct(&ctx.admin, &ns, &controller).await;
    let first = key_fingerprints(&ctx.admin, &ns).await;
    assert_eq!(first.len(), 1, "one key at the start: {first:?}");
    let old_fp = first[0].clone();
    all_opened_by(&ctx.admin, &ns, &old_fp, &controller).await;
    let listed = ks.ok(&["keys", "list"], b"");
    assert!(listed.stdout.contains(&old_fp), "{}", listed.stdout);

    // 2. Rotate: a second key, and the running controller seals with it at once.
    let rotated = ks.ok(&["keys", "rotate", "--key-size", "2048"], b"");
    let now = key_fingerprints(&ctx.admin, &ns).await;
    assert_eq!(now.len(), 2, "{now:?}");
    let new_fp = now
        .iter()
        .find(|f| **f != old_fp)
        .cloned()
        .expect("new key");
    assert!(rotated.stdout.contains(&new_fp), "{}", rotated.stdout);
    eventually(
        WAIT,
        "the controller to serve the new certificate",
        || async {
            let pem = cert(&controller).await;
            let info = sealwright_crypto::cert::parse_pem(pem.as_bytes()).ok()?;
            (keys::fingerprint(&info.public_key) == new_fp).then_some(())
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    let fresh_seal = ks.ok(
        &["-o", "yaml"],
        secret_yaml(&ns, "after-rotate", "strict", &[("x", "y")]).as_bytes(),
    );
    let fresh_dir = work.path().join("after-rotate");
    std::fs::create_dir_all(&fresh_dir).expect("mkdir");
    std::fs::write(fresh_dir.join("s.yaml"), fresh_seal.stdout).expect("write");
    kubectl_apply(ctx.env, &fresh_dir);
    let ss = wait_synced(&ctx, &controller, "after-rotate", "True", 1).await;
    assert_eq!(
        ss.status.and_then(|s| s.key_fingerprints),
        Some(vec![new_fp.clone()]),
        "a seal after the rotation uses the new key"
    );

    // 3. Backup: 0600, never overwritten without --force.
    let backup = work.path().join("keys-backup.yaml");
    let backup_arg = backup.to_string_lossy().into_owned();
    ks.ok(&["keys", "backup", "-o", &backup_arg], b"");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "backup file mode");
    }
    let saved = std::fs::read(&backup).expect("backup");
    ks.fails(&["keys", "backup", "-o", &backup_arg]);
    assert_eq!(
        std::fs::read(&backup).expect("backup"),
        saved,
        "backup overwritten"
    );
    // The backup opens the directory offline, as upstream's recovery does.
    let opened = ks.ok(
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            &backup_arg,
            "-o",
            "yaml",
        ],
        &std::fs::read(dir.join("db.yaml")).expect("read"),
    );
    assert!(opened.stdout.contains("kind: Secret"), "{}", opened.stdout);

    // 4. Retire refuses while SealedSecrets still need the old key, even with a backup.
    let refused = ks.fails(&["keys", "retire", "--backup", &backup_arg]);
    assert!(
        refused.stderr.contains(&ns),
        "names who needs it: {}",
        refused.stderr
    );
    assert_eq!(
        key_fingerprints(&ctx.admin, &ns).await.len(),
        2,
        "nothing retired"
    );

    // 5. Re-encrypt offline (a copy) and online (the directory): only ciphertexts change,
    // a second run changes nothing, applied objects open with the new key, Secrets unchanged.
    let cert_file = work.path().join("new-cert.pem");
    let fetched = ks.ok(&["--fetch-cert"], b"");
    std::fs::write(&cert_file, fetched.stdout).expect("write cert");
    let cert_arg = cert_file.to_string_lossy().into_owned();
    let offline_dir = work.path().join("offline");
    copy_dir(&dir, &offline_dir);
    let before = snapshot(&dir);
    let offline_arg = offline_dir.to_string_lossy().into_owned();
    ks.ok(
        &[
            "reencrypt",
            &offline_arg,
            "--recovery-private-key",
            &backup_arg,
            "--cert",
            &cert_arg,
        ],
        b"",
    );
    let offline = snapshot(&offline_dir);
    only_ciphertexts_changed(&before, &offline);
    ks.ok(
        &[
            "reencrypt",
            &offline_arg,
            "--recovery-private-key",
            &backup_arg,
            "--cert",
            &cert_arg,
        ],
        b"",
    );
    assert_eq!(
        snapshot(&offline_dir),
        offline,
        "a second offline run changes nothing"
    );
    kubectl_apply(ctx.env, &offline_dir);
    all_opened_by(&ctx.admin, &ns, &new_fp, &controller).await;
    all_secrets_correct(&ctx.admin, &ns, &controller).await;

    let dir_arg = dir.to_string_lossy().into_owned();
    ks.ok(&["reencrypt", &dir_arg], b"");
    let online = snapshot(&dir);
    only_ciphertexts_changed(&before, &online);
    kubectl_apply(ctx.env, &dir);
    all_opened_by(&ctx.admin, &ns, &new_fp, &controller).await;
    all_secrets_correct(&ctx.admin, &ns, &controller).await;
    ks.ok(&["reencrypt", &dir_arg], b"");
    assert_eq!(
        snapshot(&dir),
        online,
        "a second online run changes nothing"
    );

    // 6. The old key is now unused; retire needs a backup holding it, then removes it.
    let listed = ks.ok(&["keys", "list", "-o", "json"], b"");
    assert_eq!(
        needed_by(&listed.stdout, &old_fp),
        Some(0),
        "{}",
        listed.stdout
    );
    ks.fails(&["keys", "retire"]);
    assert_eq!(
        key_fingerprints(&ctx.admin, &ns).await.len(),
        2,
        "nothing retired"
    );
    ks.ok(&["keys", "retire", "--backup", &backup_arg], b"");
    assert_eq!(
        key_fingerprints(&ctx.admin, &ns).await,
        vec![new_fp.clone()]
    );
    // A restarted controller holds only the new key and still serves every Secret: a deleted
    // one is re-created from its SealedSecret.
    controller.stop();
    drop(controller);
    // (Another Service name: the first instance's Service and Endpoints stay behind.)
    let controller = start_controller(ctx.env, &ctx.admin, &ns, "restarted").await;
    Api::<Secret>::namespaced(ctx.admin.clone(), &ns)
        .delete("db", &Default::default())
        .await
        .expect("delete Secret db");
    all_secrets_correct(&ctx.admin, &ns, &controller).await;
    drop(controller);

    // 7. Bad inputs: one-line errors naming the file, nothing written.
    let junk = work.path().join("junk.txt");
    std::fs::write(&junk, "\u{0}\u{1}not yaml: [").expect("write");
    let junk_arg = junk.to_string_lossy().into_owned();
    let bad = ks.fails(&["keys", "restore", &junk_arg]);
    assert!(bad.stderr.contains("junk.txt"), "{}", bad.stderr);

    // 8. Disaster recovery: a fresh control plane, the backup restored (twice: idempotent),
    // our controller, the same directory applied: every Secret comes back.
    let plane = FreshControlPlane::start(ctx.env)
        .await
        .unwrap_or_else(|e| panic!("second control plane: {e}"));
    let admin_b = plane.env.admin().await.expect("admin client, second plane");
    create_namespace_named(&admin_b, &ns).await;
    let ks_b = Kubeseal::new(&plane.env, &ns);
    ks_b.ok(&["keys", "restore", &backup_arg], b"");
    ks_b.ok(&["keys", "restore", &backup_arg], b"");
    let restored = key_fingerprints(&admin_b, &ns).await;
    assert_eq!(restored.len(), 2, "both keys restored once: {restored:?}");
    let controller_b = start_controller(&plane.env, &admin_b, &ns, CONTROLLER).await;
    kubectl_apply(&plane.env, &dir);
    all_secrets_correct(&admin_b, &ns, &controller_b).await;
    all_opened_by(&admin_b, &ns, &new_fp, &controller_b).await;
    drop(controller_b);
    drop(plane);
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The `neededBy` count of `fingerprint` in `kubeseal keys list -o json`.
fn needed_by(json: &str, fingerprint: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let keys = v.get("keys").unwrap_or(&v).as_array()?;
    keys.iter()
        .find(|k| k.get("fingerprint").and_then(|f| f.as_str()) == Some(fingerprint))?
        .get("neededBy")?
        .as_u64()
}
