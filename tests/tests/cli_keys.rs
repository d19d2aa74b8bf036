//! `kubeseal keys list|rotate|backup|restore|retire` on the real control plane, against our
//! controller running in the test's namespace.

mod controller_common;
#[path = "cli_support.rs"]
mod support;

use std::process::Output;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, Patch, PatchParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::keys::{self, KEY_LABEL};
use sealwright_tests::{RunningController, TestContext};
use support::{Scratch, s, text};

/// Our kubeseal as the admin user, for the controller in `ns`.
fn kubeseal(ctx: &TestContext, ns: &str, args: &[&str], stdin: &[u8]) -> Output {
    let kubeconfig = ctx.env.kubeconfig("admin").expect("admin kubeconfig");
    let mut all = vec!["--kubeconfig", s(kubeconfig), "--controller-namespace", ns];
    all.extend_from_slice(args);
    support::run(&support::ours(), &all, stdin, &[])
}

fn ok(ctx: &TestContext, ns: &str, args: &[&str]) -> String {
    let out = kubeseal(ctx, ns, args, b"");
    assert!(
        out.status.success(),
        "kubeseal {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a command that must fail; returns its stderr.
fn fails(ctx: &TestContext, ns: &str, args: &[&str]) -> String {
    let out = kubeseal(ctx, ns, args, b"");
    assert!(
        !out.status.success(),
        "kubeseal {args:?} should fail\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// Fingerprints of the key Secrets in `ns`, sorted.
async fn key_fingerprints(ctx: &TestContext, ns: &str) -> Vec<String> {
    let mut fps: Vec<String> = Api::<Secret>::namespaced(ctx.admin.clone(), ns)
        .list(&ListParams::default().labels(&format!("{KEY_LABEL}=active")))
        .await
        .expect("list key Secrets")
        .items
        .iter()
        .map(|s| keys::from_secret(s).expect("key Secret").fingerprint)
        .collect();
    fps.sort();
    fps
}

fn fingerprint_of(pem: &str) -> String {
    sealwright_crypto::cert::parse_pem(pem.as_bytes())
        .expect("certificate")
        .fingerprint()
}

/// `keys list -o json` as (fingerprint, sealing, neededBy) per key.
fn listed(ctx: &TestContext, ns: &str) -> Vec<(String, bool, u64)> {
    let json: serde_json::Value =
        serde_json::from_str(&ok(ctx, ns, &["keys", "list", "-o", "json"])).expect("json");
    json["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| {
            (
                k["fingerprint"].as_str().unwrap_or_default().to_string(),
                k["sealing"].as_bool().unwrap_or_default(),
                k["neededBy"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

async fn create_sealed_in(ctx: &TestContext, ns: &str, ss: &SealedSecret) {
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), ns)
        .create(&Default::default(), ss)
        .await
        .expect("create SealedSecret");
}

async fn served_fingerprint(controller: &RunningController) -> String {
    fingerprint_of(&cert(controller).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_list_backup_retire_restore() {
    let ctx = TestContext::new("cli-keys").await;
    // A namespace the controller does not watch: its SealedSecret gets no status, so `list`
    // has to find the key it needs by trying the keys.
    let other = TestContext::new("cli-keys-other").await;
    let controller = start_ours(&ctx, &[]).await;
    let ns = ctx.namespace.clone();
    let old_pem = cert(&controller).await;
    let old_fp = fingerprint_of(&old_pem);

    // One key: the table and the JSON agree.
    let table = ok(&ctx, &ns, &["keys", "list"]);
    assert!(table.starts_with("NAME "), "{table}");
    // Other tests' SealedSecrets may add a line about keys from elsewhere.
    let rows = table.lines().filter(|l| l.contains(" SHA256:")).count();
    assert_eq!(rows, 1, "{table}");
    assert!(table.contains(&old_fp), "{table}");
    assert_eq!(listed(&ctx, &ns), vec![(old_fp.clone(), true, 0)]);

    // Two SealedSecrets need the old key: one synced by the controller, one only by trial.
    create_sealed(&ctx, &seal(&old_pem, &ns, "synced", &[("k", "v")])).await;
    wait_secret(&ctx, &controller, "synced", &[("k", "v")]).await;
    wait_synced(&ctx, &controller, "synced", "True", 1).await;
    create_sealed_in(
        &ctx,
        &other.namespace,
        &seal(&old_pem, &other.namespace, "unwatched", &[("a", "b")]),
    )
    .await;
    let mut needs_old = listed(&ctx, &ns);
    needs_old.retain(|(fp, _, _)| *fp == old_fp);
    assert_eq!(needs_old, vec![(old_fp.clone(), true, 2)]);

    // Rotate: a new key Secret, printed, and the running controller seals with it.
    let rotated = ok(&ctx, &ns, &["keys", "rotate", "--key-size", "2048"]);
    let new_fp = rotated
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint line: {rotated}"))
        .to_string();
    assert!(rotated.contains("expires: "), "{rotated}");
    assert!(rotated.contains("now seals with the new key"), "{rotated}");
    assert_ne!(new_fp, old_fp);
    assert_eq!(served_fingerprint(&controller).await, new_fp);
    let mut keys_now = key_fingerprints(&ctx, &ns).await;
    let mut expected = vec![old_fp.clone(), new_fp.clone()];
    expected.sort();
    assert_eq!(keys_now, expected);
    let mut l = listed(&ctx, &ns);
    l.sort();
    let mut want = vec![(old_fp.clone(), false, 2), (new_fp.clone(), true, 0)];
    want.sort();
    assert_eq!(l, want);

    // Backup: 0600, refuses to overwrite, and opens SealedSecrets offline (ours and upstream's).
    let scratch = Scratch::new("cli-keys");
    let backup = scratch.path("keys-backup.yaml");
    ok(&ctx, &ns, &["keys", "backup", "-o", s(&backup)]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let saved = std::fs::read(&backup).expect("backup");
    let err = fails(&ctx, &ns, &["keys", "backup", "-o", s(&backup)]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&backup).expect("backup"), saved);
    ok(&ctx, &ns, &["keys", "backup", "-o", s(&backup), "--force"]);
    let sealed_json =
        serde_json::to_vec(&seal(&old_pem, &ns, "offline", &[("p", "q")])).expect("json");
    for bin in [support::ours(), support::upstream()] {
        let out = support::run(
            &bin,
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                s(&backup),
                "-o",
                "yaml",
            ],
            &sealed_json,
            &[],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            bin.display(),
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("p: cQ=="),
            "{}",
            text(&out.stdout)
        );
    }

    // Retire refuses without a backup, and while SealedSecrets need the old key.
    let err = fails(&ctx, &ns, &["keys", "retire"]);
    assert!(err.contains("no --backup file given"), "{err}");
    let err = fails(&ctx, &ns, &["keys", "retire", "--backup", s(&backup)]);
    assert!(err.contains(&format!("{ns}/synced")), "{err}");
    assert!(
        err.contains(&format!("{}/unwatched", other.namespace)),
        "{err}"
    );
    assert!(err.contains("nothing was deleted"), "{err}");
    let err = fails(&ctx, &ns, &["keys", "retire", "--force", &new_fp]);
    assert!(err.contains("is the key that seals"), "{err}");
    let dry = ok(&ctx, &ns, &["keys", "retire", "--force", "--dry-run"]);
    assert!(dry.contains("would retire"), "{dry}");
    assert_eq!(
        key_fingerprints(&ctx, &ns).await.len(),
        2,
        "nothing retired"
    );

    // Re-seal the synced one for the new key, drop the unwatched one: the old key is unused.
    let resealed = seal(&cert(&controller).await, &ns, "synced", &[("k", "v")]);
    let patch = serde_json::json!({ "spec": { "encryptedData": resealed.spec.encrypted_data } });
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ns)
        .patch("synced", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch SealedSecret");
    wait_synced(&ctx, &controller, "synced", "True", 2).await;
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &other.namespace)
        .delete("unwatched", &Default::default())
        .await
        .expect("delete SealedSecret");
    let mut l = listed(&ctx, &ns);
    l.sort();
    let mut want = vec![(old_fp.clone(), false, 0), (new_fp.clone(), true, 1)];
    want.sort();
    assert_eq!(l, want);

    // A backup without the old key is refused; the full one lets it go.
    let partial = scratch.path("new-only.pem");
    let new_secret = Api::<Secret>::namespaced(ctx.admin.clone(), &ns)
        .list(&ListParams::default().labels(&format!("{KEY_LABEL}=active")))
        .await
        .expect("list")
        .items
        .into_iter()
        .find(|s| keys::from_secret(s).map(|k| k.fingerprint) == Ok(new_fp.clone()))
        .expect("new key Secret");
    let new_key_pem = new_secret.data.as_ref().expect("data")["tls.key"].0.clone();
    std::fs::write(&partial, &new_key_pem).expect("write");
    let err = fails(&ctx, &ns, &["keys", "retire", "--backup", s(&partial)]);
    assert!(err.contains("not in the backup"), "{err}");
    let retired = ok(&ctx, &ns, &["keys", "retire", "--backup", s(&backup)]);
    assert!(retired.contains(&old_fp), "{retired}");
    keys_now = key_fingerprints(&ctx, &ns).await;
    assert_eq!(keys_now, vec![new_fp.clone()]);
    assert_eq!(listed(&ctx, &ns), vec![(new_fp.clone(), true, 1)]);
    assert_eq!(served_fingerprint(&controller).await, new_fp);
    let again = ok(&ctx, &ns, &["keys", "retire", "--backup", s(&backup)]);
    assert!(again.contains("nothing to retire"), "{again}");
    drop(controller);

    // Restore into a fresh namespace: every key once, a second run changes nothing. A name
    // already taken there (by an unrelated Secret) gets a generated one.
    let fresh = TestContext::new("cli-keys-restore").await;
    let taken = retired
        .split_whitespace()
        .nth(1)
        .expect("retired key name")
        .to_string();
    Api::<Secret>::namespaced(fresh.admin.clone(), &fresh.namespace)
        .create(
            &Default::default(),
            &Secret {
                metadata: kube::api::ObjectMeta {
                    name: Some(taken.clone()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .expect("create unrelated Secret");
    let out = ok(&fresh, &fresh.namespace, &["keys", "restore", s(&backup)]);
    assert!(
        out.contains("2 key(s) restored, 0 already present"),
        "{out}"
    );
    let out = ok(&fresh, &fresh.namespace, &["keys", "restore", s(&backup)]);
    assert!(
        out.contains("0 key(s) restored, 2 already present"),
        "{out}"
    );
    let mut want = vec![old_fp.clone(), new_fp.clone()];
    want.sort();
    assert_eq!(key_fingerprints(&fresh, &fresh.namespace).await, want);
    let holder = Api::<Secret>::namespaced(fresh.admin.clone(), &fresh.namespace)
        .list(&ListParams::default().labels(&format!("{KEY_LABEL}=active")))
        .await
        .expect("list key Secrets")
        .items
        .into_iter()
        .find(|s| keys::from_secret(s).map(|k| k.fingerprint) == Ok(old_fp.clone()))
        .and_then(|s| s.metadata.name)
        .expect("the old key is restored");
    assert!(
        holder != taken && holder.starts_with("sealed-secrets-key"),
        "{holder}"
    );
    // The restored keys serve a controller: the newest seals, the old one still opens.
    let restored_ctl = start_ours(&fresh, &[]).await;
    assert_eq!(served_fingerprint(&restored_ctl).await, new_fp);
    create_sealed(
        &fresh,
        &seal(&old_pem, &fresh.namespace, "old", &[("k", "v")]),
    )
    .await;
    wait_secret(&fresh, &restored_ctl, "old", &[("k", "v")]).await;
    drop(restored_ctl);

    // Bad files: one line naming the file, nothing created. A bare PEM key is accepted.
    let empty = TestContext::new("cli-keys-bad").await;
    let junk = scratch.write("junk.txt", b"not yaml: [\n");
    let err = fails(&empty, &empty.namespace, &["keys", "restore", s(&junk)]);
    assert!(
        err.starts_with("error: ") && err.contains("junk.txt"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let broken = scratch.write(
        "broken.yaml",
        format!(
            "{}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\n  namespace: x\ndata:\n  tls.key: Z2FyYmFnZQ==\n",
            text(&saved).replace(&ns, "x")
        )
        .as_bytes(),
    );
    let err = fails(&empty, &empty.namespace, &["keys", "restore", s(&broken)]);
    assert!(
        err.contains("broken.yaml: Secret x/bad: tls.key: "),
        "{err}"
    );
    let missing = scratch.path("missing.yaml");
    let err = fails(&empty, &empty.namespace, &["keys", "restore", s(&missing)]);
    assert!(
        err.contains("missing.yaml: no such file or directory"),
        "{err}"
    );
    assert!(key_fingerprints(&empty, &empty.namespace).await.is_empty());
    let out = ok(&empty, &empty.namespace, &["keys", "restore", s(&partial)]);
    assert!(out.contains("1 key(s) restored"), "{out}");
    assert_eq!(
        key_fingerprints(&empty, &empty.namespace).await,
        vec![new_fp.clone()]
    );
}

/// Upstream's controller records no key fingerprints (so `list` tries the keys itself) and reads
/// keys only at start (so `rotate` says a restart is needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_upstream_controller() {
    let ctx = TestContext::new("cli-keys-up").await;
    let ns = ctx.namespace.clone();
    let binary = sealwright_tests::ControllerBinary::upstream(ctx.env)
        .expect("upstream controller (tests/upstream/build.sh)");
    let mut options = sealwright_tests::ControllerOptions::in_namespace(&ns);
    options.args.push("--key-size=2048".into());
    let upstream = RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start upstream controller: {e}"));
    let old_pem = cert(&upstream).await;
    let old_fp = fingerprint_of(&old_pem);
    create_sealed(&ctx, &seal(&old_pem, &ns, "up", &[("k", "v")])).await;
    let ss = wait_synced(&ctx, &upstream, "up", "True", 1).await;
    assert_eq!(ss.status.and_then(|s| s.key_fingerprints), None);
    assert_eq!(listed(&ctx, &ns), vec![(old_fp.clone(), true, 1)]);

    let out = kubeseal(
        &ctx,
        &ns,
        &["keys", "rotate", "--key-size", "2048", "--wait", "3s"],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("needs a restart"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(served_fingerprint(&upstream).await, old_fp);
    let mut l = listed(&ctx, &ns);
    l.sort();
    assert_eq!(l.len(), 2);
    assert!(l.contains(&(old_fp.clone(), false, 1)), "{l:?}");
}
