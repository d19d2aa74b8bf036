//! Command-line flags, as upstream `bindControllerFlags` ([cmd/controller/main.go]), plus a few of
//! our own.
//!
//! Every flag can also come from `SEALED_SECRETS_<FLAG>`. The environment is applied first, so the
//! command line wins, and an environment value the flag would refuse is ignored (upstream behaviour).
//!
//! [cmd/controller/main.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/cmd/controller/main.go

use std::ffi::OsString;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

use crate::goduration;
use crate::logic::keyring::KeyOrderPriority;

pub const ENV_PREFIX: &str = "SEALED_SECRETS_";

/// Go `strconv.ParseBool` spellings; the message is this flag parser's own.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    gocompat::strconv::parse_bool(s).map_err(|_| format!("invalid boolean value {s:?}"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    goduration::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "sealed-secrets-controller",
    about = "Decrypts SealedSecrets into Secrets (drop-in for upstream's controller)",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Flags {
    /// Prefix used to name keys.
    #[arg(long, default_value = "sealed-secrets-key")]
    pub key_prefix: String,
    /// Size of encryption key.
    #[arg(long, default_value_t = 4096)]
    pub key_size: usize,
    /// Duration that certificate is valid for.
    #[arg(long, default_value = "87600h", value_parser = parse_duration)]
    pub key_ttl: Duration,
    /// Common name to be used as issuer/subject DN in generated certificate.
    #[arg(long, default_value = "")]
    pub my_cn: String,
    /// New key generation period (automatic rotation disabled if 0).
    #[arg(long, visible_alias = "rotate-period", default_value = "720h", value_parser = parse_duration)]
    pub key_renew_period: Duration,
    /// Property used to decide which key is the most recent: CertNotBefore or SecretCreationTimestamp.
    #[arg(long, default_value = "CertNotBefore")]
    pub key_order_priority: String,
    /// Accept deprecated V1 data field.
    #[arg(long, default_value = "true", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub accept_deprecated_v1_data: bool,
    /// Create a new key if latest one is older than this cutoff time (RFC1123Z, `date -R`).
    #[arg(long, default_value = "")]
    pub key_cutoff_time: String,
    /// Scan all namespaces or only the current namespace.
    #[arg(long, default_value = "true", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub all_namespaces: bool,
    /// Comma-separated list of additional namespaces to be scanned.
    #[arg(long, default_value = "")]
    pub additional_namespaces: String,
    /// Label selector to filter SealedSecrets (and Secrets).
    #[arg(long, default_value = "")]
    pub label_selector: String,
    /// Number of allowed sustained requests per second for the verify and rotate endpoints.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,
    /// Number of requests allowed to exceed the rate limit per second for the verify and rotate
    /// endpoints.
    #[arg(long, default_value_t = 2)]
    pub rate_limit_burst: u32,
    /// Comma-separated list of additional annotations to be put on renewed sealing keys.
    #[arg(long, default_value = "")]
    pub privatekey_annotations: String,
    /// Comma-separated list of additional labels to be put on renewed sealing keys.
    #[arg(long, default_value = "")]
    pub privatekey_labels: String,
    /// Delete the Secret ourselves when its SealedSecret is deleted (instead of relying on GC).
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub old_gc_behavior: bool,
    /// Update the status subresource of every SealedSecret processed (on by default since
    /// upstream v0.17.0).
    #[arg(long, default_value = "true", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub update_status: bool,
    /// Watch key Secrets, to pick up keys created or changed outside the controller (upstream:
    /// beta, off by default). Key Secrets are always watched here, so `false` changes nothing.
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub watch_for_secrets: bool,
    /// Do not watch Secrets, so deleted Secrets are not re-created.
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub skip_recreate: bool,
    /// INFO and below to stdout, WARN and ERROR to stderr; false sends everything to stderr.
    #[arg(long, default_value = "true", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub log_info_stdout: bool,
    /// Log level: DEBUG, INFO, WARN or ERROR, optionally with an offset (`INFO+2`), as Go's slog;
    /// invalid values mean INFO.
    #[arg(long, default_value = "INFO")]
    pub log_level: String,
    /// Log format (text|json); anything but `json` gives text.
    #[arg(long, default_value = "text")]
    pub log_format: String,
    /// Do not update `sealed_secrets_controller_condition_info`, so the metrics endpoint does not
    /// list SealedSecret namespaces and names.
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub metrics_omit_secret_labels: bool,
    /// Max unseal retries.
    #[arg(long, default_value_t = 5)]
    pub max_unseal_retries: u32,
    /// Client-side rate limit of Kubernetes API calls, per second; negative (the default) means
    /// none: the API server's priority and fairness protects it, and `--workers` bounds the
    /// requests in flight. (Upstream's 5 makes a catch-up after an outage slow; any fixed rate
    /// caps unsealing below what the cores can do.)
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    pub kubeclient_qps: f32,
    /// Burst of Kubernetes API calls allowed above `--kubeclient-qps`.
    #[arg(long, default_value_t = 100)]
    pub kubeclient_burst: u32,
    /// HTTP listen address.
    #[arg(long, default_value = ":8080")]
    pub listen_addr: String,
    /// HTTP metrics listen address.
    #[arg(long, default_value = ":8081")]
    pub listen_metrics_addr: String,
    /// HTTP read timeout.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub read_timeout: Duration,
    /// HTTP write timeout.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub write_timeout: Duration,
    /// Print the version and exit.
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub version: bool,
    /// Kubeconfig file, to run outside a cluster (default: in-cluster, then the usual kubeconfig).
    #[arg(long)]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Take part in leader election (Lease `sealed-secrets-controller` in the controller
    /// namespace): only the leader reconciles and renews keys; every replica serves the HTTP API.
    #[arg(long, default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub leader_elect: bool,
    /// How long a Lease not renewed stays with its holder before another replica may take it.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub leader_election_lease_duration: Duration,
    /// How long the leader keeps trying to renew before it gives up leading.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub leader_election_renew_deadline: Duration,
    /// How often to try to take or renew the Lease.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub leader_election_retry_period: Duration,
    /// Number of reconcile workers (beyond upstream, which has one). Different SealedSecrets are
    /// reconciled at once, never the same one twice at once; RSA work runs on blocking threads.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: u32,
    /// What to do when a Secret owned by a SealedSecret is changed by someone else (beyond
    /// upstream): `repair` restores it, `detect` only reports it (Event and metric). The
    /// SealedSecret annotation `sealedsecrets.bitnami.com/secret-drift` overrides it per object.
    #[arg(long, default_value = "repair", value_enum)]
    pub secret_drift: crate::logic::drift::Mode,
    /// Positional arguments are ignored, as upstream.
    #[arg(hide = true, num_args = 0.., trailing_var_arg = false)]
    pub ignored: Vec<String>,
}

/// The env var name for a flag id (`key_prefix` → `SEALED_SECRETS_KEY_PREFIX`).
pub fn env_name(flag_long: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        flag_long.to_ascii_uppercase().replace('-', "_")
    )
}

/// `--flag=value` arguments for every environment variable whose value the flag accepts.
/// `env` is passed in so tests do not depend on the process environment.
pub fn env_args(env: &dyn Fn(&str) -> Option<String>) -> Vec<OsString> {
    let cmd = Flags::command();
    let mut out = Vec::new();
    let mut longs: Vec<String> = Vec::new();
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        longs.push(long.to_string());
        for alias in arg.get_all_aliases().unwrap_or_default() {
            longs.push(alias.to_string());
        }
    }
    // Go's flagenv visits flags in lexical order; a later one setting the same variable wins.
    longs.sort();
    for long in longs {
        if long == "help" {
            continue;
        }
        let Some(value) = env(&env_name(&long)) else {
            continue;
        };
        let candidate: OsString = format!("--{long}={value}").into();
        let probe = Flags::command()
            .try_get_matches_from([OsString::from("controller"), candidate.clone()]);
        if probe.is_ok() {
            out.push(candidate);
        }
    }
    out
}

impl Flags {
    /// Parses `argv` (program name first) after the environment's values.
    pub fn parse_with_env(
        argv: impl IntoIterator<Item = OsString>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, clap::Error> {
        let mut argv = argv.into_iter();
        let mut all: Vec<OsString> = vec![argv.next().unwrap_or_else(|| "controller".into())];
        all.extend(env_args(env));
        all.extend(argv);
        let matches = Flags::command().try_get_matches_from(all)?;
        Flags::from_arg_matches(&matches)
    }

    pub fn key_order(&self) -> (KeyOrderPriority, bool) {
        KeyOrderPriority::parse_lenient(&self.key_order_priority)
    }

    /// `--additional-namespaces` split, trimmed, empty entries dropped, deduplicated in order.
    pub fn additional_namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for ns in self
            .additional_namespaces
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if !out.iter().any(|n| n == ns) {
                out.push(ns.to_string());
            }
        }
        out
    }
}

/// The version string: `v` + crate version, unless `SEALWRIGHT_VERSION` was set at build time.
pub fn version() -> String {
    match option_env!("SEALWRIGHT_VERSION") {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => format!("v{}", env!("CARGO_PKG_VERSION")),
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyPrefixError {
    #[error("key prefix is too long (max 245 characters)")]
    TooLong,
    #[error("key prefix {0:?} may only contain lower case alphanumeric characters or '-'")]
    BadCharacters(String),
}

impl KeyPrefixError {
    pub fn name(&self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::BadCharacters(_) => "bad_characters",
        }
    }
}

/// Upstream `validateKeyPrefix`: at most 245 characters of `[a-z0-9-]`.
pub fn validate_key_prefix(prefix: &str) -> Result<(), KeyPrefixError> {
    if prefix.len() > 245 {
        return Err(KeyPrefixError::TooLong);
    }
    if !prefix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(KeyPrefixError::BadCharacters(prefix.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Flags, clap::Error> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let argv = std::iter::once("controller")
            .chain(args.iter().copied())
            .map(OsString::from);
        Flags::parse_with_env(argv, &|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_match_upstream() {
        let f = parse(&[], &[]).unwrap();
        assert_eq!(f.key_prefix, "sealed-secrets-key");
        assert_eq!(f.key_size, 4096);
        assert_eq!(f.key_ttl, Duration::from_secs(87600 * 3600));
        assert_eq!(f.my_cn, "");
        assert_eq!(f.key_renew_period, Duration::from_secs(720 * 3600));
        assert_eq!(f.key_order_priority, "CertNotBefore");
        assert!(f.accept_deprecated_v1_data);
        assert_eq!(f.key_cutoff_time, "");
        assert!(f.all_namespaces);
        assert_eq!(f.rate_limit, 2);
        assert_eq!(f.rate_limit_burst, 2);
        assert!(!f.old_gc_behavior);
        assert!(f.update_status);
        assert!(!f.watch_for_secrets);
        assert!(!f.skip_recreate);
        assert!(f.log_info_stdout);
        assert_eq!(f.log_level, "INFO");
        assert_eq!(f.log_format, "text");
        assert_eq!(f.max_unseal_retries, 5);
        assert_eq!(f.kubeclient_qps, -1.0);
        assert_eq!(f.kubeclient_burst, 100);
        assert_eq!(f.listen_addr, ":8080");
        assert_eq!(f.listen_metrics_addr, ":8081");
        assert_eq!(f.read_timeout, Duration::from_secs(120));
        assert_eq!(f.write_timeout, Duration::from_secs(120));
        assert!(!f.version);
        assert_eq!(f.workers, 4);
        assert_eq!(f.secret_drift, crate::logic::drift::Mode::Repair);
    }

    #[test]
    fn secret_drift_mode() {
        let f = parse(&["--secret-drift=detect"], &[]).unwrap();
        assert_eq!(f.secret_drift, crate::logic::drift::Mode::Detect);
        let f = parse(&[], &[("SEALED_SECRETS_SECRET_DRIFT", "detect")]).unwrap();
        assert_eq!(f.secret_drift, crate::logic::drift::Mode::Detect);
        assert!(parse(&["--secret-drift=off"], &[]).is_err());
    }

    #[test]
    fn bare_and_explicit_booleans() {
        let f = parse(
            &[
                "--update-status",
                "--skip-recreate",
                "--all-namespaces=false",
            ],
            &[],
        )
        .unwrap();
        assert!(f.update_status);
        assert!(f.skip_recreate);
        assert!(!f.all_namespaces);
        let f = parse(&["--update-status=0", "--old-gc-behavior=T"], &[]).unwrap();
        assert!(!f.update_status);
        assert!(f.old_gc_behavior);
        assert!(parse(&["--update-status=yes"], &[]).is_err());
        // `--flag false` leaves `false` as an ignored positional argument, as Go's flag package.
        let f = parse(&["--skip-recreate", "false"], &[]).unwrap();
        assert!(f.skip_recreate);
    }

    #[test]
    fn durations_use_go_syntax() {
        let f = parse(&["--key-renew-period=720h30m", "--key-ttl", "1h"], &[]).unwrap();
        assert_eq!(f.key_renew_period, Duration::from_secs(720 * 3600 + 1800));
        assert_eq!(f.key_ttl, Duration::from_secs(3600));
        assert!(parse(&["--key-ttl=30d"], &[]).is_err());
        let f = parse(&["--rotate-period=0"], &[]).unwrap();
        assert_eq!(f.key_renew_period, Duration::ZERO);
    }

    #[test]
    fn environment_applies_and_command_line_wins() {
        let f = parse(
            &[],
            &[
                ("SEALED_SECRETS_KEY_PREFIX", "envkey"),
                ("SEALED_SECRETS_UPDATE_STATUS", "false"),
            ],
        )
        .unwrap();
        assert_eq!(f.key_prefix, "envkey");
        assert!(!f.update_status);
        let f = parse(
            &["--key-prefix=cli", "--update-status"],
            &[
                ("SEALED_SECRETS_KEY_PREFIX", "envkey"),
                ("SEALED_SECRETS_UPDATE_STATUS", "false"),
            ],
        )
        .unwrap();
        assert_eq!(f.key_prefix, "cli");
        assert!(f.update_status);
        let f = parse(&[], &[("SEALED_SECRETS_ROTATE_PERIOD", "1h")]).unwrap();
        assert_eq!(f.key_renew_period, Duration::from_secs(3600));
    }

    #[test]
    fn invalid_environment_values_are_ignored() {
        let f = parse(
            &[],
            &[
                ("SEALED_SECRETS_KEY_SIZE", "big"),
                ("SEALED_SECRETS_KEY_TTL", "10d"),
                ("SEALED_SECRETS_UPDATE_STATUS", "nope"),
                ("SEALED_SECRETS_RATE_LIMIT", "3"),
            ],
        )
        .unwrap();
        assert_eq!(f.key_size, 4096);
        assert_eq!(f.key_ttl, Duration::from_secs(87600 * 3600));
        assert!(f.update_status);
        assert_eq!(f.rate_limit, 3);
    }

    #[test]
    fn positional_arguments_are_ignored() {
        let f = parse(&["extra", "--key-size=2048", "more"], &[]).unwrap();
        assert_eq!(f.key_size, 2048);
    }

    #[test]
    fn version_flag() {
        assert!(parse(&["--version"], &[]).unwrap().version);
        assert!(version().starts_with('v') || option_env!("SEALWRIGHT_VERSION").is_some());
    }

    #[test]
    fn key_order_priority_falls_back() {
        assert_eq!(
            KeyOrderPriority::parse_lenient("SecretCreationTimestamp"),
            (KeyOrderPriority::SecretCreationTimestamp, true)
        );
        assert_eq!(
            KeyOrderPriority::parse_lenient("bogus"),
            (KeyOrderPriority::CertNotBefore, false)
        );
    }

    #[test]
    fn flags_added_or_changed_upstream_since_v0_36_6() {
        // v0.39 `--metrics-omit-secret-labels`; `--watch-for-secrets` and `--log-info-stdout`
        // keep their upstream defaults and take Go booleans from the command line and from
        // `SEALED_SECRETS_*`.
        let f = parse(
            &[
                "--metrics-omit-secret-labels",
                "--watch-for-secrets",
                "--log-info-stdout=false",
            ],
            &[],
        )
        .unwrap();
        assert!(f.metrics_omit_secret_labels);
        assert!(f.watch_for_secrets);
        assert!(!f.log_info_stdout);
        let f = parse(
            &[],
            &[
                ("SEALED_SECRETS_METRICS_OMIT_SECRET_LABELS", "true"),
                ("SEALED_SECRETS_WATCH_FOR_SECRETS", "1"),
                ("SEALED_SECRETS_LOG_INFO_STDOUT", "F"),
            ],
        )
        .unwrap();
        assert!(f.metrics_omit_secret_labels);
        assert!(f.watch_for_secrets);
        assert!(!f.log_info_stdout);
        let f = parse(
            &["--log-info-stdout"],
            &[("SEALED_SECRETS_LOG_INFO_STDOUT", "false")],
        )
        .unwrap();
        assert!(f.log_info_stdout);
        assert!(parse(&["--watch-for-secrets=yes"], &[]).is_err());
    }

    #[test]
    fn additional_namespaces_are_deduplicated() {
        let f = parse(&["--additional-namespaces=a, b,a,,c"], &[]).unwrap();
        assert_eq!(f.additional_namespaces(), vec!["a", "b", "c"]);
    }

    #[test]
    fn key_prefix_validation() {
        assert!(validate_key_prefix("sealed-secrets-key").is_ok());
        assert!(validate_key_prefix("").is_ok());
        assert_eq!(
            validate_key_prefix("Bad_").unwrap_err().name(),
            "bad_characters"
        );
        assert_eq!(
            validate_key_prefix(&"a".repeat(246)).unwrap_err().name(),
            "too_long"
        );
    }
}
