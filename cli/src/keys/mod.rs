//! `kubeseal keys ...`: the sealing-key lifecycle (sealwright extension). Connection flags
//! (`--kubeconfig`, `--context`, …) and `--controller-namespace` are the global ones.

mod backup;
mod cluster;
mod error;
mod inventory;
mod keyfile;
mod list;
mod restore;
mod retire;
mod rotate;

pub use error::KeysError;

use crate::args::keys::{KeysArgs, KeysCommand};

use crate::args::Connection;
use crate::error::CliError;
use crate::kubeconfig;
use crate::proxy::Controller;

pub fn run(cmd: &KeysArgs, conn: &Connection) -> Result<(), CliError> {
    let controller = Controller {
        namespace: conn.controller_namespace.clone(),
        name: conn.controller_name.clone(),
    };
    let ns = controller.namespace.clone();
    // Flags and files are checked before connecting, so a bad call touches nothing.
    let list_output = match &cmd.command {
        KeysCommand::List(a) => Some(list::Output::parse(&a.output)?),
        _ => None,
    };
    if let KeysCommand::Backup(a) = &cmd.command
        && !a.force
        && a.output.as_os_str() != "-"
        && a.output.symlink_metadata().is_ok()
    {
        return Err(KeysError::Exists {
            path: a.output.display().to_string(),
        }
        .into());
    }
    let source = kubeconfig::load(conn.kubeconfig.as_deref())?;
    block_on(async move {
        let client = kubeconfig::client(source, &conn.kube).await?;
        match &cmd.command {
            KeysCommand::List(_) => {
                let entries = cluster::keys(&client, &ns).await?;
                let usage = cluster::usage(&client, &entries).await?;
                let report = list::report(&ns, &entries, &usage);
                let text = list::render(&report, list_output.unwrap_or(list::Output::Table))?;
                crate::out!("{text}");
            }
            KeysCommand::Rotate(a) => rotate::run(&client, &controller, a).await?,
            KeysCommand::Backup(a) => {
                let secrets = cluster::key_secrets(&client, &ns).await?;
                // Only Secrets the controller can use: a broken one would fail the restore.
                let usable: Vec<_> = secrets
                    .into_iter()
                    .filter(|s| sealwright_crypto::keys::from_secret(s).is_ok())
                    .collect();
                if usable.is_empty() {
                    return Err(KeysError::NoKeysInCluster { namespace: ns }.into());
                }
                let text = backup::render(&ns, &usable)?;
                if a.output.as_os_str() == "-" {
                    crate::out!("{}", text.as_str());
                } else {
                    backup::write(&a.output, text.as_bytes(), a.force)?;
                    crate::outln!(
                        "wrote {} key(s) of namespace {ns} to {}",
                        usable.len(),
                        a.output.display()
                    );
                }
            }
            KeysCommand::Restore(a) => restore::run(&client, &ns, &a.file).await?,
            KeysCommand::Retire(a) => retire::run(&client, &ns, a).await?,
        }
        Ok(())
    })
}

fn block_on<T>(f: impl std::future::Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| KeysError::Runtime(e.to_string()))?;
    rt.block_on(f)
}
