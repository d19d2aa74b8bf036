//! Arguments of `kubeseal lint`. The global `--cert`, `--recovery-private-key` and
//! `--namespace` add checks; nothing here contacts a cluster.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One `file:line: message` line per finding
    Text,
    /// A JSON array of {file, line, object, field, message, rule}
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Checks every SealedSecret in the files offline: base64 and ciphertext framing of each \
encryptedData item, scope annotations, names and namespaces, data keys, the Secret type and its \
required keys, and that spec.template.data parses. With --cert, also that each item was sealed \
for a key of the certificate's size; with --recovery-private-key, that each item opens (nothing \
decrypted is ever printed). --namespace stands in for a missing metadata.namespace.

Findings go to stdout, a summary line to stderr. Exit status: 0 when clean, 1 on findings, 2 on \
a usage error (a bad flag, a certificate or key that cannot be read).")]
pub struct LintArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Files and directories to walk (.yaml, .yml, .json)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: Output,
}
