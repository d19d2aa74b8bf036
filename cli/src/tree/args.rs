//! Arguments of `kubeseal reencrypt`. Offline with the global `--recovery-private-key` and
//! `--cert`; otherwise online through the controller (`--controller-namespace/-name`).

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
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
