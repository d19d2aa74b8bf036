//! `kubeseal reencrypt DIR` online, on the real control plane: our controller with two keys
//! (the second added after the files were sealed), the files rewritten through the controller's
//! `/v1/rotate`; the new ciphertexts open only with the new key, the rewritten objects unseal to
//! the same Secrets, a second run finds everything current from the objects' status, and a
//! SealedSecret for another cluster's key fails alone. Plus, without a cluster: files sealed by
//! upstream's kubeseal, re-encrypted offline by ours, open with upstream's `--recovery-unseal`.

mod controller_common;
#[path = "cli_support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use sealwright_crypto::{SealedSecret, scope};
use sealwright_tests::{RunningController, TestContext, eventually};

const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

/// Item name → plaintext.
type Items = Vec<(&'static str, &'static str)>;

async fn key_secrets(ctx: &TestContext) -> Vec<Secret> {
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(&format!("{KEY_LABEL}=active")))
        .await
        .expect("list key Secrets")
        .items
}

/// A SealedSecret for `pem` in the scope `annotation` selects (none: strict).
fn seal_scoped(
    pem: &str,
    ns: &str,
    name: &str,
    annotation: Option<&str>,
    data: &[(&str, &str)],
) -> SealedSecret {
    let info = sealwright_crypto::cert::parse_pem(pem.as_bytes()).expect("parse cert");
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            annotations: annotation.map(|a| BTreeMap::from([(a.to_string(), "true".to_string())])),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    sealwright_crypto::seal::seal_secret(&secret, &info.public_key).expect("seal")
}

/// Our kubeseal against the test namespace's controller, as the admin user.
fn kubeseal(ctx: &TestContext, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let kubeconfig = ctx.env.kubeconfig("admin").expect("admin kubeconfig");
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend([
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "--controller-namespace".into(),
        ctx.namespace.clone(),
    ]);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    support::run(&support::ours(), &refs, stdin, &[])
}

/// The data of each SealedSecret in a file opened with `key_file`, or `None` if any fails.
fn recovery_unseal(
    ctx: &TestContext,
    ss: &SealedSecret,
    key_file: &Path,
) -> Option<BTreeMap<String, String>> {
    let out = kubeseal(
        ctx,
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            support::s(key_file),
            "-o",
            "json",
        ],
        &serde_json::to_vec(ss).expect("json"),
    );
    if !out.status.success() {
        return None;
    }
    let secret: Secret = serde_json::from_slice(&out.stdout).expect("secret");
    Some(secret_data(&secret))
}

/// The SealedSecrets of a YAML or JSON file.
fn read_objects(path: &Path) -> Vec<SealedSecret> {
    let text = std::fs::read_to_string(path).expect("read");
    let docs: Vec<serde_json::Value> = if path.extension().is_some_and(|e| e == "json") {
        vec![serde_json::from_str(&text).expect("json")]
    } else {
        use serde::Deserialize;
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_json::Value::deserialize(d).expect("yaml"))
            .collect()
    };
    docs.into_iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .map(|d| serde_json::from_value(d).expect("SealedSecret"))
        .collect()
}

fn secret_json(secret: &Secret, dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(secret).expect("json")).expect("write key");
    p
}

async fn wait_fingerprints(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    generation: i64,
    want: &str,
) {
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(
        WAIT,
        &format!("{name} synced at generation {generation} with {want}"),
        || {
            let api = api.clone();
            async move {
                let ss = api.get_opt(name).await.ok().flatten()?;
                let st = ss.status.as_ref()?;
                (st.observed_generation == Some(generation)
                    && st.key_fingerprints.as_deref() == Some(&[want.to_string()][..]))
                .then_some(())
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_reencrypt_of_a_tree() {
    // The second key comes from a donor controller started later (a later NotBefore).
    let ctx = TestContext::new("cli-reenc").await;
    let controller = start_ours(&ctx, &[]).await;
    let old_pem = cert(&controller).await;
    let old_key = key_secrets(&ctx).await.remove(0);
    let ns = ctx.namespace.clone();

    let objects: Vec<(&str, SealedSecret, Items)> = vec![
        (
            "apps/db.yaml",
            seal_scoped(
                &old_pem,
                &ns,
                "db",
                None,
                &[("password", "s3cret"), ("user", "admin")],
            ),
            vec![("password", "s3cret"), ("user", "admin")],
        ),
        (
            "apps/shared.yaml",
            seal_scoped(
                &old_pem,
                &ns,
                "shared",
                Some(scope::NAMESPACE_WIDE_ANNOTATION),
                &[("token", "tok-1")],
            ),
            vec![("token", "tok-1")],
        ),
        (
            "cluster.json",
            seal_scoped(
                &old_pem,
                &ns,
                "registry",
                Some(scope::CLUSTER_WIDE_ANNOTATION),
                &[("auth", "u:p")],
            ),
            vec![("auth", "u:p")],
        ),
    ];
    let scratch = support::Scratch::new("reencrypt-online");
    let repo = scratch.path("repo");
    let keys_dir = scratch.path("keys");
    std::fs::create_dir_all(repo.join("apps")).expect("mkdir");
    std::fs::create_dir_all(&keys_dir).expect("mkdir");
    let mut originals = BTreeMap::new();
    for (file, ss, _) in &objects {
        let text = if file.ends_with(".json") {
            serde_json::to_string_pretty(ss).expect("json") + "\n"
        } else {
            format!(
                "# {file}: sealed for the first key\n{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-a-secret\n",
                serde_yaml::to_string(ss).expect("yaml")
            )
        };
        std::fs::write(repo.join(file), &text).expect("write");
        originals.insert(*file, text);
        create_sealed(&ctx, ss).await;
    }
    let mut secrets_before = BTreeMap::new();
    for (_, ss, data) in &objects {
        let name = ss.metadata.name.clone().expect("name");
        let secret = wait_secret(&ctx, &controller, &name, data).await;
        secrets_before.insert(name, secret_data(&secret));
    }

    // A newer key appears in the namespace; the running controller seals with it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let donor_ctx = TestContext::new("cli-reenc-donor").await;
    let donor = start_ours(&donor_ctx, &[]).await;
    let new_pem = cert(&donor).await;
    let new_key = key_secrets(&donor_ctx).await.remove(0);
    drop(donor);
    Api::<Secret>::namespaced(ctx.admin.clone(), &ns)
        .create(
            &PostParams::default(),
            &Secret {
                metadata: ObjectMeta {
                    name: Some("newer-key".into()),
                    namespace: Some(ns.clone()),
                    labels: Some(BTreeMap::from([(
                        KEY_LABEL.to_string(),
                        "active".to_string(),
                    )])),
                    ..Default::default()
                },
                type_: new_key.type_.clone(),
                data: new_key.data.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("add the newer key");
    let addr = controller.addr();
    eventually(WAIT, "the newer key to be served", || {
        let new_pem = new_pem.clone();
        async move {
            let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && body == new_pem).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    let old_key_file = secret_json(&old_key, &keys_dir, "old-key.json");
    let new_key_file = secret_json(&new_key, &keys_dir, "new-key.json");
    let new_fp = sealwright_crypto::cert::parse_pem(new_pem.as_bytes())
        .expect("new cert")
        .fingerprint();

    // A dry run (flags after the subcommand, as documented) reports and writes nothing.
    let out = kubeseal(
        &ctx,
        &[
            "reencrypt",
            support::s(&repo),
            "--dry-run",
            "--controller-name",
            "sealed-secrets-controller",
        ],
        b"",
    );
    let err = support::text(&out.stderr);
    assert!(out.status.success(), "{err}\n{}", controller.log_tail(40));
    assert!(
        err.contains(&format!(
            "would re-encrypt {}: 2 items in 1 SealedSecret\n",
            repo.join("apps/db.yaml").display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with("0 files failed (dry run: nothing written)\n"),
        "{err}"
    );
    for (file, _, _) in &objects {
        assert_eq!(
            std::fs::read_to_string(repo.join(file)).expect("read"),
            originals[file],
            "{file} untouched by the dry run"
        );
    }

    // Online re-encryption of the whole tree.
    let out = kubeseal(&ctx, &["reencrypt", support::s(&repo)], b"");
    let err = support::text(&out.stderr);
    assert!(out.status.success(), "{err}\n{}", controller.log_tail(40));
    assert!(out.stdout.is_empty());
    assert!(
        err.ends_with(
            "3 files scanned, 3 SealedSecrets, 4 items re-encrypted, 0 already current, 0 files failed\n"
        ),
        "{err}"
    );

    for (file, _, data) in &objects {
        let path = repo.join(file);
        let now = std::fs::read_to_string(&path).expect("read");
        let before = &originals[file];
        assert_ne!(&now, before, "{file} rewritten");
        assert_eq!(
            support::mask(&now),
            support::mask(before),
            "{file}: only ciphertexts change"
        );
        let ss = read_objects(&path).remove(0);
        let want: BTreeMap<String, String> = data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            recovery_unseal(&ctx, &ss, &new_key_file),
            Some(want),
            "{file} opens with the new key"
        );
        assert_eq!(
            recovery_unseal(&ctx, &ss, &old_key_file),
            None,
            "{file} no longer opens with the old key"
        );

        // Applied, the object unseals to the same Secret, now with the new key only.
        let name = ss.metadata.name.clone().expect("name");
        Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ns)
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({
                    "spec": {"encryptedData": ss.spec.encrypted_data}
                })),
            )
            .await
            .expect("apply the rewritten object");
        wait_fingerprints(&ctx, &controller, &name, 2, &new_fp).await;
        let secret = wait_secret(&ctx, &controller, &name, &data[..]).await;
        assert_eq!(
            secret_data(&secret),
            secrets_before[&name],
            "{name} unchanged"
        );
    }

    // Second run: the cluster's status proves every object current; nothing is written.
    let snapshot: Vec<String> = objects
        .iter()
        .map(|(f, _, _)| std::fs::read_to_string(repo.join(f)).expect("read"))
        .collect();
    let out = kubeseal(&ctx, &["reencrypt", support::s(&repo)], b"");
    let err = support::text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err,
        "3 files scanned, 3 SealedSecrets, 0 items re-encrypted, 4 already current, 0 files failed\n"
    );
    let again: Vec<String> = objects
        .iter()
        .map(|(f, _, _)| std::fs::read_to_string(repo.join(f)).expect("read"))
        .collect();
    assert_eq!(again, snapshot);

    // A SealedSecret for another cluster's key fails alone and stays as it was.
    let stranger_ctx = TestContext::new("cli-reenc-stranger").await;
    let stranger = start_ours(&stranger_ctx, &[]).await;
    let foreign_pem = cert(&stranger).await;
    drop(stranger);
    let foreign = serde_yaml::to_string(&seal_scoped(
        &foreign_pem,
        &ns,
        "foreign",
        None,
        &[("k", "v")],
    ))
    .expect("yaml");
    let foreign_path = repo.join("apps/foreign.yaml");
    std::fs::write(&foreign_path, &foreign).expect("write");
    let out = kubeseal(&ctx, &["reencrypt", support::s(&repo)], b"");
    let err = support::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {}: SealedSecret {ns}/foreign: the controller cannot re-encrypt it (HTTP 500)",
            foreign_path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "4 files scanned, 4 SealedSecrets, 0 items re-encrypted, 4 already current, 1 files failed\n"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&foreign_path).expect("read"),
        foreign
    );
}

/// No cluster needed: files sealed by upstream's kubeseal (its own YAML and JSON output) are
/// re-encrypted offline by ours, and upstream's kubeseal opens the result with the new key.
#[test]
fn offline_reencrypt_interoperates_with_upstream_kubeseal() {
    let upstream = support::upstream();
    let scratch = support::Scratch::new("reencrypt-interop");
    let secrets = [
        ("strict.yaml", "yaml", "strict", "db", "password", "s3cret"),
        (
            "nswide.json",
            "json",
            "namespace-wide",
            "shared",
            "token",
            "tok-1",
        ),
        (
            "cluster.yaml",
            "yaml",
            "cluster-wide",
            "registry",
            "auth",
            "u:p",
        ),
    ];
    let mut originals = Vec::new();
    for (file, format, scope, name, item, value) in secrets {
        let input = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\nstringData:\n  {item}: {value}\n"
        );
        let out = support::run(
            &upstream,
            &[
                "--cert",
                support::s(&support::cert(2048)),
                "--scope",
                scope,
                "-o",
                format,
            ],
            input.as_bytes(),
            &[],
        );
        assert!(out.status.success(), "{}", support::text(&out.stderr));
        let text = if format == "yaml" {
            format!(
                "# sealed by upstream kubeseal\n{}",
                support::text(&out.stdout)
            )
        } else {
            support::text(&out.stdout)
        };
        originals.push(text.clone());
        scratch.write(file, text.as_bytes());
    }

    let keys = format!(
        "{},{}",
        support::s(&support::key(2048)),
        support::s(&support::key(3072))
    );
    let out = support::run(
        &support::ours(),
        &[
            "reencrypt",
            support::s(&scratch.0),
            "--recovery-private-key",
            &keys,
            "--cert",
            support::s(&support::cert(3072)),
        ],
        b"",
        &[],
    );
    let err = support::text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.ends_with(
            "3 files scanned, 3 SealedSecrets, 3 items re-encrypted, 0 already current, 0 files failed\n"
        ),
        "{err}"
    );

    for ((file, _, _, name, item, value), before) in secrets.iter().zip(&originals) {
        let path = scratch.path(file);
        let now = std::fs::read_to_string(&path).expect("read");
        assert_ne!(&now, before, "{file} rewritten");
        assert_eq!(support::mask(&now), support::mask(before), "{file}");
        for (key, opens) in [(3072, true), (2048, false)] {
            let out = support::run(
                &upstream,
                &[
                    "--recovery-unseal",
                    "--recovery-private-key",
                    support::s(&support::key(key)),
                    "-o",
                    "json",
                ],
                now.as_bytes(),
                &[],
            );
            assert_eq!(out.status.success(), opens, "{file} with the {key}-bit key");
            if opens {
                let secret: Secret = serde_json::from_slice(&out.stdout).expect("secret");
                assert_eq!(secret.metadata.name.as_deref(), Some(*name));
                assert_eq!(
                    secret_data(&secret),
                    BTreeMap::from([(item.to_string(), value.to_string())]),
                    "{file}"
                );
            }
        }
    }
}
