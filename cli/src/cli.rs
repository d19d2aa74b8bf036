//! Command-line arguments: upstream kubeseal's flags (pflag syntax, `SEALED_SECRETS_*`
//! environment variables, command line wins), kubectl's connection flags, and the
//! sealwright-only subcommands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sealwright_crypto::Scope;

/// The version `--version` prints: `SEALWRIGHT_VERSION` at build time, else `v<crate version>`.
pub fn version() -> &'static str {
    match option_env!("SEALWRIGHT_VERSION") {
        Some(v) if !v.is_empty() => v,
        _ => concat!("v", env!("CARGO_PKG_VERSION")),
    }
}

/// Go's `strconv.ParseBool`, which pflag uses for `--flag=<value>` and the environment.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    gocompat::strconv::parse_bool(s).map_err(|e| e.to_string())
}

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

#[derive(Debug, Parser)]
#[command(
    name = "kubeseal",
    about = "Encrypts Kubernetes Secrets into SealedSecrets that only the controller in the cluster can decrypt",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(flatten)]
    pub seal: SealArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    #[command(flatten)]
    pub klog: KlogArgs,

    /// Print this help message
    #[arg(short = 'h', long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value = "false", value_parser = parse_go_bool)]
    pub help: bool,

    /// Print version information and exit
    #[arg(long, env = "SEALED_SECRETS_VERSION", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool)]
    pub version: bool,

    /// Input file (sealwright extension; same as --secret-file). Upstream ignores positional arguments.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands. Plain `kubeseal [flags]` stays upstream's flag-only interface.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script
    Completion {
        /// Print help
        #[arg(short = 'h', long, action = clap::ArgAction::Help)]
        help: Option<bool>,
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    Man {
        /// Print help
        #[arg(short = 'h', long, action = clap::ArgAction::Help)]
        help: Option<bool>,
    },
    /// The controller's sealing keys: list, rotate, backup, restore, retire
    Keys(crate::keys::KeysArgs),
    /// Re-encrypt every SealedSecret in files and directories to the newest key
    Reencrypt(crate::tree::ReencryptArgs),
    /// Add or replace items of a SealedSecret file in place
    Set(crate::edit::SetArgs),
    /// Remove items from a SealedSecret file in place
    Unset(crate::edit::UnsetArgs),
    /// Edit a SealedSecret's values in $EDITOR (needs --recovery-private-key)
    Edit(crate::edit::EditArgs),
    /// Check the SealedSecrets in files and directories offline (for CI)
    Lint(crate::lint::LintArgs),
    /// Print the help, or a command's help
    Help {
        /// Print help
        #[arg(short = 'h', long, action = clap::ArgAction::Help)]
        help: Option<bool>,
        /// completion, man, keys, reencrypt, set, unset, edit or lint
        command: Option<String>,
    },
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

/// kubectl's connection flags (`clientcmd.RecommendedConfigOverrideFlags("")`).
#[derive(Debug, Args, Clone, Default)]
pub struct KubeArgs {
    /// If present, the namespace scope for this CLI request
    #[arg(
        global = true,
        help_heading = "Global flags",
        short = 'n',
        long,
        env = "SEALED_SECRETS_NAMESPACE"
    )]
    pub namespace: Option<String>,
    /// The name of the kubeconfig context to use
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CONTEXT"
    )]
    pub context: Option<String>,
    /// The name of the kubeconfig cluster to use
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CLUSTER"
    )]
    pub cluster: Option<String>,
    /// The name of the kubeconfig user to use
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_USER"
    )]
    pub user: Option<String>,
    /// The address and port of the Kubernetes API server
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_SERVER"
    )]
    pub server: Option<String>,
    /// If provided, this name will be used to validate server certificate.
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_TLS_SERVER_NAME"
    )]
    pub tls_server_name: Option<String>,
    /// If true, the server's certificate will not be checked for validity.
    #[arg(global = true, help_heading = "Global flags", long, env = "SEALED_SECRETS_INSECURE_SKIP_TLS_VERIFY", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Path to a client certificate file for TLS
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CLIENT_CERTIFICATE"
    )]
    pub client_certificate: Option<PathBuf>,
    /// Path to a client key file for TLS
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CLIENT_KEY"
    )]
    pub client_key: Option<PathBuf>,
    /// Path to a cert file for the certificate authority
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_CERTIFICATE_AUTHORITY"
    )]
    pub certificate_authority: Option<PathBuf>,
    /// Bearer token for authentication to the API server
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Username to impersonate for the operation
    #[arg(
        global = true,
        help_heading = "Global flags",
        long = "as",
        env = "SEALED_SECRETS_AS"
    )]
    pub impersonate: Option<String>,
    /// UID to impersonate for the operation
    #[arg(
        global = true,
        help_heading = "Global flags",
        long = "as-uid",
        env = "SEALED_SECRETS_AS_UID"
    )]
    pub impersonate_uid: Option<String>,
    /// Group to impersonate for the operation, this flag can be repeated to specify multiple groups.
    #[arg(global = true, help_heading = "Global flags", long = "as-group", action = clap::ArgAction::Append)]
    pub impersonate_groups: Vec<String>,
    /// Username for basic authentication to the API server
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_USERNAME"
    )]
    pub username: Option<String>,
    /// Password for basic authentication to the API server
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// The length of time to wait before giving up on a single server request (e.g. 1s, 2m, 3h; 0 = no timeout).
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_REQUEST_TIMEOUT",
        default_value = "0"
    )]
    pub request_timeout: String,
    /// If provided, this URL will be used to connect via proxy
    #[arg(
        global = true,
        help_heading = "Global flags",
        long,
        env = "SEALED_SECRETS_PROXY_URL"
    )]
    pub proxy_url: Option<String>,
    /// If true, opt-out of response compression for all requests to the server
    #[arg(global = true, help_heading = "Global flags", long, env = "SEALED_SECRETS_DISABLE_COMPRESSION", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub disable_compression: Option<bool>,
}

/// klog's flags: accepted for compatibility (scripts pass `-v 10`), otherwise ignored.
#[derive(Debug, Args)]
pub struct KlogArgs {
    #[arg(short = 'v', long = "v", hide = true)]
    pub verbosity: Option<String>,
    #[arg(long, hide = true)]
    pub vmodule: Option<String>,
    #[arg(long, hide = true)]
    pub log_dir: Option<String>,
    #[arg(long, hide = true)]
    pub log_file: Option<String>,
    #[arg(long, hide = true)]
    pub log_file_max_size: Option<String>,
    #[arg(long, hide = true)]
    pub stderrthreshold: Option<String>,
    #[arg(long, hide = true)]
    pub log_backtrace_at: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub logtostderr: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub alsologtostderr: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub skip_headers: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub skip_log_headers: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub one_output: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub add_dir_header: Option<bool>,
}

impl Cli {
    /// Slice flags from the environment come first; command-line occurrences append (pflag).
    pub fn apply_slice_env(&mut self) {
        prepend_env(&mut self.seal.from_file, "SEALED_SECRETS_FROM_FILE");
        prepend_env(
            &mut self.seal.recovery_private_key,
            "SEALED_SECRETS_RECOVERY_PRIVATE_KEY",
        );
        prepend_env(&mut self.kube.impersonate_groups, "SEALED_SECRETS_AS_GROUP");
    }
}

fn prepend_env<T: From<String>>(values: &mut Vec<T>, var: &str) {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        let mut merged: Vec<T> = v.split(',').map(|s| T::from(s.to_string())).collect();
        merged.append(values);
        *values = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pflag_style_bools() {
        let cli = Cli::try_parse_from([
            "kubeseal",
            "--raw",
            "--allow-empty-data=false",
            "--validate=true",
        ]);
        let cli = cli.map_err(|e| e.to_string());
        assert!(
            matches!(cli, Ok(ref c) if c.seal.raw && !c.seal.allow_empty_data && c.seal.validate)
        );
    }

    #[test]
    fn slices_split_and_repeat() {
        let cli = Cli::try_parse_from([
            "kubeseal",
            "--recovery-private-key",
            "a,b",
            "--recovery-private-key=c",
        ]);
        let keys = cli.map(|c| c.seal.recovery_private_key).unwrap_or_default();
        assert_eq!(
            keys,
            vec![PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c")]
        );
    }
}
