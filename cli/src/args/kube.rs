//! kubectl's connection flags and klog's flags (accepted, ignored), as upstream kubeseal has them.

use std::path::PathBuf;

use clap::Args;

use crate::gofmt::parse_go_bool;

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
