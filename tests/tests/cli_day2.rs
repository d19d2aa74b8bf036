//! Day-2 GitOps on real control planes: `kubeseal set`, `unset`, `edit` and a
//! `.sealed-secrets.yaml` rules file mapping two directories to two clusters. The two clusters
//! are two control planes (the run's and a second, empty one), each with its own API server and
//! one of our controllers with its own key, in a namespace of the same name. One kubeconfig has
//! a context per plane and the rules pick the cluster by `context:`, as a user with two clusters
//! has it. Every change is checked three ways: the controller unseals the changed object to the
//! intended Secret, each value opens only with its own cluster's key, and `git diff` of the
//! change touches only the lines of the changed ciphertexts. Last, `kubeseal reencrypt` of the
//! whole repository goes to each file's own controller.

mod controller_common;
#[path = "cli_support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use controller_common::*;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::config::{Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{FreshControlPlane, RunningController, TestContext, Testenv};

/// One "cluster": its control plane's context, controller, certificate and private key backup.
struct Cluster {
    ctx: TestContext,
    controller: RunningController,
    key_file: PathBuf,
}

/// Starts our controller in `ctx`'s namespace and saves its key as `<name>.json`.
async fn cluster(ctx: TestContext, name: &str, keys_dir: &Path) -> Cluster {
    let controller = start_ours(&ctx, &[]).await;
    let key = key_secrets(&ctx).await.remove(0);
    let key_file = keys_dir.join(format!("{name}.json"));
    std::fs::write(&key_file, serde_json::to_vec(&key).expect("json")).expect("write key");
    Cluster {
        ctx,
        controller,
        key_file,
    }
}

/// The second plane as a test context: the same namespace name as on the first plane.
async fn second_plane_context(plane: &FreshControlPlane, namespace: &str) -> TestContext {
    let admin = plane.env.admin().await.expect("admin client, second plane");
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(admin.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("create namespace on the second plane: {e}"));
    // `TestContext` holds the run's `&'static Testenv`; one small leak per test run is the
    // simplest way to give the second plane the same shape.
    let env: &'static Testenv = Box::leak(Box::new(plane.env.clone()));
    TestContext {
        env,
        admin,
        namespace: namespace.to_string(),
    }
}

/// One kubeconfig with a context per plane (each plane's admin user), named `a` and `b`, the
/// current context `current`.
fn two_context_kubeconfig(planes: [(&str, &Testenv); 2], current: &str, path: &Path) {
    let mut merged = Kubeconfig {
        api_version: Some("v1".into()),
        kind: Some("Config".into()),
        current_context: Some(current.to_string()),
        ..Kubeconfig::default()
    };
    for (name, env) in planes {
        let file = env.kubeconfig("admin").expect("admin kubeconfig");
        let kc = Kubeconfig::read_from(file).expect("read admin kubeconfig");
        let cluster = kc.clusters.into_iter().next().expect("a cluster");
        let user = kc.auth_infos.into_iter().next().expect("a user");
        let mut context = kc.contexts.into_iter().next().expect("a context");
        if let Some(c) = context.context.as_mut() {
            c.cluster = name.to_string();
            c.user = Some(name.to_string());
        }
        merged.clusters.push(NamedCluster {
            name: name.to_string(),
            ..cluster
        });
        merged.auth_infos.push(NamedAuthInfo {
            name: name.to_string(),
            ..user
        });
        merged.contexts.push(NamedContext {
            name: name.to_string(),
            ..context
        });
    }
    let yaml = serde_yaml::to_string(&merged).expect("kubeconfig yaml");
    std::fs::write(path, yaml).expect("write kubeconfig");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

fn kubeseal(kubeconfig: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--kubeconfig", support::s(kubeconfig)]);
    let out = support::run(&support::ours(), &all, stdin, env);
    assert!(
        out.status.success(),
        "kubeseal {args:?} failed: {}",
        support::text(&out.stderr)
    );
    support::text(&out.stderr)
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(repo)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        support::text(&out.stderr)
    );
    support::text(&out.stdout)
}

/// The changed lines of the working tree against the last commit (`+`/`-` and the line), then
/// commits them.
fn changed_lines_and_commit(repo: &Path) -> Vec<String> {
    let diff = git(repo, &["diff", "-U0", "--no-color"]);
    git(repo, &["commit", "-qam", "step"]);
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .map(str::to_string)
        .collect()
}

/// Asserts that each changed line is an item line `<sign>    <key>: <ciphertext>` and that the
/// signs and keys are exactly `want`.
fn assert_only_items(lines: &[String], want: &[(&str, &str)]) {
    let mut got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let (sign, rest) = l.split_at(1);
            let rest = rest
                .strip_prefix("    ")
                .unwrap_or_else(|| panic!("not an item line: {l}"));
            let (key, value) = rest
                .split_once(": ")
                .unwrap_or_else(|| panic!("not an item line: {l}"));
            assert!(
                value.len() > 300
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)),
                "not a ciphertext: {l}"
            );
            (sign.to_string(), key.to_string())
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = want
        .iter()
        .map(|(s, k)| (s.to_string(), k.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want, "changed lines:\n{}", lines.join("\n"));
}

fn read_sealed(path: &Path) -> SealedSecret {
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("read")).expect("SealedSecret")
}

/// Creates or replaces the file's SealedSecret in its cluster.
async fn apply(c: &Cluster, path: &Path) {
    let api = Api::<SealedSecret>::namespaced(c.ctx.admin.clone(), &c.ctx.namespace);
    let mut ss = read_sealed(path);
    let name = ss.metadata.name.clone().expect("name");
    match api.get_opt(&name).await.expect("get") {
        Some(live) => {
            ss.metadata.resource_version = live.metadata.resource_version;
            api.replace(&name, &PostParams::default(), &ss)
                .await
                .expect("replace SealedSecret");
        }
        None => {
            api.create(&PostParams::default(), &ss)
                .await
                .expect("create SealedSecret");
        }
    }
}

/// Whether `--recovery-unseal` with `key_file` opens the file (every item).
fn opens_with(path: &Path, key_file: &Path) -> bool {
    support::run(
        &support::ours(),
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            support::s(key_file),
            "-f",
            support::s(path),
        ],
        b"",
        &[],
    )
    .status
    .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_unset_edit_and_two_clusters() {
    let scratch = support::Scratch::new("day2");
    let keys_dir = scratch.path("keys");
    std::fs::create_dir_all(&keys_dir).expect("mkdir");
    let ctx_a = TestContext::new("day2").await;
    let plane = FreshControlPlane::start(ctx_a.env)
        .await
        .unwrap_or_else(|e| panic!("second control plane: {e}"));
    let ns = ctx_a.namespace.clone();
    let ctx_b = second_plane_context(&plane, &ns).await;
    let a = cluster(ctx_a, "a", &keys_dir).await;
    let b = cluster(ctx_b, "b", &keys_dir).await;
    // The current context is B's: A's files reach plane A only through the rules' `context:`.
    let kubeconfig = &scratch.path("kubeconfig");
    two_context_kubeconfig([("a", a.ctx.env), ("b", b.ctx.env)], "b", kubeconfig);

    // A repository with one file per cluster and the rules that tell them apart. Both clusters
    // use the same namespace, so only the context tells them apart.
    let repo = scratch.path("repo");
    for (name, c) in [("a", &a), ("b", &b)] {
        let dir = repo.join("clusters").join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let ss = seal(
            &cert(&c.controller).await,
            &c.ctx.namespace,
            "db",
            &[("password", "old"), ("user", "admin")],
        );
        let yaml = serde_yaml::to_string(&ss).expect("yaml");
        std::fs::write(
            dir.join("db.yaml"),
            format!("# database credentials\n{yaml}"),
        )
        .expect("write");
    }
    std::fs::write(
        repo.join(".sealed-secrets.yaml"),
        format!(
            "clusters:\n  a: {{context: a, controllerNamespace: {ns}}}\n  b: {{context: b, controllerNamespace: {ns}}}\nrules:\n  - {{path: \"clusters/a/**\", cluster: a}}\n  - {{path: \"clusters/b/**\", cluster: b}}\n"
        ),
    )
    .expect("write rules");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "initial"]);
    let file_a = repo.join("clusters/a/db.yaml");
    let file_b = repo.join("clusters/b/db.yaml");

    // 1. One glob, one stdin value, each file sealed for its own cluster (from the rules).
    let glob = repo.join("clusters/*/db.yaml");
    kubeseal(
        kubeconfig,
        &["set", support::s(&glob), "password=-"],
        b"rotated-1",
        &[],
    );
    assert_only_items(
        &changed_lines_and_commit(&repo),
        &[
            ("-", "password"),
            ("+", "password"),
            ("-", "password"),
            ("+", "password"),
        ],
    );
    for (c, file) in [(&a, &file_a), (&b, &file_b)] {
        apply(c, file).await;
        wait_secret(
            &c.ctx,
            &c.controller,
            "db",
            &[("password", "rotated-1"), ("user", "admin")],
        )
        .await;
    }
    assert!(opens_with(&file_a, &a.key_file) && opens_with(&file_b, &b.key_file));
    assert!(
        !opens_with(&file_a, &b.key_file),
        "A's values open with B's key"
    );
    assert!(
        !opens_with(&file_b, &a.key_file),
        "B's values open with A's key"
    );

    // 2. Explicit controller flags (the rules are not consulted): add one item, remove one.
    kubeseal(
        kubeconfig,
        &[
            "set",
            support::s(&file_a),
            "api-token=tok-1",
            "--context",
            "a",
            "--controller-namespace",
            &ns,
        ],
        b"",
        &[],
    );
    kubeseal(
        kubeconfig,
        &["unset", support::s(&file_a), "user"],
        b"",
        &[],
    );
    assert_only_items(
        &changed_lines_and_commit(&repo),
        &[("+", "api-token"), ("-", "user")],
    );
    apply(&a, &file_a).await;
    wait_secret(
        &a.ctx,
        &a.controller,
        "db",
        &[("password", "rotated-1"), ("api-token", "tok-1")],
    )
    .await;

    // 3. edit with a scripted editor: one value changes, the other ciphertext stays.
    let editor = scratch.write(
        "editor.sh",
        b"sed -i 's/^  api-token: .*/  api-token: tok-2/' \"$1\"\n",
    );
    let editor_cmd = format!("sh {}", support::s(&editor));
    let said = kubeseal(
        kubeconfig,
        &[
            "edit",
            support::s(&file_b),
            "--recovery-private-key",
            support::s(&b.key_file),
        ],
        b"",
        &[("EDITOR", "true")],
    );
    assert!(said.contains("no changes"), "{said}");
    kubeseal(
        kubeconfig,
        &[
            "edit",
            support::s(&file_a),
            "--recovery-private-key",
            support::s(&a.key_file),
        ],
        b"",
        &[("EDITOR", &editor_cmd)],
    );
    assert_only_items(
        &changed_lines_and_commit(&repo),
        &[("-", "api-token"), ("+", "api-token")],
    );
    apply(&a, &file_a).await;
    wait_secret(
        &a.ctx,
        &a.controller,
        "db",
        &[("password", "rotated-1"), ("api-token", "tok-2")],
    )
    .await;
    assert!(!opens_with(&file_a, &b.key_file));

    // 4. Plain `kubeseal -w` under the rules seals a new file for B's cluster.
    let new_b = repo.join("clusters/b/app.yaml");
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: app, namespace: {ns}}}\nstringData: {{key: v1}}\n"
    );
    kubeseal(
        kubeconfig,
        &["-w", support::s(&new_b)],
        secret.as_bytes(),
        &[],
    );
    assert!(opens_with(&new_b, &b.key_file) && !opens_with(&new_b, &a.key_file));
    apply(&b, &new_b).await;
    let s: Secret = wait_secret(&b.ctx, &b.controller, "app", &[("key", "v1")]).await;
    assert_eq!(s.metadata.namespace.as_deref(), Some(ns.as_str()));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "app"]);

    // 5. `kubeseal reencrypt` sends each file to its own cluster's controller (the flags name
    // none): every file either is current there or is re-encrypted by it, and still opens only
    // with its own key.
    let said = kubeseal(kubeconfig, &["reencrypt", support::s(&repo)], b"", &[]);
    assert!(
        said.contains("3 SealedSecrets") && said.contains("0 files failed"),
        "{said}"
    );
    for (file, own, other) in [
        (&file_a, &a.key_file, &b.key_file),
        (&file_b, &b.key_file, &a.key_file),
        (&new_b, &b.key_file, &a.key_file),
    ] {
        assert!(
            opens_with(file, own) && !opens_with(file, other),
            "{}",
            file.display()
        );
    }
    // B's controller stops before its plane does.
    drop(b);
    drop(plane);
}
