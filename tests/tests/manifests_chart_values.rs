//! Every Helm value the stack sets is one the chart at its pinned version reads: each ArgoCD
//! Application's `valuesObject` and the k3s overlay's HelmChartConfig, coalesced over the chart's
//! defaults, validate against the chart's values schema, every key path exists in the chart's
//! defaults (subcharts included), and nothing merely repeats a default.

#[path = "../manifests/charts.rs"]
mod charts;
#[path = "../manifests/support.rs"]
mod support;

use charts::{Chart, ChartValues, chart_values};
use serde_json::{Value, json};
use support::*;

fn assert_clean(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

/// Every object that sets chart values, in every variant, with the chart it configures.
fn all_chart_values() -> Vec<(&'static str, ChartValues)> {
    VARIANTS
        .iter()
        .flat_map(|(variant, _)| {
            rendered_variant(variant)
                .iter()
                .filter_map(chart_values)
                .map(move |c| (*variant, c))
        })
        .collect()
}

/// Problems of one values tree against its chart: unknown keys and schema violations.
fn problems(chart: &Chart, values: &Value) -> Vec<String> {
    let mut out: Vec<String> = chart.unknown_paths(values);
    out.extend(chart.schema_problems(values));
    out
}

#[test]
fn every_value_is_read_by_the_pinned_chart() {
    let all = all_chart_values();
    let mut seen: Vec<String> = all
        .iter()
        .map(|(variant, c)| format!("{variant}: {} {}", c.chart, c.version))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "argocd: crowdsec 0.24.0",
            "argocd: falco 9.1.0",
            "argocd: kubescape-operator 1.40.3",
            "argocd: traefik 41.3.0",
            "k3s: crowdsec 0.24.0",
            "k3s: falco 9.1.0",
            "k3s: kubescape-operator 1.40.3",
            "k3s: traefik 39.0.7",
        ]
    );
    let mut found = Vec::new();
    for (variant, c) in &all {
        let chart = Chart::load(&c.chart, &c.version);
        found.extend(
            problems(&chart, &c.values)
                .into_iter()
                .map(|p| format!("{variant}: {} ({}): {p}", c.origin, chart.label())),
        );
    }
    assert_clean("values the charts do not read", found);
}

#[test]
fn no_value_repeats_the_chart_default() {
    let mut found = Vec::new();
    for (variant, c) in all_chart_values() {
        let chart = Chart::load(&c.chart, &c.version);
        found.extend(
            chart
                .default_paths(&c.values)
                .into_iter()
                .map(|p| format!("{variant}: {} ({}): {p}", c.origin, chart.label())),
        );
    }
    assert_clean("settings that change nothing", found);
}

/// The checks catch the two mistakes the stack once shipped: Traefik's pre-41 `logs.access`
/// (refused by chart 41's schema, so ArgoCD could not render Traefik at all) and Kubescape's
/// `defaultFrameworks` (read by no template of chart 1.40.3), plus a misplaced subchart value.
#[test]
fn checks_catch_keys_the_chart_does_not_read() {
    let traefik = Chart::load("traefik", "41.3.0");
    let wrong = json!({"logs": {"access": {"enabled": true, "format": "json"}}});
    let unknown = traefik.unknown_paths(&wrong);
    // Chart 41 has no `logs` at all (its general log settings are `log`).
    assert_eq!(unknown, ["logs is not a value of the chart"]);
    // The schema refuses it at the top level: `additionalProperties: false`.
    let schema = traefik.schema_problems(&wrong);
    assert!(
        schema.len() == 1 && schema[0].starts_with("/: ") && schema[0].contains("logs"),
        "{schema:?}"
    );
    assert_clean(
        "the right key",
        problems(
            &traefik,
            &json!({"accessLog": {"enabled": true, "format": "json"}}),
        ),
    );
    // A value of the wrong type is the schema's to catch.
    let typed = traefik.schema_problems(&json!({"accessLog": {"format": "yaml"}}));
    assert!(!typed.is_empty(), "accessLog.format yaml passed");

    let kubescape = Chart::load("kubescape-operator", "1.40.3");
    assert_eq!(
        kubescape.unknown_paths(&json!({"defaultFrameworks": ["nsa", "mitre"]})),
        ["defaultFrameworks is not a value of the chart"]
    );

    let falco = Chart::load("falco", "9.1.0");
    assert_clean(
        "falcosidekick's own keys",
        falco.unknown_paths(
            &json!({"falcosidekick": {"replicaCount": 3, "config": {"debug": true}}}),
        ),
    );
    assert_eq!(
        falco.unknown_paths(&json!({"falcosidekick": {"replicas": 3}})),
        ["falcosidekick.replicas is not a value of the chart"]
    );
    assert_eq!(
        falco.default_paths(&json!({"falcosidekick": {"replicaCount": 2}})),
        ["falcosidekick.replicaCount = 2 is the chart's default"]
    );
    // Under a free-form map anything goes; a map where the chart has a scalar does not.
    assert_clean(
        "free-form resources",
        traefik.unknown_paths(&json!({"resources": {"requests": {"cpu": "1"}}})),
    );
    assert_eq!(
        traefik.unknown_paths(&json!({"hostNetwork": {"enabled": true}})),
        ["hostNetwork is false in the chart, set here to a map"]
    );
}

#[test]
fn coalescing_follows_helm() {
    let defaults = json!({"a": {"b": 1, "c": 2}, "l": [1, 2], "n": null});
    assert_eq!(
        charts::coalesce(
            &defaults,
            &json!({"a": {"b": 5, "c": null}, "l": [3], "x": "y"})
        ),
        json!({"a": {"b": 5}, "l": [3], "n": null, "x": "y"})
    );
}
