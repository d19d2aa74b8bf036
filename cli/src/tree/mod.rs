//! `kubeseal reencrypt PATH...`: re-encrypts the SealedSecrets in a tree of YAML/JSON files
//! (a GitOps repository) to the newest key, rewriting only ciphertext values.

mod args;
mod error;

pub use args::ReencryptArgs;
pub use error::TreeError;

use crate::cli::Cli;
use crate::error::CliError;

pub fn run(args: &ReencryptArgs, cli: &Cli) -> Result<(), CliError> {
    let _ = (args, cli);
    Err(TreeError::NotImplemented("kubeseal reencrypt").into())
}
