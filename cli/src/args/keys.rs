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
    ///
    /// The keys are the key Secrets of --controller-namespace. CREATED is the certificate's
    /// NotBefore; the key with the newest one seals. NEEDED BY counts the SealedSecrets in all
    /// namespaces with a value that only this key opens: taken from the status our controller
    /// records, or found by trying the keys locally when that status is missing or out of date
    /// (upstream's controller records none). Needs read access to the key Secrets and to
    /// SealedSecrets in all namespaces.
    List(ListArgs),
    /// Create a new sealing key now; the running controller seals with it at once
    ///
    /// The key Secret is created with your own credentials (no controller endpoint is involved).
    /// Our controller watches key Secrets and switches at once; this command checks that through
    /// the controller's /v1/cert.pem. Upstream's controller reads keys only at start (unless run
    /// with --watch-for-secrets): restart it after rotating. Existing SealedSecrets keep working;
    /// re-encrypt them with `kubeseal reencrypt` so the old key can be retired later.
    Rotate(RotateArgs),
    /// Write every sealing key to one file (a v1 List of Secrets, mode 0600)
    ///
    /// The file works with `kubeseal keys restore`, `kubectl apply -f` and
    /// `kubeseal --recovery-unseal --recovery-private-key FILE`. It holds private keys: keep it
    /// somewhere safe, and make a new one after every rotation. Use `-o -` for stdout.
    Backup(BackupArgs),
    /// Put the keys of a backup file into the cluster (idempotent)
    ///
    /// FILE may be what `keys backup` writes, a key Secret, a stream of Secrets or Lists (YAML or
    /// JSON), or PEM private keys. The whole file is checked before anything is written. A key
    /// already in --controller-namespace (same fingerprint) is skipped; others keep their Secret
    /// name when it is free. A bare PEM key without its certificate gets a new one valid from now,
    /// which makes it the sealing key. Upstream's controller loads the restored keys only after a
    /// restart.
    Restore(RestoreArgs),
    /// Delete old keys that no SealedSecret needs any more and that a backup holds
    ///
    /// Without KEY, every key except the one that seals is a candidate. A key is refused while a
    /// SealedSecret anywhere in the cluster still needs it, or when --backup is missing or does
    /// not hold it; one refusal stops the whole run before anything is deleted. The sealing key
    /// is never retired. A running controller keeps a retired key in memory until it restarts,
    /// which is harmless.
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
    /// How long to wait for the controller to seal with the new key (0: do not check)
    #[arg(long, default_value = "30s")]
    pub wait: String,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// File to write (`-` for stdout)
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
