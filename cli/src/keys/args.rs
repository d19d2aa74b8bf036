//! Arguments of `kubeseal keys ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `kubeseal keys <COMMAND>`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the sealing keys: fingerprint, creation, expiry, which one seals, how many SealedSecrets need each
    List(ListArgs),
    /// Create a new sealing key now; the running controller seals with it at once
    Rotate(RotateArgs),
    /// Write every sealing key to one file (a v1 List of Secrets, mode 0600)
    Backup(BackupArgs),
    /// Put the keys of a backup file into the cluster (idempotent)
    Restore(RestoreArgs),
    /// Delete old keys that no SealedSecret needs any more and that a backup holds
    Retire(RetireArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Output: table, json or yaml
    #[arg(short = 'o', long = "output", default_value = "table")]
    pub output: String,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// RSA key size in bits
    #[arg(long, default_value_t = 4096)]
    pub key_size: usize,
    /// Certificate validity (Go duration)
    #[arg(long, default_value = "87600h")]
    pub key_ttl: String,
    /// Certificate common name
    #[arg(long, default_value = "")]
    pub my_cn: String,
    /// Key Secret name prefix (the API server appends a random suffix)
    #[arg(long, default_value = "sealed-secrets-key")]
    pub key_prefix: String,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// File to write
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Backup file (a v1 List of key Secrets, one key Secret, or PEM private keys)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RetireArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Keys to retire, by fingerprint or Secret name (default: every key but the one that seals)
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
    /// A backup file that must hold every key being retired
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,
    /// Retire even without a backup or while SealedSecrets still need the key
    #[arg(long)]
    pub force: bool,
    /// Say what would be retired, change nothing
    #[arg(long)]
    pub dry_run: bool,
}
