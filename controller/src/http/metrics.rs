//! Prometheus metrics with upstream's names, types, labels and HELP texts (spec §5.7), served in
//! the classic text format as the Go client writes it, so dashboards and alerts see the same
//! descriptors as with upstream.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::http::process_metrics;
use crate::logic::outcome::{DriftAction, ErrorReason};

/// promhttp's default buckets.
pub const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub namespace: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConditionLabels {
    pub condition: String,
    pub name: String,
    pub namespace: String,
    pub ss_app_kubernetes_io_instance: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DriftLabels {
    pub action: String,
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub code: String,
    pub method: String,
    pub path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpDurationLabels {
    pub method: String,
    pub path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    revision: String,
}

fn http_histogram() -> Histogram {
    Histogram::new(HTTP_BUCKETS)
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub unseal_requests: Counter,
    pub unseal_errors: Family<ErrorLabels, Counter>,
    /// Beyond upstream: unseal passes that did RSA work (a pass skipped by the digest does none).
    pub unseal_decryptions: Counter,
    /// Beyond upstream: Secret updates refused with 409 Conflict and retried on a fresh read.
    pub secret_update_conflicts: Counter,
    /// Beyond upstream: Secrets found drifted from their SealedSecret, by action.
    pub secret_drift: Family<DriftLabels, Counter>,
    pub condition_info: Family<ConditionLabels, Gauge>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpDurationLabels, Histogram, fn() -> Histogram>,
    scrapes: AtomicU64,
    scrapes_in_flight: AtomicI64,
    /// `--metrics-omit-secret-labels`: `condition_info` stays empty, so a scrape does not list
    /// SealedSecret namespaces and names.
    omit_secret_labels: AtomicBool,
}

impl Metrics {
    pub fn new(version: &str) -> Self {
        let mut registry = Registry::default();
        let unseal_requests = Counter::default();
        let unseal_errors = Family::<ErrorLabels, Counter>::default();
        let unseal_decryptions = Counter::default();
        let secret_update_conflicts = Counter::default();
        let secret_drift = Family::<DriftLabels, Counter>::default();
        let condition_info = Family::<ConditionLabels, Gauge>::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<HttpDurationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                http_histogram,
            );
        // Upstream registers build_info with the revision but never sets it: the value stays 0.
        let build_info = Family::<BuildLabels, Gauge>::default();
        let _ = build_info.get_or_create(&BuildLabels {
            revision: version.to_string(),
        });
        registry.register(
            "sealed_secrets_controller_build_info",
            upstream_help("sealed_secrets_controller_build_info"),
            build_info,
        );
        registry.register(
            "sealed_secrets_controller_unseal_requests",
            upstream_help("sealed_secrets_controller_unseal_requests_total"),
            unseal_requests.clone(),
        );
        registry.register(
            "sealed_secrets_controller_unseal_errors",
            upstream_help("sealed_secrets_controller_unseal_errors_total"),
            unseal_errors.clone(),
        );
        registry.register(
            "sealwright_unseal_decryptions",
            "Total number of unseal passes that decrypted (beyond upstream)",
            unseal_decryptions.clone(),
        );
        registry.register(
            "sealwright_secret_update_conflicts",
            "Total number of Secret updates that hit a conflict and were retried (beyond upstream)",
            secret_update_conflicts.clone(),
        );
        registry.register(
            "sealwright_secret_drift",
            "Total number of Secrets found drifted from their SealedSecret, by action (beyond upstream)",
            secret_drift.clone(),
        );
        registry.register(
            "sealed_secrets_controller_condition_info",
            upstream_help("sealed_secrets_controller_condition_info"),
            condition_info.clone(),
        );
        registry.register(
            "sealed_secrets_controller_http_requests",
            upstream_help("sealed_secrets_controller_http_requests_total"),
            http_requests.clone(),
        );
        registry.register(
            "sealed_secrets_controller_http_request_duration_seconds",
            upstream_help("sealed_secrets_controller_http_request_duration_seconds"),
            http_duration.clone(),
        );
        Self {
            registry,
            unseal_requests,
            unseal_errors,
            unseal_decryptions,
            secret_update_conflicts,
            secret_drift,
            condition_info,
            http_requests,
            http_duration,
            scrapes: AtomicU64::new(0),
            scrapes_in_flight: AtomicI64::new(0),
            omit_secret_labels: AtomicBool::new(false),
        }
    }

    pub fn unseal_error(&self, reason: ErrorReason, namespace: &str) {
        self.unseal_errors
            .get_or_create(&ErrorLabels {
                namespace: namespace.to_string(),
                reason: reason.as_str().to_string(),
            })
            .inc();
    }

    /// Counts a drifted Secret; with `--metrics-omit-secret-labels` its namespace and name stay
    /// empty, so a scrape does not list them.
    pub fn drift(&self, action: DriftAction, namespace: &str, name: &str) {
        let omit = self.omit_secret_labels.load(Ordering::Relaxed);
        let label = |v: &str| if omit { String::new() } else { v.to_string() };
        self.secret_drift
            .get_or_create(&DriftLabels {
                action: action.as_str().to_string(),
                name: label(name),
                namespace: label(namespace),
            })
            .inc();
    }

    pub fn set_omit_secret_labels(&self, omit: bool) {
        self.omit_secret_labels.store(omit, Ordering::Relaxed);
    }

    pub fn set_condition(&self, namespace: &str, name: &str, instance: &str, value: i64) {
        if self.omit_secret_labels.load(Ordering::Relaxed) {
            return;
        }
        self.condition_info
            .get_or_create(&condition_labels(namespace, name, instance))
            .set(value);
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
            .get_or_create(&HttpLabels {
                code: code.to_string(),
                method: method.clone(),
                path: path.to_string(),
            })
            .inc();
        self.http_duration
            .get_or_create(&HttpDurationLabels {
                method,
                path: path.to_string(),
            })
            .observe(seconds);
    }

    /// The exposition in Prometheus text format 0.0.4 as the Go client writes it: families
    /// sorted by name, upstream's HELP texts, process and scrape-handler families included.
    pub fn render(&self) -> String {
        self.scrapes_in_flight.fetch_add(1, Ordering::Relaxed);
        let mut om = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut om, &self.registry);
        let mut families = from_openmetrics(&om);
        families.extend(process_metrics::families());
        families.extend(self.scrape_families());
        let out = write_families(families);
        self.scrapes_in_flight.fetch_sub(1, Ordering::Relaxed);
        // promhttp counts a scrape once it is served, so a scrape does not include itself.
        self.scrapes.fetch_add(1, Ordering::Relaxed);
        out
    }

    /// promhttp's instrumentation of the metrics handler. Rendering cannot fail and there is no
    /// concurrency cap, so the 500 and 503 series stay at 0, as upstream's do in practice.
    fn scrape_families(&self) -> Vec<TextFamily> {
        let in_flight = self.scrapes_in_flight.load(Ordering::Relaxed);
        let served = self.scrapes.load(Ordering::Relaxed);
        let mut total = TextFamily::single(
            "promhttp_metric_handler_requests_total",
            "counter",
            "Total number of scrapes by HTTP status code.",
            0.0,
        );
        total.samples = [("200", served), ("500", 0), ("503", 0)]
            .iter()
            .map(|(code, n)| {
                (
                    format!("promhttp_metric_handler_requests_total{{code=\"{code}\"}}"),
                    go_float(*n as f64),
                )
            })
            .collect();
        vec![
            TextFamily::single(
                "promhttp_metric_handler_requests_in_flight",
                "gauge",
                "Current number of scrapes being served.",
                in_flight as f64,
            ),
            total,
        ]
    }
}

fn condition_labels(namespace: &str, name: &str, instance: &str) -> ConditionLabels {
    ConditionLabels {
        condition: sealwright_crypto::model::SYNCED.to_string(),
        name: name.to_string(),
        namespace: namespace.to_string(),
        ss_app_kubernetes_io_instance: instance.to_string(),
    }
}

pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upstream's HELP texts, byte for byte (prometheus-client would append a full stop to each).
const UPSTREAM_HELP: [(&str, &str); 6] = [
    ("sealed_secrets_controller_build_info", "Build information."),
    (
        "sealed_secrets_controller_unseal_requests_total",
        "Total number of sealed secret unseal requests",
    ),
    (
        "sealed_secrets_controller_unseal_errors_total",
        "Total number of sealed secret unseal errors by reason",
    ),
    (
        "sealed_secrets_controller_condition_info",
        "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
    ),
    (
        "sealed_secrets_controller_http_requests_total",
        "A counter for requests to the wrapped handler.",
    ),
    (
        "sealed_secrets_controller_http_request_duration_seconds",
        "A histogram of latencies for requests.",
    ),
];

fn upstream_help(name: &str) -> &'static str {
    UPSTREAM_HELP
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, h)| h)
}

/// One family of the text exposition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFamily {
    pub name: String,
    pub kind: String,
    pub help: String,
    /// Series (`name{labels}`) and value, as written.
    pub samples: Vec<(String, String)>,
}

impl TextFamily {
    /// A family with one unlabelled sample.
    pub fn single(name: &str, kind: &str, help: &str, value: f64) -> Self {
        Self {
            name: name.to_string(),
            kind: kind.to_string(),
            help: help.to_string(),
            samples: vec![(name.to_string(), go_float(value))],
        }
    }
}

/// A float as the Go client writes it (`strconv.FormatFloat(v, 'g', -1, 64)`): the shortest
/// digits that read back the same, in exponent form below 1e-4 and from 1e6 (e.g. `4.1504768e+07`).
pub fn go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = format!("{v:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if v != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        format!("{v}")
    }
}

/// Splits `a="x",le="1.0"` into pairs; values keep their escapes.
fn split_labels(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some((name, after)) = rest.split_once("=\"") {
        let mut end = None;
        let mut escaped = false;
        for (i, c) in after.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        out.push((
            name.trim_start_matches(',').to_string(),
            after[..end].to_string(),
        ));
        rest = &after[end + 1..];
    }
    out
}

/// A sample line of prometheus-client's output in the Go client's form: `le` last and written
/// as Go writes floats, the value too. Returns the series, the value and the sort key (the
/// labels other than `le`).
fn go_sample(line: &str) -> Option<(String, String, String)> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = value
        .parse::<f64>()
        .map(go_float)
        .unwrap_or_else(|_| value.to_string());
    let Some((name, body)) = series.split_once('{') else {
        return Some((series.to_string(), value, String::new()));
    };
    let labels = split_labels(body.strip_suffix('}')?);
    let mut le = None;
    let mut parts = Vec::new();
    for (k, v) in labels {
        if k == "le" {
            le = Some(v.parse::<f64>().map(go_float).unwrap_or(v));
        } else {
            parts.push(format!("{k}=\"{v}\""));
        }
    }
    let key = parts.join(",");
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    Some((format!("{name}{{{}}}", parts.join(",")), value, key))
}

/// Parses prometheus-client's OpenMetrics text into families named as the classic format names
/// them (counters with `_total`), without `_created` samples, with upstream's HELP texts.
pub fn from_openmetrics(text: &str) -> Vec<TextFamily> {
    let mut families: Vec<TextFamily> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            families.push(TextFamily {
                name: name.to_string(),
                kind: String::new(),
                help: help.to_string(),
                samples: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let kind = rest.split_once(' ').map_or("", |(_, k)| k);
            if let Some(f) = families.last_mut() {
                f.kind = kind.to_string();
                if kind == "counter" {
                    f.name.push_str("_total");
                }
            }
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if let Some(f) = families.last_mut() {
            let is_created = line
                .split(['{', ' '])
                .next()
                .is_some_and(|n| n.ends_with("_created"));
            if !is_created && let Some((series, value, _)) = go_sample(line) {
                f.samples.push((series, value));
            }
        }
    }
    for f in &mut families {
        if let Some((_, help)) = UPSTREAM_HELP.iter().find(|(n, _)| *n == f.name) {
            f.help = help.to_string();
        }
    }
    families
}

/// Writes the families sorted by name, each one's series sorted by label values (a histogram's
/// buckets, sum and count stay together, in that order), as the Go client does.
pub fn write_families(mut families: Vec<TextFamily>) -> String {
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for f in families {
        let mut samples = f.samples;
        let rank = |series: &str| {
            let name = series.split('{').next().unwrap_or_default();
            if name.ends_with("_sum") {
                1
            } else if name.ends_with("_count") {
                2
            } else {
                0
            }
        };
        samples.sort_by_cached_key(|(series, _)| {
            let key = go_sample(&format!("{series} 0")).map(|(_, _, k)| k);
            (key.unwrap_or_default(), rank(series))
        });
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {}\n",
            f.name, f.help, f.name, f.kind
        ));
        for (series, value) in samples {
            out.push_str(&format!("{series} {value}\n"));
        }
    }
    out
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
    fn label_values_keep_escapes() {
        assert_eq!(
            split_labels(r#"a="x\"y,z",le="1.0""#),
            vec![
                ("a".to_string(), r#"x\"y,z"#.to_string()),
                ("le".to_string(), "1.0".to_string())
            ]
        );
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
