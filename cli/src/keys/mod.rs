//! `kubeseal keys ...`: the sealing-key lifecycle (sealwright extension). Connection flags
//! (`--kubeconfig`, `--context`, …) and `--controller-namespace` are the global ones.

mod args;
mod error;

pub use args::KeysArgs;
pub use error::KeysError;

use crate::cli::Cli;
use crate::error::CliError;

pub fn run(cmd: &KeysArgs, cli: &Cli) -> Result<(), CliError> {
    let _ = (cmd, cli);
    Err(KeysError::NotImplemented("kubeseal keys").into())
}
