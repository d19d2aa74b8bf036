//! Prometheus metrics with upstream's names, types and labels (spec §5.7), served in the classic
//! text format so scrapers see the same descriptors as with upstream.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::process_metrics;

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

/// Why an unseal pass failed, as upstream's `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    Fetch,
    Unseal,
    Update,
    Unmanaged,
    Status,
}

impl ErrorReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::Unseal => "unseal",
            Self::Update => "update",
            Self::Unmanaged => "unmanaged",
            Self::Status => "status",
        }
    }
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub unseal_requests: Counter,
    pub unseal_errors: Family<ErrorLabels, Counter>,
    /// Beyond upstream: unseal passes that did RSA work (a pass skipped by the digest does none).
    pub unseal_decryptions: Counter,
    pub condition_info: Family<ConditionLabels, Gauge>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpDurationLabels, Histogram, fn() -> Histogram>,
}

impl Metrics {
    pub fn new(version: &str) -> Self {
        let mut registry = Registry::default();
        let unseal_requests = Counter::default();
        let unseal_errors = Family::<ErrorLabels, Counter>::default();
        let unseal_decryptions = Counter::default();
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
            "Build information",
            build_info,
        );
        registry.register(
            "sealed_secrets_controller_unseal_requests",
            "Total number of sealed secret unseal requests",
            unseal_requests.clone(),
        );
        registry.register(
            "sealed_secrets_controller_unseal_errors",
            "Total number of sealed secret unseal errors by reason",
            unseal_errors.clone(),
        );
        registry.register(
            "sealwright_unseal_decryptions",
            "Total number of unseal passes that decrypted (beyond upstream)",
            unseal_decryptions.clone(),
        );
        registry.register(
            "sealed_secrets_controller_condition_info",
            "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
            condition_info.clone(),
        );
        registry.register(
            "sealed_secrets_controller_http_requests",
            "Total number of HTTP requests by status code, method and path",
            http_requests.clone(),
        );
        registry.register(
            "sealed_secrets_controller_http_request_duration_seconds",
            "A histogram of HTTP request durations by method and path",
            http_duration.clone(),
        );
        Self {
            registry,
            unseal_requests,
            unseal_errors,
            unseal_decryptions,
            condition_info,
            http_requests,
            http_duration,
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

    pub fn set_condition(&self, namespace: &str, name: &str, instance: &str, value: i64) {
        self.condition_info
            .get_or_create(&condition_labels(namespace, name, instance))
            .set(value);
    }

    /// Drops the gauges of a deleted SealedSecret (any instance label).
    pub fn remove_conditions(&self, namespace: &str, name: &str, instance: &str) {
        self.condition_info
            .remove(&condition_labels(namespace, name, instance));
    }

    pub fn observe_http(&self, path: &str, method: &str, code: u16, seconds: f64) {
        let method = method.to_ascii_lowercase();
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

    /// The exposition, in Prometheus text format 0.0.4, process metrics included.
    pub fn render(&self) -> String {
        let mut om = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut om, &self.registry);
        let mut out = openmetrics_to_prometheus(&om);
        out.push_str(&process_metrics::render());
        out
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

/// OpenMetrics names counter families without `_total`; the classic format (what upstream
/// serves) names them with it. Also drops `# EOF` and `_created` samples.
pub fn openmetrics_to_prometheus(text: &str) -> String {
    let mut counters: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ")
            && let Some(name) = rest.strip_suffix(" counter")
        {
            counters.push(name.to_string());
        }
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line == "# EOF"
            || line
                .split(['{', ' '])
                .next()
                .is_some_and(|n| n.ends_with("_created"))
        {
            continue;
        }
        let mut rewritten = None;
        for prefix in ["# TYPE ", "# HELP "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name = rest.split(' ').next().unwrap_or_default();
                if counters.iter().any(|c| c == name) {
                    rewritten = Some(format!("{prefix}{name}_total{}", &rest[name.len()..]));
                }
            }
        }
        let line = rewritten.as_deref().unwrap_or(line);
        // Go prints whole bucket bounds without a fraction (`le="1"`, not `le="1.0"`).
        let line = fix_le(line);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn fix_le(line: &str) -> String {
    let Some(start) = line.find("le=\"") else {
        return line.to_string();
    };
    let value_start = start + 4;
    let Some(len) = line[value_start..].find('"') else {
        return line.to_string();
    };
    let value = &line[value_start..value_start + len];
    match value.strip_suffix(".0") {
        Some(whole) => format!(
            "{}{}{}",
            &line[..value_start],
            whole,
            &line[value_start + len..]
        ),
        None => line.to_string(),
    }
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
            "# TYPE sealed_secrets_controller_build_info gauge",
            "sealed_secrets_controller_build_info{revision=\"v0.0.0\"} 0",
            "# TYPE sealed_secrets_controller_unseal_requests_total counter",
            "sealed_secrets_controller_unseal_requests_total 1",
            "# TYPE sealed_secrets_controller_unseal_errors_total counter",
            "sealed_secrets_controller_unseal_errors_total{namespace=\"ns\",reason=\"unseal\"} 1",
            "# TYPE sealed_secrets_controller_condition_info gauge",
            "sealed_secrets_controller_condition_info{condition=\"Synced\",name=\"s\",namespace=\"ns\",ss_app_kubernetes_io_instance=\"\"} 1",
            "# TYPE sealed_secrets_controller_http_requests_total counter",
            "sealed_secrets_controller_http_requests_total{code=\"200\",method=\"get\",path=\"/v1/cert.pem\"} 1",
            "# TYPE sealed_secrets_controller_http_request_duration_seconds histogram",
            "sealed_secrets_controller_http_request_duration_seconds_bucket{le=\"0.005\",method=\"get\",path=\"/v1/cert.pem\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(text.contains("sealed_secrets_controller_http_request_duration_seconds_bucket{le=\"1\",method=\"get\",path=\"/v1/cert.pem\"} 1"));
        assert!(text.contains("le=\"+Inf\""));
        assert!(!text.contains("# EOF"));
        assert!(!text.contains("_total_total"));
        m.remove_conditions("ns", "s", "");
        assert!(!m.render().contains("condition_info{"));
    }
}
