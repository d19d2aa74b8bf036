//! Self-healing Secrets on the real control plane: a Secret its SealedSecret owns, changed by
//! someone else, is restored (or only reported in detect mode), with a `SecretDrifted` Event and
//! the drift counter; a writer that keeps fighting the repairs is backed off.

mod controller_common;

use std::time::{Duration, Instant};

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Event, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{RunningController, TestContext, eventually};

const DRIFT_ANNOTATION: &str = "sealedsecrets.bitnami.com/secret-drift";

fn secrets(ctx: &TestContext) -> Api<Secret> {
    Api::namespaced(ctx.admin.clone(), &ctx.namespace)
}

/// Merge-patches the Secret's `data` (a `None` value removes the key).
async fn patch_data(ctx: &TestContext, name: &str, data: &[(&str, Option<&str>)]) {
    let data: serde_json::Map<String, serde_json::Value> = data
        .iter()
        .map(|(k, v)| {
            let v = v.map_or(serde_json::Value::Null, |v| {
                serde_json::json!(ByteString(v.as_bytes().to_vec()))
            });
            (k.to_string(), v)
        })
        .collect();
    secrets(ctx)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({ "data": data })),
        )
        .await
        .expect("patch Secret data");
}

/// The SealedSecret's `SecretDrifted` (or other `reason`) Event whose message contains `text`.
async fn wait_event_with(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    reason: &str,
    text: &str,
) -> Event {
    let api = Api::<Event>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(
        WAIT,
        &format!("event {reason} on {name} with {text:?}"),
        || {
            let api = api.clone();
            async move {
                let list = api.list(&ListParams::default()).await.ok()?;
                list.items.into_iter().find(|e| {
                    e.reason.as_deref() == Some(reason)
                        && e.involved_object.name.as_deref() == Some(name)
                        && e.message.as_deref().is_some_and(|m| m.contains(text))
                })
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

/// The drift counter for `name` and `action`, from `/metrics` (0 when absent).
async fn drift_count(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    action: &str,
) -> u64 {
    let (code, body) = sealwright_tests::wire::get(controller.metrics_addr(), "/metrics")
        .await
        .expect("GET /metrics");
    assert_eq!(code, 200);
    let series = format!(
        "sealwright_secret_drift_total{{action=\"{action}\",name=\"{name}\",namespace=\"{}\"}} ",
        ctx.namespace
    );
    body.lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Creates the SealedSecret and waits until its Secret is written and vouched for in status.
async fn sealed_and_synced(
    ctx: &TestContext,
    controller: &RunningController,
    ss: &SealedSecret,
    data: &[(&str, &str)],
) {
    let name = ss.metadata.name.clone().unwrap_or_default();
    create_sealed(ctx, ss).await;
    wait_secret(ctx, controller, &name, data).await;
    let synced = wait_synced(ctx, controller, &name, "True", 1).await;
    assert!(
        synced
            .status
            .and_then(|s| s.secret_resource_version)
            .is_some(),
        "status records the Secret's resourceVersion"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_repaired_and_reported() {
    let ctx = TestContext::new("ctl-heal").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let want = [("a", "1"), ("b", "2")];
    sealed_and_synced(
        &ctx,
        &controller,
        &seal(&pem, &ctx.namespace, "db", &want),
        &want,
    )
    .await;

    // Data edited by hand → restored, Event names the key and no value.
    patch_data(&ctx, "db", &[("a", Some("hand-edited"))]).await;
    wait_secret(&ctx, &controller, "db", &want).await;
    let ev = wait_event_with(&ctx, &controller, "db", "SecretDrifted", "changed keys a").await;
    assert_eq!(ev.type_.as_deref(), Some("Warning"));
    let message = ev.message.unwrap_or_default();
    assert!(message.ends_with("; restored"), "{message}");
    for value in ["hand-edited", "1", "2"] {
        assert!(!message.contains(value), "value leaked: {message}");
    }

    // A key added → removed again.
    patch_data(&ctx, "db", &[("extra", Some("x"))]).await;
    wait_secret(&ctx, &controller, "db", &want).await;
    wait_event_with(&ctx, &controller, "db", "SecretDrifted", "added keys extra").await;

    // A key removed → put back.
    patch_data(&ctx, "db", &[("b", None)]).await;
    wait_secret(&ctx, &controller, "db", &want).await;
    wait_event_with(&ctx, &controller, "db", "SecretDrifted", "removed keys b").await;

    // The type cannot be updated in place, so it changes by replacing the Secret (keeping our
    // ownerReference, as a restore from a backup would); ours comes back as Opaque.
    let api = secrets(&ctx);
    let mut swapped = None;
    for _ in 0..5 {
        let current = api.get("db").await.expect("get Secret");
        api.delete("db", &DeleteParams::default())
            .await
            .expect("delete Secret");
        let other = Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                owner_references: current.metadata.owner_references.clone(),
                ..Default::default()
            },
            data: current.data.clone(),
            type_: Some("example.com/other".into()),
            ..Default::default()
        };
        // The controller may re-create its Secret first; then try again.
        if let Ok(s) = api.create(&PostParams::default(), &other).await {
            swapped = s.metadata.uid;
            break;
        }
    }
    let swapped = swapped.expect("replaced the Secret with another type");
    let restored = eventually(WAIT, "Secret db back to type Opaque", || {
        let api = api.clone();
        async move {
            let s = api.get_opt("db").await.ok().flatten()?;
            (s.type_.as_deref() == Some("Opaque")).then_some(s)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)));
    assert_ne!(restored.metadata.uid, Some(swapped));
    assert_eq!(secret_data(&restored), secret_data_of(&want));
    wait_event_with(&ctx, &controller, "db", "SecretDrifted", "type").await;

    let repaired = drift_count(&ctx, &controller, "db", "repaired").await;
    assert!(repaired >= 4, "repaired counter: {repaired}");
    assert_eq!(drift_count(&ctx, &controller, "db", "detected").await, 0);
}

fn secret_data_of(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The Secret keeps `data` for a while (nothing repairs it).
async fn stays(ctx: &TestContext, name: &str, data: &[(&str, &str)]) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = secrets(ctx).get(name).await.expect("get Secret");
    assert_eq!(
        secret_data(&s),
        secret_data_of(data),
        "Secret {name} left as edited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_mode_by_flag_reports_without_writing() {
    let ctx = TestContext::new("ctl-heal-detect").await;
    let controller = start_ours(&ctx, &["--secret-drift=detect"]).await;
    let pem = cert(&controller).await;
    let want = [("k", "v")];
    sealed_and_synced(
        &ctx,
        &controller,
        &seal(&pem, &ctx.namespace, "obs", &want),
        &want,
    )
    .await;

    patch_data(&ctx, "obs", &[("k", Some("edited"))]).await;
    let ev = wait_event_with(&ctx, &controller, "obs", "SecretDrifted", "changed keys k").await;
    assert!(
        ev.message
            .as_deref()
            .is_some_and(|m| m.ends_with("left as is (detect mode)")),
        "{ev:?}"
    );
    stays(&ctx, "obs", &[("k", "edited")]).await;
    assert_eq!(drift_count(&ctx, &controller, "obs", "detected").await, 1);
    assert_eq!(drift_count(&ctx, &controller, "obs", "repaired").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_mode_by_annotation_then_back_to_repair() {
    let ctx = TestContext::new("ctl-heal-annot").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let want = [("k", "v")];
    let mut ss = seal(&pem, &ctx.namespace, "watched", &want);
    ss.metadata.annotations = Some([(DRIFT_ANNOTATION.to_string(), "detect".to_string())].into());
    sealed_and_synced(&ctx, &controller, &ss, &want).await;

    patch_data(&ctx, "watched", &[("k", Some("edited"))]).await;
    wait_event_with(&ctx, &controller, "watched", "SecretDrifted", "detect mode").await;
    stays(&ctx, "watched", &[("k", "edited")]).await;
    assert_eq!(
        drift_count(&ctx, &controller, "watched", "detected").await,
        1
    );

    // Switching the object back to repair restores the Secret without another edit.
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let patch =
        serde_json::json!({ "metadata": { "annotations": { DRIFT_ANNOTATION: "repair" } } });
    api.patch("watched", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotate SealedSecret");
    wait_secret(&ctx, &controller, "watched", &want).await;
    assert_eq!(
        drift_count(&ctx, &controller, "watched", "repaired").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_patch_secret_keeps_foreign_keys() {
    let ctx = TestContext::new("ctl-heal-managed").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let existing = Secret {
        metadata: ObjectMeta {
            name: Some("shared".into()),
            annotations: Some(
                [
                    ("sealedsecrets.bitnami.com/managed", "true"),
                    ("sealedsecrets.bitnami.com/patch", "true"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
            ..Default::default()
        },
        data: Some(
            [("foreign".to_string(), ByteString(b"f".to_vec()))]
                .into_iter()
                .collect(),
        ),
        ..Default::default()
    };
    secrets(&ctx)
        .create(&PostParams::default(), &existing)
        .await
        .expect("create managed Secret");
    let ours = [("ours", "1")];
    let merged = [("foreign", "f"), ("ours", "1")];
    sealed_and_synced(
        &ctx,
        &controller,
        &seal(&pem, &ctx.namespace, "shared", &ours),
        &merged,
    )
    .await;

    // Our key edited and a foreign key added: ours is restored, both foreign keys stay.
    patch_data(
        &ctx,
        "shared",
        &[("ours", Some("edited")), ("extra", Some("e"))],
    )
    .await;
    wait_secret(
        &ctx,
        &controller,
        "shared",
        &[("extra", "e"), ("foreign", "f"), ("ours", "1")],
    )
    .await;
    let ev = wait_event_with(
        &ctx,
        &controller,
        "shared",
        "SecretDrifted",
        "changed keys ours",
    )
    .await;
    let message = ev.message.unwrap_or_default();
    assert!(!message.contains("extra"), "{message}");

    // A foreign key alone is no drift: nothing is written back.
    patch_data(&ctx, "shared", &[("more", Some("m"))]).await;
    stays(
        &ctx,
        "shared",
        &[
            ("extra", "e"),
            ("foreign", "f"),
            ("more", "m"),
            ("ours", "1"),
        ],
    )
    .await;
    assert_eq!(
        drift_count(&ctx, &controller, "shared", "repaired").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fighting_writer_is_backed_off() {
    let ctx = TestContext::new("ctl-heal-fight").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let want = [("v", "ours")];
    sealed_and_synced(
        &ctx,
        &controller,
        &seal(&pem, &ctx.namespace, "fought", &want),
        &want,
    )
    .await;

    // Another writer puts its value back whenever it sees ours, for 20 s.
    let api = secrets(&ctx);
    let fight = Duration::from_secs(20);
    let start = Instant::now();
    let mut rewrites = 0u32;
    while start.elapsed() < fight {
        let s = api.get("fought").await.expect("get Secret");
        if secret_data(&s).get("v").map(String::as_str) != Some("theirs") {
            patch_data(&ctx, "fought", &[("v", Some("theirs"))]).await;
            rewrites += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let repaired = drift_count(&ctx, &controller, "fought", "repaired").await;
    println!(
        "fighting writer: {repaired} repairs, {rewrites} rewrites in {:?} ({:.2} repairs/s)",
        start.elapsed(),
        f64::from(repaired as u32) / start.elapsed().as_secs_f64()
    );
    // Repairs in a row wait 1 s, 2 s, 4 s, 8 s … after one another: within 20 s they start at
    // 0, 1, 3, 7 and 15 s. One more allows for a repair landing as the fight began.
    assert!(repaired >= 2, "repairs happened: {repaired}");
    assert!(repaired <= 6, "repairs bounded by the backoff: {repaired}");
    let ev = wait_event_with(
        &ctx,
        &controller,
        "fought",
        "SecretDriftBackoff",
        "repairs paused for",
    )
    .await;
    assert_eq!(ev.type_.as_deref(), Some("Warning"));
    assert!(drift_count(&ctx, &controller, "fought", "paused").await >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_taken_away_from_its_sealed_secret_is_not_touched() {
    let ctx = TestContext::new("ctl-heal-unowned").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let want = [("k", "v")];
    sealed_and_synced(
        &ctx,
        &controller,
        &seal(&pem, &ctx.namespace, "freed", &want),
        &want,
    )
    .await;

    // Someone drops our ownerReference and changes the data in one write: no longer ours.
    let patch = serde_json::json!({
        "metadata": { "ownerReferences": null },
        "data": { "k": ByteString(b"theirs".to_vec()) },
    });
    secrets(&ctx)
        .patch("freed", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("take the Secret over");
    stays(&ctx, "freed", &[("k", "theirs")]).await;
    for action in ["repaired", "detected", "paused"] {
        assert_eq!(
            drift_count(&ctx, &controller, "freed", action).await,
            0,
            "{action}"
        );
    }
    let events = Api::<Event>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default())
        .await
        .expect("list events");
    assert!(
        !events
            .items
            .iter()
            .any(|e| e.reason.as_deref() == Some("SecretDrifted")),
        "no drift reported for a Secret that is not ours"
    );
}
