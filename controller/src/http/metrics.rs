//! Prometheus metrics with upstream's names, types, labels and HELP texts ([metrics.go]), served in
//! the classic text format as the Go client writes it, so dashboards and alerts see the same
//! descriptors as with upstream. Each scrape writes the families straight from their values.
//!
//! [metrics.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/metrics.go

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use crate::http::exposition::{self, Family, Series};
use crate::http::instruments::{Counter, CounterVec, GaugeVec, HistogramVec, LabelValues};
use crate::http::process_metrics;
use crate::logic::outcome::{DriftAction, ErrorReason};

/// promhttp's default buckets.
pub const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

// Label names, in the order each family writes them.
const ERROR_LABELS: [&str; 2] = ["namespace", "reason"];
const DRIFT_LABELS: [&str; 3] = ["action", "name", "namespace"];
const CONDITION_LABELS: [&str; 4] = [
    "condition",
    "name",
    "namespace",
    "ss_app_kubernetes_io_instance",
];
const HTTP_LABELS: [&str; 3] = ["code", "method", "path"];
const HTTP_DURATION_LABELS: [&str; 2] = ["method", "path"];

#[derive(Debug)]
pub struct Metrics {
    /// Upstream registers build_info with the revision but never sets it: the value stays 0.
    revision: String,
    pub unseal_requests: Counter,
    unseal_errors: CounterVec,
    /// Beyond upstream: unseal passes that did RSA work (a pass skipped by the digest does none).
    pub unseal_decryptions: Counter,
    /// Beyond upstream: Secret updates refused with 409 Conflict and retried on a fresh read.
    pub secret_update_conflicts: Counter,
    /// Beyond upstream: Secrets found drifted from their SealedSecret, by action.
    secret_drift: CounterVec,
    condition_info: GaugeVec,
    http_requests: CounterVec,
    http_duration: HistogramVec,
    scrapes: AtomicU64,
    scrapes_in_flight: AtomicI64,
    /// `--metrics-omit-secret-labels`: `condition_info` stays empty, so a scrape does not list
    /// SealedSecret namespaces and names.
    omit_secret_labels: AtomicBool,
}

impl Metrics {
    pub fn new(version: &str) -> Self {
        Self {
            revision: version.to_string(),
            unseal_requests: Counter::default(),
            unseal_errors: CounterVec::default(),
            unseal_decryptions: Counter::default(),
            secret_update_conflicts: Counter::default(),
            secret_drift: CounterVec::default(),
            condition_info: GaugeVec::default(),
            http_requests: CounterVec::default(),
            http_duration: HistogramVec::new(&HTTP_BUCKETS),
            scrapes: AtomicU64::new(0),
            scrapes_in_flight: AtomicI64::new(0),
            omit_secret_labels: AtomicBool::new(false),
        }
    }

    pub fn unseal_error(&self, reason: ErrorReason, namespace: &str) {
        self.unseal_errors
            .inc(vec![namespace.to_string(), reason.as_str().to_string()]);
    }

    /// Counts a drifted Secret; with `--metrics-omit-secret-labels` its namespace and name stay
    /// empty, so a scrape does not list them.
    pub fn drift(&self, action: DriftAction, namespace: &str, name: &str) {
        let omit = self.omit_secret_labels.load(Ordering::Relaxed);
        let label = |v: &str| if omit { String::new() } else { v.to_string() };
        self.secret_drift.inc(vec![
            action.as_str().to_string(),
            label(name),
            label(namespace),
        ]);
    }

    pub fn set_omit_secret_labels(&self, omit: bool) {
        self.omit_secret_labels.store(omit, Ordering::Relaxed);
    }

    pub fn set_condition(&self, namespace: &str, name: &str, instance: &str, value: i64) {
        if self.omit_secret_labels.load(Ordering::Relaxed) {
            return;
        }
        self.condition_info
            .set(condition_labels(namespace, name, instance), value);
    }

    /// Drops the gauges of a deleted SealedSecret (any instance label).
    pub fn remove_conditions(&self, namespace: &str, name: &str, instance: &str) {
        if self.omit_secret_labels.load(Ordering::Relaxed) {
            return;
        }
        self.condition_info
            .remove(&condition_labels(namespace, name, instance));
    }

    pub fn observe_http(&self, path: &str, method: &str, code: u16, seconds: f64) {
        let method = method_label(method).to_string();
        self.http_requests
            .inc(vec![code.to_string(), method.clone(), path.to_string()]);
        self.http_duration
            .observe(vec![method, path.to_string()], seconds);
    }

    /// The exposition in Prometheus text format 0.0.4 as the Go client writes it: families
    /// sorted by name, upstream's HELP texts, process and scrape-handler families included.
    pub fn render(&self) -> String {
        self.scrapes_in_flight.fetch_add(1, Ordering::Relaxed);
        let mut families = self.own_families();
        families.extend(
            process_metrics::readings()
                .into_iter()
                .map(|r| single(r.name, r.kind, r.help, r.value)),
        );
        families.extend(self.scrape_families());
        let out = exposition::write(families);
        self.scrapes_in_flight.fetch_sub(1, Ordering::Relaxed);
        // promhttp counts a scrape once it is served, so a scrape does not include itself.
        self.scrapes.fetch_add(1, Ordering::Relaxed);
        out
    }

    /// The controller's families with upstream's HELP texts, byte for byte; ours say they are
    /// beyond upstream. A family without series is left out, as the Go client does.
    fn own_families(&self) -> Vec<Family> {
        let build = Series::new(vec![("revision", self.revision.clone())], go_float(0.0));
        let mut out = vec![
            family(
                "sealed_secrets_controller_build_info",
                "gauge",
                "Build information.",
                vec![build],
            ),
            single(
                "sealed_secrets_controller_unseal_requests_total",
                "counter",
                "Total number of sealed secret unseal requests",
                self.unseal_requests.get() as f64,
            ),
            family(
                "sealed_secrets_controller_unseal_errors_total",
                "counter",
                "Total number of sealed secret unseal errors by reason",
                counts(&ERROR_LABELS, &self.unseal_errors),
            ),
            single(
                "sealwright_unseal_decryptions_total",
                "counter",
                "Total number of unseal passes that decrypted (beyond upstream).",
                self.unseal_decryptions.get() as f64,
            ),
            single(
                "sealwright_secret_update_conflicts_total",
                "counter",
                "Total number of Secret updates that hit a conflict and were retried (beyond upstream).",
                self.secret_update_conflicts.get() as f64,
            ),
            family(
                "sealwright_secret_drift_total",
                "counter",
                "Total number of Secrets found drifted from their SealedSecret, by action (beyond upstream).",
                counts(&DRIFT_LABELS, &self.secret_drift),
            ),
            family(
                "sealed_secrets_controller_condition_info",
                "gauge",
                "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
                self.condition_info.map(|values, v| {
                    Series::written(&CONDITION_LABELS, values, go_float(v as f64))
                }),
            ),
            family(
                "sealed_secrets_controller_http_requests_total",
                "counter",
                "A counter for requests to the wrapped handler.",
                counts(&HTTP_LABELS, &self.http_requests),
            ),
            family(
                "sealed_secrets_controller_http_request_duration_seconds",
                "histogram",
                "A histogram of latencies for requests.",
                histograms(&HTTP_DURATION_LABELS, &self.http_duration),
            ),
        ];
        out.retain(|f| !f.series.is_empty());
        out
    }

    /// promhttp's instrumentation of the metrics handler. Rendering cannot fail and there is no
    /// concurrency cap, so the 500 and 503 series stay at 0, as upstream's do in practice.
    fn scrape_families(&self) -> Vec<Family> {
        let in_flight = self.scrapes_in_flight.load(Ordering::Relaxed);
        let served = self.scrapes.load(Ordering::Relaxed);
        let by_code = [("200", served), ("500", 0), ("503", 0)]
            .iter()
            .map(|(code, n)| Series::new(vec![("code", code.to_string())], go_float(*n as f64)))
            .collect();
        vec![
            single(
                "promhttp_metric_handler_requests_in_flight",
                "gauge",
                "Current number of scrapes being served.",
                in_flight as f64,
            ),
            family(
                "promhttp_metric_handler_requests_total",
                "counter",
                "Total number of scrapes by HTTP status code.",
                by_code,
            ),
        ]
    }
}

fn condition_labels(namespace: &str, name: &str, instance: &str) -> LabelValues {
    vec![
        sealwright_crypto::model::SYNCED.to_string(),
        name.to_string(),
        namespace.to_string(),
        instance.to_string(),
    ]
}

fn family(name: &str, kind: &'static str, help: &str, series: Vec<Series>) -> Family {
    Family {
        name: name.to_string(),
        kind,
        help: help.to_string(),
        series,
    }
}

/// A family with one unlabelled sample.
fn single(name: &str, kind: &'static str, help: &str, value: f64) -> Family {
    family(
        name,
        kind,
        help,
        vec![Series::new(Vec::new(), go_float(value))],
    )
}

fn labelled(names: &[&'static str], values: LabelValues) -> Vec<(&'static str, String)> {
    names.iter().copied().zip(values).collect()
}

fn counts(names: &[&'static str], counters: &CounterVec) -> Vec<Series> {
    counters
        .values()
        .into_iter()
        .map(|(values, n)| Series::new(labelled(names, values), go_float(n as f64)))
        .collect()
}

/// Each label set's cumulative buckets (`+Inf` last), then its sum and count.
fn histograms(names: &[&'static str], histograms: &HistogramVec) -> Vec<Series> {
    let bounds = histograms.bounds();
    let mut out = Vec::new();
    for (values, h) in histograms.values() {
        let labels = labelled(names, values);
        let mut cumulative = 0;
        for (upper, n) in bounds.iter().zip(&h.buckets) {
            cumulative += n;
            let le = if *upper == f64::MAX {
                "+Inf".to_string()
            } else {
                go_float(*upper)
            };
            out.push(Series {
                suffix: "_bucket",
                labels: labels.clone(),
                le: Some(le),
                value: go_float(cumulative as f64),
                written: None,
            });
        }
        let part = |suffix, value| Series {
            suffix,
            labels: labels.clone(),
            le: None,
            value,
            written: None,
        };
        out.push(part("_sum", go_float(h.sum)));
        out.push(part("_count", go_float(h.count as f64)));
    }
    out
}

/// A float as the Go client writes it (`strconv.FormatFloat(v, 'g', -1, 64)`): the shortest
/// digits that read back the same, in exponent form below 1e-4 and from 1e6 (e.g. `4.1504768e+07`).
pub fn go_float(v: f64) -> String {
    gocompat::strconv::format_g(v, None)
}

/// The `method` label: upstream's lower-case name for the standard methods, one value for
/// everything else, since any token is a valid method and each would be a new series.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "get", "head", "post", "put", "delete", "connect", "options", "trace", "patch",
    ];
    KNOWN
        .into_iter()
        .find(|known| method.eq_ignore_ascii_case(known))
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_upstream_names_and_types() {
        let m = Metrics::new("v0.0.0");
        m.unseal_requests.inc();
        m.unseal_error(ErrorReason::Unseal, "ns");
        m.set_condition("ns", "s", "", 1);
        m.observe_http("/v1/cert.pem", "GET", 200, 0.001);
        let text = m.render();
        for line in [
            "# HELP sealed_secrets_controller_build_info Build information.",
            "# TYPE sealed_secrets_controller_build_info gauge",
            "sealed_secrets_controller_build_info{revision=\"v0.0.0\"} 0",
            "# HELP sealed_secrets_controller_unseal_requests_total Total number of sealed secret unseal requests",
            "# TYPE sealed_secrets_controller_unseal_requests_total counter",
            "sealed_secrets_controller_unseal_requests_total 1",
            "# TYPE sealed_secrets_controller_unseal_errors_total counter",
            "sealed_secrets_controller_unseal_errors_total{namespace=\"ns\",reason=\"unseal\"} 1",
            "# HELP sealed_secrets_controller_condition_info Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
            "# TYPE sealed_secrets_controller_condition_info gauge",
            "sealed_secrets_controller_condition_info{condition=\"Synced\",name=\"s\",namespace=\"ns\",ss_app_kubernetes_io_instance=\"\"} 1",
            "# HELP sealed_secrets_controller_http_requests_total A counter for requests to the wrapped handler.",
            "# TYPE sealed_secrets_controller_http_requests_total counter",
            "sealed_secrets_controller_http_requests_total{code=\"200\",method=\"get\",path=\"/v1/cert.pem\"} 1",
            "# HELP sealed_secrets_controller_http_request_duration_seconds A histogram of latencies for requests.",
            "# TYPE sealed_secrets_controller_http_request_duration_seconds histogram",
            "sealed_secrets_controller_http_request_duration_seconds_bucket{method=\"get\",path=\"/v1/cert.pem\",le=\"0.005\"} 1",
            "sealed_secrets_controller_http_request_duration_seconds_bucket{method=\"get\",path=\"/v1/cert.pem\",le=\"1\"} 1",
            "sealed_secrets_controller_http_request_duration_seconds_bucket{method=\"get\",path=\"/v1/cert.pem\",le=\"+Inf\"} 1",
            "sealed_secrets_controller_http_request_duration_seconds_sum{method=\"get\",path=\"/v1/cert.pem\"} 0.001",
            "# TYPE promhttp_metric_handler_requests_total counter",
            "promhttp_metric_handler_requests_total{code=\"200\"} 0",
            "promhttp_metric_handler_requests_in_flight 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(!text.contains("# EOF"));
        assert!(!text.contains("_total_total"));
        assert!(!text.contains("_created"));
        m.remove_conditions("ns", "s", "");
        let again = m.render();
        assert!(!again.contains("condition_info{"));
        assert!(again.contains("promhttp_metric_handler_requests_total{code=\"200\"} 1\n"));
    }

    #[test]
    fn omitting_secret_labels_leaves_condition_info_empty() {
        let m = Metrics::new("v");
        m.set_omit_secret_labels(true);
        m.set_condition("ns", "s", "", 1);
        assert!(!m.render().contains("condition_info"));
    }

    #[test]
    fn drift_counter_by_action_with_optional_names() {
        let m = Metrics::new("v");
        m.drift(DriftAction::Repaired, "ns", "s");
        m.drift(DriftAction::Repaired, "ns", "s");
        let text = m.render();
        assert!(text.contains("# TYPE sealwright_secret_drift_total counter\n"));
        assert!(text.contains(
            "sealwright_secret_drift_total{action=\"repaired\",name=\"s\",namespace=\"ns\"} 2\n"
        ));
        m.set_omit_secret_labels(true);
        m.drift(DriftAction::Detected, "ns", "s");
        assert!(m.render().contains(
            "sealwright_secret_drift_total{action=\"detected\",name=\"\",namespace=\"\"} 1\n"
        ));
    }

    #[test]
    fn families_and_series_in_go_order() {
        let m = Metrics::new("v");
        m.set_condition("ns", "good", "", 1);
        m.set_condition("ns", "bad", "", -1);
        m.observe_http("/v1/verify", "POST", 200, 0.5);
        m.observe_http("/v1/cert.pem", "GET", 200, 0.5);
        let text = m.render();
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let bad = text.find("name=\"bad\"").unwrap();
        assert!(bad < text.find("name=\"good\"").unwrap());
        // Each label set: its buckets in order, then sum, then count.
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("sealed_secrets_controller_http_request_duration_seconds"))
            .collect();
        assert_eq!(series.len(), 2 * 14);
        assert!(series[0].contains("path=\"/v1/cert.pem\",le=\"0.005\""));
        assert!(series[11].contains("le=\"+Inf\""));
        assert!(series[12].starts_with(
            "sealed_secrets_controller_http_request_duration_seconds_sum{method=\"get\""
        ));
        assert!(series[13].starts_with(
            "sealed_secrets_controller_http_request_duration_seconds_count{method=\"get\""
        ));
        assert!(series[14].contains("path=\"/v1/verify\",le=\"0.005\""));
    }

    #[test]
    fn floats_as_go_writes_them() {
        for (v, want) in [
            (0.0, "0"),
            (20000.0, "20000"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e6, "1e+06"),
            (41504768.0, "4.1504768e+07"),
            (0.09, "0.09"),
            (0.000027672, "2.7672e-05"),
            (0.0001, "0.0001"),
            (18446744073709551615.0, "1.8446744073709552e+19"),
            (-3.0, "-3"),
            (1795632408.69, "1.79563240869e+09"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
        ] {
            assert_eq!(go_float(v), want, "{v}");
        }
    }

    #[test]
    fn method_label_is_bounded() {
        assert_eq!(method_label("GET"), "get");
        assert_eq!(method_label("patch"), "patch");
        assert_eq!(method_label("PURGE"), "other");
        assert_eq!(method_label("X-RANDOM-1234"), "other");
        let m = Metrics::new("v0.0.0");
        for i in 0..100 {
            m.observe_http("/v1/verify", &format!("M{i}"), 200, 0.001);
        }
        let text = m.render();
        let series = text
            .lines()
            .filter(|l| l.starts_with("sealed_secrets_controller_http_requests_total{"))
            .count();
        assert_eq!(series, 1, "{text}");
    }
}
