//! Our `/metrics` against upstream's, both controllers on the real control plane doing the same
//! work: every `sealed_secrets_controller_*` family with upstream's HELP, TYPE and label sets
//! (values masked), the `process_*` families exactly, and of the Go runtime families only ones
//! upstream has, described as upstream describes them.

mod controller_common;

use std::collections::{BTreeMap, BTreeSet};

use controller_common::*;
use sealwright_tests::{ControllerBinary, ControllerOptions, RunningController, TestContext};

/// Go runtime families we expose, each an honest equivalent for a Rust process (see
/// `controller/src/http/process_metrics.rs`). Upstream's other `go_*` families have none.
const OURS_OF_GO: [&str; 2] = ["go_goroutines", "go_threads"];

async fn start_upstream(ctx: &TestContext, extra: &[&str]) -> RunningController {
    let binary =
        ControllerBinary::upstream(ctx.env).expect("upstream controller (tests/upstream/build.sh)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.args.push("--key-size=2048".into());
    options.args.extend(extra.iter().map(|s| s.to_string()));
    RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start upstream controller: {e}"))
}

/// One family of a text exposition.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    /// Each sample as `name{labels}` with the values of `masked` labels replaced.
    samples: BTreeSet<String>,
}

/// Labels whose values differ between the two runs by design.
fn mask(label: &str, value: &str, namespace: &str) -> String {
    match label {
        "revision" => "<version>".into(),
        "namespace" if value == namespace => "<test namespace>".into(),
        _ => value.into(),
    }
}

/// Splits `name{a="x",b="y"} value` into the name and its labels (values unescaped enough for
/// the label values these metrics carry: no quotes or commas inside).
fn parse_sample(line: &str) -> Option<(String, Vec<(String, String)>)> {
    let series = line.rsplit_once(' ')?.0;
    let Some((name, rest)) = series.split_once('{') else {
        return Some((series.to_string(), Vec::new()));
    };
    let body = rest.strip_suffix('}')?;
    let labels = body
        .split("\",")
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once("=\"")?;
            Some((k.to_string(), v.trim_end_matches('"').to_string()))
        })
        .collect();
    Some((name.to_string(), labels))
}

fn family_of<'a>(sample: &str, families: &'a BTreeMap<String, Family>) -> Option<&'a str> {
    if families.contains_key(sample) {
        return families.get_key_value(sample).map(|(k, _)| k.as_str());
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = sample.strip_suffix(suffix)?;
        families.get_key_value(base).map(|(k, _)| k.as_str())
    })
}

fn parse(text: &str, namespace: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            families.entry(name.into()).or_default().help = Some(help.into());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            families.entry(name.into()).or_default().kind = Some(kind.into());
        }
    }
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, labels) = parse_sample(line).unwrap_or_else(|| panic!("sample {line:?}"));
        let family = family_of(&name, &families)
            .unwrap_or_else(|| panic!("sample {line:?} has no # TYPE"))
            .to_string();
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}={:?}", mask(k, v, namespace)))
            .collect();
        let masked = format!("{name}{{{}}}", labels.join(","));
        if let Some(f) = families.get_mut(&family) {
            f.samples.insert(masked);
        }
    }
    families
}

/// The same traffic for either controller: each HTTP endpoint, one object that unseals, one
/// sealed for another key; then a scrape.
async fn exercise_and_scrape(ctx: &TestContext, controller: &RunningController) -> String {
    let pem = cert(controller).await;
    let good = seal(&pem, &ctx.namespace, "good", &[("k", "v")]);
    let body = serde_json::to_vec(&good).expect("json");
    let r = request(controller.addr(), "POST", "/v1/verify", &[], &body).await;
    assert_eq!(r.code, 200, "{r:?}");
    let r = request(controller.addr(), "POST", "/v1/rotate", &[], &body).await;
    assert_eq!(r.code, 200, "{r:?}");
    create_sealed(ctx, &good).await;
    wait_synced(ctx, controller, "good", "True", 1).await;

    let mut wrong = seal(&pem, &ctx.namespace, "elsewhere", &[("k", "v")]);
    wrong.metadata.name = Some("bad".into());
    create_sealed(ctx, &wrong).await;
    wait_synced(ctx, controller, "bad", "False", 1).await;

    let scrape = request(controller.metrics_addr(), "GET", "/metrics", &[], b"").await;
    assert_eq!(scrape.code, 200, "{scrape:?}");
    scrape.body
}

fn describe(f: &Family) -> String {
    format!(
        "HELP {:?}\nTYPE {:?}\n{}",
        f.help,
        f.kind,
        f.samples.iter().cloned().collect::<Vec<_>>().join("\n")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_match_upstream() {
    let up_ctx = TestContext::new("ctl-metrics-up").await;
    let upstream = start_upstream(&up_ctx, &[]).await;
    let up_text = exercise_and_scrape(&up_ctx, &upstream).await;
    drop(upstream);

    let ctx = TestContext::new("ctl-metrics-ours").await;
    let ours = start_ours(&ctx, &[]).await;
    let our_text = exercise_and_scrape(&ctx, &ours).await;

    let theirs = parse(&up_text, &up_ctx.namespace);
    let mine = parse(&our_text, &ctx.namespace);
    if std::env::var_os("SEALWRIGHT_DUMP_METRICS").is_some() {
        eprintln!("===== upstream =====\n{up_text}\n===== ours =====\n{our_text}");
    }

    // The controller's own families: same HELP, TYPE and series (label names and values, with
    // the namespace and version masked). Bucket counts, sums and values are not compared.
    let ours_only = ["sealwright_"];
    for (name, family) in theirs
        .iter()
        .filter(|(n, _)| n.starts_with("sealed_secrets_controller_"))
    {
        let Some(mine) = mine.get(name) else {
            panic!("missing family {name}:\n{}", describe(family));
        };
        assert_eq!(
            describe(mine),
            describe(family),
            "family {name} differs (ours left, upstream right)"
        );
    }
    for name in mine.keys() {
        let known = theirs.contains_key(name) || ours_only.iter().any(|p| name.starts_with(p));
        assert!(known, "family {name} is neither upstream's nor ours-only");
    }

    // process_*: every one upstream has, described the same way, and no others.
    let process =
        |m: &BTreeMap<String, Family>| -> BTreeMap<String, (Option<String>, Option<String>)> {
            m.iter()
                .filter(|(n, _)| n.starts_with("process_"))
                .map(|(n, f)| (n.clone(), (f.help.clone(), f.kind.clone())))
                .collect()
        };
    assert_eq!(
        process(&mine),
        process(&theirs),
        "process_* families (ours left)"
    );

    // Go runtime families: only the ones with an honest equivalent, described as upstream does.
    let go: Vec<&String> = mine.keys().filter(|n| n.starts_with("go_")).collect();
    assert_eq!(go, OURS_OF_GO.to_vec(), "our go_* families");
    for name in OURS_OF_GO {
        let (m, t) = (&mine[name], &theirs[name]);
        assert_eq!((&m.help, &m.kind), (&t.help, &t.kind), "{name}");
        assert_eq!(m.samples, t.samples, "{name} series");
    }
}

/// `--metrics-omit-secret-labels`: neither controller lists SealedSecrets in its metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omit_secret_labels_like_upstream() {
    const FLAG: &str = "--metrics-omit-secret-labels";
    let up_ctx = TestContext::new("ctl-metrics-omit-up").await;
    let upstream = start_upstream(&up_ctx, &[FLAG]).await;
    let up_text = exercise_and_scrape(&up_ctx, &upstream).await;
    drop(upstream);
    let ctx = TestContext::new("ctl-metrics-omit").await;
    let ours = start_ours(&ctx, &[FLAG]).await;
    let our_text = exercise_and_scrape(&ctx, &ours).await;
    for (who, text) in [("upstream", &up_text), ("ours", &our_text)] {
        assert!(
            !text.contains("sealed_secrets_controller_condition_info"),
            "{who}:\n{text}"
        );
        assert!(
            text.contains("sealed_secrets_controller_unseal_errors_total{namespace="),
            "{who}:\n{text}"
        );
    }
}
