//! Every clap definition of kubeseal: upstream kubeseal's flags (pflag syntax,
//! `SEALED_SECRETS_*` environment variables, command line wins; `seal`), kubectl's connection
//! flags (`kube`), and the sealwright-only subcommands (`keys`, `tree`, `edit`, `lint`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::gofmt::parse_go_bool;

mod connection;
pub mod edit;
mod given;
mod globals;
pub mod keys;
mod kube;
pub mod lint;
mod seal;
pub mod tree;

pub use connection::{Connection, ReencryptGlobals};
pub use given::{controller_flags_given, flags_given};
pub use globals::{CertGlobals, LintGlobals};
pub use kube::{KlogArgs, KubeArgs};
pub use seal::SealArgs;

/// The version `--version` prints: `SEALWRIGHT_VERSION` at build time, else `v<crate version>`.
pub fn version() -> &'static str {
    match option_env!("SEALWRIGHT_VERSION") {
        Some(v) if !v.is_empty() => v,
        _ => concat!("v", env!("CARGO_PKG_VERSION")),
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
    Keys(keys::KeysArgs),
    /// Re-encrypt every SealedSecret in files and directories to the newest key
    Reencrypt(tree::ReencryptArgs),
    /// Add or replace items of a SealedSecret file in place
    Set(edit::SetArgs),
    /// Remove items from a SealedSecret file in place
    Unset(edit::UnsetArgs),
    /// Edit a SealedSecret's values in $EDITOR (needs --recovery-private-key)
    Edit(edit::EditArgs),
    /// Check the SealedSecrets in files and directories offline (for CI)
    Lint(lint::LintArgs),
    /// Print the help, or a command's help
    Help {
        /// Print help
        #[arg(short = 'h', long, action = clap::ArgAction::Help)]
        help: Option<bool>,
        /// completion, man, keys, reencrypt, set, unset, edit or lint
        command: Option<String>,
    },
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
