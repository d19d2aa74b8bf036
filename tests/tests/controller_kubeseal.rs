//! Upstream's `kubeseal` against our controller through the API server's service proxy:
//! `--fetch-cert`, `--validate` and `--re-encrypt`.

mod controller_common;

use std::io::Write;
use std::process::{Command, Stdio};

use controller_common::*;
use sealwright_tests::{ControllerBinary, TestContext};

/// Runs upstream kubeseal with `args` and `stdin`; returns (success, stdout, stderr).
fn kubeseal(ctx: &TestContext, args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let controller =
        ControllerBinary::upstream(ctx.env).expect("upstream binaries (tests/upstream/build.sh)");
    let bin = controller.path.with_file_name("kubeseal");
    let kubeconfig = ctx.env.kubeconfig("admin").expect("admin kubeconfig");
    let mut child = Command::new(&bin)
        .args([
            "--kubeconfig",
            &kubeconfig.to_string_lossy(),
            "--controller-namespace",
            &ctx.namespace,
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubeseal");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write stdin");
    }
    let out = child.wait_with_output().expect("kubeseal output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_kubeseal_fetch_validate_reencrypt() {
    let ctx = TestContext::new("ctl-kubeseal").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    let (ok, out, err) = kubeseal(&ctx, &["--fetch-cert"], b"");
    assert!(ok, "{err}\n{}", controller.log_tail(20));
    assert_eq!(out, pem);

    let ss = seal(&pem, &ctx.namespace, "v", &[("k", "v")]);
    let json = serde_json::to_vec(&ss).expect("json");
    let (ok, _, err) = kubeseal(&ctx, &["--validate"], &json);
    assert!(ok, "validate: {err}");

    let mut wrong = seal(&pem, &ctx.namespace, "elsewhere", &[("k", "v")]);
    wrong.metadata.name = Some("v".into());
    let (ok, _, _) = kubeseal(
        &ctx,
        &["--validate"],
        &serde_json::to_vec(&wrong).expect("json"),
    );
    assert!(!ok, "a SealedSecret for another name must not validate");

    let (ok, out, err) = kubeseal(&ctx, &["--re-encrypt", "-o", "json"], &json);
    assert!(ok, "re-encrypt: {err}\n{}", controller.log_tail(20));
    let resealed: sealwright_crypto::SealedSecret =
        serde_json::from_str(&out).expect("re-encrypted SealedSecret");
    assert_eq!(resealed.metadata.name.as_deref(), Some("v"));
    assert_ne!(
        resealed.spec.encrypted_data.get("k"),
        ss.spec.encrypted_data.get("k"),
        "fresh ciphertext"
    );
    create_sealed(&ctx, &resealed).await;
    wait_secret(&ctx, &controller, "v", &[("k", "v")]).await;
}
