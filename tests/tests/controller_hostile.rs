//! Hostile templates on the real control plane: applied all at once together with a normal
//! SealedSecret, they leave the controller alive and small, the normal object is unsealed
//! promptly, and each hostile object gets a status error naming its key and the limit it hit.

mod controller_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use controller_common::*;
use kube::api::{Api, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{RunningController, TestContext};

/// The named hostile cases: object name, template, and the limits its error may name.
const HOSTILE: [(&str, &str, &[&str]); 4] = [
    (
        "join-repeat-bomb",
        r#"{{ join (repeat 16777216 "x") (until 1048576) }}"#,
        &["bytes built"],
    ),
    (
        "range-2g",
        "{{ range $i := 2000000000 }}{{ end }}",
        &["evaluation steps"],
    ),
    (
        "exponential-nesting",
        r#"{{ $x := list "x" "x" }}{{ range until 64 }}{{ $x = list $x $x }}{{ end }}{{ toJson $x }}"#,
        &["bytes built", "evaluation steps", "deeper than 64"],
    ),
    (
        "self-referencing-set",
        r#"{{ $d := dict }}{{ $_ := set $d "k" $d }}{{ toJson $d }}"#,
        &["bytes built", "evaluation steps", "deeper than 64"],
    ),
];

/// The controller's peak resident set (VmHWM), in KiB.
fn peak_rss_kib(controller: &RunningController) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", controller.pid()))
        .expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc status")
}

fn with_template(ss: &mut SealedSecret, key: &str, template: &str) {
    ss.spec.template.data = Some(BTreeMap::from([(
        key.to_string(),
        Some(template.to_string()),
    )]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_templates_do_not_stall_or_exhaust_the_controller() {
    let ctx = TestContext::new("ctl-hostile").await;
    let mut controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let ns = ctx.namespace.clone();
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ns);

    // Ten hostile objects (the four cases, cycled), sealed up front so that they land at once.
    let mut hostile = Vec::new();
    for i in 0..10 {
        let (case, template, _) = HOSTILE[i % HOSTILE.len()];
        let name = format!("{case}-{i}");
        let mut ss = seal(&pem, &ns, &name, &[("password", "hunter2")]);
        with_template(&mut ss, "bomb", template);
        hostile.push(ss);
    }
    let normal = seal(&pem, &ns, "normal", &[("password", "correct horse")]);

    let mut creates = tokio::task::JoinSet::new();
    for ss in hostile.clone() {
        let api = api.clone();
        creates.spawn(async move { api.create(&PostParams::default(), &ss).await.map(drop) });
    }
    while let Some(created) = creates.join_next().await {
        created
            .expect("create task")
            .expect("create hostile SealedSecret");
    }
    let started = Instant::now();
    api.create(&PostParams::default(), &normal)
        .await
        .expect("create normal SealedSecret");
    wait_secret(
        &ctx,
        &controller,
        "normal",
        &[("password", "correct horse")],
    )
    .await;
    let latency = started.elapsed();
    eprintln!("normal SealedSecret unsealed {latency:?} after ten hostile ones");
    assert!(
        latency < Duration::from_secs(30),
        "normal SealedSecret took {latency:?}\n{}",
        controller.log_tail(40)
    );

    for (i, ss) in hostile.iter().enumerate() {
        let name = ss.metadata.name.as_deref().unwrap_or_default();
        let (case, _, limits) = HOSTILE[i % HOSTILE.len()];
        let message = wait_failed_message(&api, &controller, name).await;
        assert!(
            message.ends_with("(bomb)"),
            "{case}: the status names the key: {message}"
        );
        assert!(
            limits.iter().any(|l| message.contains(l)),
            "{case}: the status names the limit ({limits:?}): {message}"
        );
        assert!(message.len() < 2048, "{case}: {} bytes", message.len());
    }

    assert!(controller.is_running(), "the controller must stay up");
    let peak = peak_rss_kib(&controller);
    eprintln!("controller peak RSS: {} MiB", peak / 1024);
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB");
}
