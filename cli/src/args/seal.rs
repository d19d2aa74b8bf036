//! Upstream kubeseal's own flags (pflag syntax, `SEALED_SECRETS_*` environment variables).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;
use sealwright_crypto::Scope;

use crate::gofmt::parse_go_bool;

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse::<Scope>().map_err(|e| e.to_string())
}

/// A value parser that lists `values` for shell completion and leaves checking to `parse`
/// (upstream's wording for a bad `--scope`; `-o` is only checked when printing).
#[derive(Debug, Clone, Copy)]
pub struct Completing<T: Clone + Send + Sync + 'static> {
    values: &'static [&'static str],
    parse: fn(&str) -> Result<T, String>,
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Completing<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        // clap's own parser for a plain function, so errors carry the flag, value and cause.
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.values
                .iter()
                .map(|v| clap::builder::PossibleValue::new(*v)),
        ))
    }
}

fn scope_parser() -> Completing<Scope> {
    Completing {
        values: &["strict", "namespace-wide", "cluster-wide"],
        parse: parse_scope,
    }
}

fn format_parser() -> Completing<String> {
    Completing {
        values: &["json", "yaml"],
        parse: |s| Ok(s.to_string()),
    }
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// Certificate / public key file/URL to use for encryption. Overrides --controller-*
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CERT",
        default_value = "",
        hide_default_value = true
    )]
    pub cert: OsString,

    /// Namespace of sealed-secrets controller.
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAMESPACE",
        default_value = "kube-system"
    )]
    pub controller_namespace: String,

    /// Name of sealed-secrets controller.
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAME",
        default_value = "sealed-secrets-controller"
    )]
    pub controller_name: String,

    /// Output format for sealed secret. Either json or yaml
    #[arg(
        short = 'o',
        long,
        env = "SEALED_SECRETS_FORMAT",
        default_value = "json",
        value_parser = format_parser()
    )]
    pub format: String,

    /// Sealed-secret (output) file
    #[arg(short = 'w', long, env = "SEALED_SECRETS_SEALED_SECRET_FILE")]
    pub sealed_secret_file: Option<PathBuf>,

    /// Secret (input) file
    #[arg(short = 'f', long, env = "SEALED_SECRETS_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,

    /// Write certificate to stdout. Useful for later use with --cert
    #[arg(long, env = "SEALED_SECRETS_FETCH_CERT", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub fetch_cert: bool,

    /// Allow empty data in the secret object
    #[arg(long, env = "SEALED_SECRETS_ALLOW_EMPTY_DATA", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub allow_empty_data: bool,

    /// Validate that the sealed secret can be decrypted
    #[arg(long, env = "SEALED_SECRETS_VALIDATE", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub validate: bool,

    /// Merge items from secret into an existing sealed secret file, updating the file in-place instead of writing to stdout.
    #[arg(long, env = "SEALED_SECRETS_MERGE_INTO")]
    pub merge_into: Option<PathBuf>,

    /// Encrypt a raw value passed via the --from-* flags instead of the whole secret object
    #[arg(long, env = "SEALED_SECRETS_RAW", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub raw: bool,

    /// Name of the sealed secret (required with --raw and default (strict) scope)
    #[arg(
        long,
        env = "SEALED_SECRETS_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub name: String,

    /// (only with --raw) Secret items can be sourced from files (kubectl syntax `[key=]path`).
    /// Comma-separated or repeated; SEALED_SECRETS_FROM_FILE is prepended.
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Append)]
    pub from_file: Vec<OsString>,

    /// Path to a kube config. Only required if out-of-cluster
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_KUBECONFIG"
    )]
    pub kubeconfig: Option<PathBuf>,

    /// Set the scope of the sealed secret: strict, namespace-wide, cluster-wide (defaults to strict).
    /// Mandatory for --raw, otherwise the 'sealedsecrets.bitnami.com/cluster-wide' and
    /// 'sealedsecrets.bitnami.com/namespace-wide' annotations on the input secret can be used to select the scope.
    #[arg(long, env = "SEALED_SECRETS_SCOPE", default_value = "strict", value_parser = scope_parser())]
    pub scope: Scope,

    /// Deprecated: please use --re-encrypt instead
    #[arg(long, env = "SEALED_SECRETS_ROTATE", hide = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub rotate: bool,

    /// Re-encrypt the given sealed secret to use the latest cluster key. With
    /// --recovery-private-key and --cert it works offline (sealwright extension).
    #[arg(long, env = "SEALED_SECRETS_RE_ENCRYPT", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub re_encrypt: bool,

    /// Decrypt a sealed secrets file obtained from stdin, using the private key passed with
    /// --recovery-private-key. Intended to be used in disaster recovery mode.
    #[arg(long, env = "SEALED_SECRETS_RECOVERY_UNSEAL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub recovery_unseal: bool,

    /// Private key filename used by the --recovery-unseal command. Multiple files accepted either
    /// via comma separated list or by repetition of the flag. Either PEM encoded private keys or a
    /// backup of a json/yaml encoded k8s sealed-secret controller secret (and v1.List) are accepted.
    #[arg(global = true, help_heading = "Global flags", long, value_delimiter = ',', action = clap::ArgAction::Append)]
    pub recovery_private_key: Vec<PathBuf>,

    /// The most input kubeseal reads (stdin, -f, --merge-into), e.g. 64Mi, 1G, 500000.
    #[arg(long, env = "SEALED_SECRETS_MAX_INPUT_SIZE", hide = true, default_value = "64Mi",
          value_parser = parse_size)]
    pub max_input_size: u64,
}

/// A byte count with an optional binary or decimal suffix (`64Mi`, `1G`, `500k`).
fn parse_size(s: &str) -> Result<u64, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 64Mi, 1G, 500000)"))?;
    let factor: u64 = match unit {
        "" => 1,
        "k" | "K" => 1_000,
        "Ki" => 1 << 10,
        "M" => 1_000_000,
        "Mi" => 1 << 20,
        "G" => 1_000_000_000,
        "Gi" => 1 << 30,
        _ => return Err(format!("{s:?} is not a size (e.g. 64Mi, 1G, 500000)")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}
