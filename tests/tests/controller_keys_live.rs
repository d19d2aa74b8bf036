//! Key Secrets followed live on the real control plane: a key Secret added, changed, relabelled
//! or deleted takes effect without a restart, seen both in the certificate `/v1/cert.pem` serves
//! and in what the controller can unseal. Key Secrets that fail the load checks (a short key, a
//! `tls.crt` of another key) are skipped and logged, and the controller keeps serving.

mod controller_common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use sealwright_crypto::{RsaPrivateKey, cert, keys};
use sealwright_tests::{RunningController, TestContext, eventually};
use time::OffsetDateTime;

const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

/// Two 2048-bit keys and a 1024-bit one, made once for the whole file.
fn test_keys() -> &'static [RsaPrivateKey] {
    static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [2048, 2048, 1024]
            .into_iter()
            .map(|bits| keys::generate(bits).expect("generate test key"))
            .collect()
    })
}

/// A certificate for `key`, valid from `offset_secs` seconds from now (whole seconds): a later
/// NotBefore makes the key the sealing key under the default `--key-order-priority`.
fn cert_for(key: &RsaPrivateKey, offset_secs: i64) -> String {
    let not_before = OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    cert::self_signed(key, "", not_before, time::Duration::days(30)).expect("certificate")
}

fn key_data(key: &RsaPrivateKey, cert_pem: &str) -> BTreeMap<String, ByteString> {
    [
        (
            keys::TLS_KEY.to_string(),
            ByteString(keys::private_key_to_pem(key).as_bytes().to_vec()),
        ),
        (
            keys::TLS_CERT.to_string(),
            ByteString(cert_pem.as_bytes().to_vec()),
        ),
    ]
    .into()
}

fn secrets(ctx: &TestContext) -> Api<Secret> {
    Api::namespaced(ctx.admin.clone(), &ctx.namespace)
}

async fn create_key_secret(ctx: &TestContext, name: &str, key: &RsaPrivateKey, cert_pem: &str) {
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            labels: Some([(KEY_LABEL.to_string(), "active".to_string())].into()),
            ..Default::default()
        },
        type_: Some(keys::SECRET_TYPE_TLS.into()),
        data: Some(key_data(key, cert_pem)),
        ..Default::default()
    };
    secrets(ctx)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap_or_else(|e| panic!("create key Secret {name}: {e}"));
}

async fn merge_patch(ctx: &TestContext, name: &str, patch: serde_json::Value) {
    secrets(ctx)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("patch key Secret {name}: {e}"));
}

/// Waits until `/v1/cert.pem` serves `want`; returns how long that took.
async fn wait_cert(controller: &RunningController, want: &str, what: &str) -> std::time::Duration {
    let started = std::time::Instant::now();
    let addr = controller.addr();
    eventually(WAIT, what, || {
        let want = want.to_string();
        async move {
            let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && body == want).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)));
    started.elapsed()
}

/// A SealedSecret sealed for `cert_pem` opens: its Secret appears with the data.
async fn opens(ctx: &TestContext, controller: &RunningController, cert_pem: &str, name: &str) {
    create_sealed(ctx, &seal(cert_pem, &ctx.namespace, name, &[("k", name)])).await;
    wait_secret(ctx, controller, name, &[("k", name)]).await;
}

/// A SealedSecret sealed for `cert_pem` does not open: the controller reports it unsealable.
async fn does_not_open(
    ctx: &TestContext,
    controller: &RunningController,
    cert_pem: &str,
    name: &str,
) {
    create_sealed(ctx, &seal(cert_pem, &ctx.namespace, name, &[("k", name)])).await;
    let ss = wait_synced(ctx, controller, name, "False", 1).await;
    assert!(
        synced_message(&ss).is_some_and(|m| m.contains("no key could decrypt secret")),
        "{:?}",
        ss.status
    );
    assert!(secrets(ctx).get_opt(name).await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_secrets_added_changed_relabelled_and_deleted_take_effect_live() {
    let ctx = TestContext::new("ctl-keys-live").await;
    let [key_a, key_b, _] = test_keys() else {
        unreachable!()
    };
    let mut ours = start_ours(&ctx, &[]).await;
    let own_pem = cert(&ours).await;
    opens(&ctx, &ours, &own_pem, "own").await;
    let mut slowest = std::time::Duration::ZERO;

    // Added: a key Secret with a later NotBefore seals from now on; the old key still opens.
    let cert_a = cert_for(key_a, 2);
    create_key_secret(&ctx, "live-key", key_a, &cert_a).await;
    slowest = slowest.max(wait_cert(&ours, &cert_a, "the added key to be served").await);
    opens(&ctx, &ours, &cert_a, "added").await;
    opens(&ctx, &ours, &own_pem, "own-after-add").await;

    // Changed: the same Secret now holds key B; key A is no longer held at all.
    let cert_b = cert_for(key_b, 4);
    merge_patch(
        &ctx,
        "live-key",
        serde_json::json!({ "data": key_data(key_b, &cert_b) }),
    )
    .await;
    slowest = slowest.max(wait_cert(&ours, &cert_b, "the changed key to be served").await);
    opens(&ctx, &ours, &cert_b, "changed").await;
    does_not_open(&ctx, &ours, &cert_a, "replaced-key").await;

    // Relabelled as compromised: key B stops being used at once, the controller's own key seals.
    merge_patch(
        &ctx,
        "live-key",
        serde_json::json!({ "metadata": { "labels": { KEY_LABEL: "compromised" } } }),
    )
    .await;
    slowest = slowest.max(wait_cert(&ours, &own_pem, "the compromised key to be dropped").await);
    does_not_open(&ctx, &ours, &cert_b, "compromised-key").await;
    opens(&ctx, &ours, &own_pem, "own-after-relabel").await;

    // Relabelled back to active: key B is used again.
    merge_patch(
        &ctx,
        "live-key",
        serde_json::json!({ "metadata": { "labels": { KEY_LABEL: "active" } } }),
    )
    .await;
    slowest = slowest.max(wait_cert(&ours, &cert_b, "the reactivated key to be served").await);
    opens(&ctx, &ours, &cert_b, "reactivated").await;

    // Deleted (as `kubeseal keys retire` does): key B is gone again.
    secrets(&ctx)
        .delete("live-key", &DeleteParams::default())
        .await
        .expect("delete key Secret");
    slowest = slowest.max(wait_cert(&ours, &own_pem, "the deleted key to be dropped").await);
    does_not_open(&ctx, &ours, &cert_b, "deleted-key").await;

    // Every key deleted: the controller makes a new one, as at start, and seals with it.
    let labelled = ListParams::default().labels(&format!("{KEY_LABEL}=active"));
    for s in secrets(&ctx)
        .list(&labelled)
        .await
        .expect("list keys")
        .items
    {
        let name = s.metadata.name.expect("name");
        secrets(&ctx)
            .delete(&name, &DeleteParams::default())
            .await
            .expect("delete key Secret");
    }
    let addr = ours.addr();
    let fresh_pem = eventually(WAIT, "a new key after the last one was deleted", || {
        let own_pem = own_pem.clone();
        async move {
            let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && body != own_pem).then_some(body)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", ours.log_tail(40)));
    opens(&ctx, &ours, &fresh_pem, "fresh").await;
    does_not_open(&ctx, &ours, &own_pem, "retired-own-key").await;
    assert_eq!(
        secrets(&ctx)
            .list(&labelled)
            .await
            .expect("list")
            .items
            .len(),
        1,
        "exactly one new key Secret"
    );

    assert!(ours.is_running(), "{}", ours.log_tail(40));
    eprintln!("slowest key change to reach /v1/cert.pem: {slowest:?}");
    assert!(
        slowest < std::time::Duration::from_secs(10),
        "key changes take effect within seconds (slowest {slowest:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_key_and_mismatched_certificate_are_skipped_and_logged() {
    let ctx = TestContext::new("ctl-keys-refused").await;
    let [key_a, key_b, short] = test_keys() else {
        unreachable!()
    };
    // Both would be the sealing key if accepted: their NotBefore is later than any key the
    // controller makes.
    let short_pem = cert_for(short, 3600);
    create_key_secret(&ctx, "short-key", short, &short_pem).await;
    let foreign_pem = cert_for(key_b, 3600);
    create_key_secret(&ctx, "mismatched-key", key_a, &foreign_pem).await;

    let mut ours = start_ours(&ctx, &[]).await;
    let own_pem = cert(&ours).await;
    assert_ne!(own_pem, short_pem);
    assert_ne!(own_pem, foreign_pem);
    let log = ours.log_tail(200);
    for expected in [
        "short-key",
        "RSA key of 1024 bits is shorter than the 2048-bit minimum",
        "mismatched-key",
        "tls.crt is the certificate of a different key than tls.key",
    ] {
        assert!(log.contains(expected), "log names {expected:?}:\n{log}");
    }
    assert!(!log.contains("PRIVATE KEY"), "no key material in the log");
    opens(&ctx, &ours, &own_pem, "own").await;
    does_not_open(&ctx, &ours, &short_pem, "sealed-for-short-key").await;

    // The same at runtime: logged, skipped, and the controller keeps serving its own key.
    let short_runtime_pem = cert_for(short, 7200);
    create_key_secret(&ctx, "short-key-runtime", short, &short_runtime_pem).await;
    let addr = ours.addr();
    eventually(WAIT, "the runtime short key to be logged", || {
        let log = ours.log_tail(200);
        async move { log.contains("short-key-runtime").then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", ours.log_tail(40)));
    let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
        .await
        .expect("GET cert.pem");
    assert_eq!((code, body), (200, own_pem.clone()));
    opens(&ctx, &ours, &own_pem, "own-after-runtime").await;
    assert!(ours.is_running(), "{}", ours.log_tail(40));
}
