//! Arguments of `kubeseal reencrypt`. Offline with the global `--recovery-private-key` and
//! `--cert`; otherwise online through the controller (`--controller-namespace/-name`).

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "\
Offline with --recovery-private-key (every key that may have sealed the files) and --cert (the \
newest certificate); otherwise online through the controller (--controller-namespace, \
--controller-name, --kubeconfig). Online, a file under a .sealed-secrets.yaml rule goes to the \
controller of its rule's cluster unless a controller is named on the command line.

Only the ciphertext values change: comments, order, quoting and other documents keep their bytes. \
Values already sealed for the newest key are left alone. A file is rewritten atomically and only \
when every SealedSecret in it succeeded. Progress and errors go to stderr; the exit status is 1 \
when any file failed.")]
pub struct ReencryptArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Files and directories to walk (.yaml, .yml, .json)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Report what would change, write nothing
    #[arg(long)]
    pub dry_run: bool,
}
