//! Arguments of `kubeseal set`, `unset` and `edit`.

use std::path::PathBuf;

use clap::Args;

const CERT_HELP: &str = "\
The certificate: --cert, or the controller named by --controller-namespace, --controller-name or \
--context; otherwise the cluster a .sealed-secrets.yaml rules file (found by walking up from the \
file) maps the file to; otherwise the default controller (--kubeconfig). The object's own scope, \
name and namespace decide how it is sealed.";

#[derive(Debug, Args)]
#[command(after_help = format!("{CERT_HELP}\n\n\
Only the named items change: other items keep their ciphertexts, and comments, order and other \
documents keep their bytes. New items are added after the last one. The file is rewritten \
atomically, or not at all."))]
pub struct SetArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The SealedSecret file; a quoted glob updates every file it matches
    #[arg(value_name = "FILE")]
    pub file: String,
    /// KEY=VALUE, KEY=@PATH (a file's bytes) or KEY=- (stdin, read once)
    #[arg(value_name = "KEY=VALUE", required = true)]
    pub items: Vec<String>,
    /// The SealedSecret to change when the file holds several
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Only the named items are removed; everything else keeps its bytes. A key that does not exist is \
an error and the file is left as it was. No certificate is needed.")]
pub struct UnsetArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The SealedSecret file; a quoted glob updates every file it matches
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The items to remove
    #[arg(value_name = "KEY", required = true)]
    pub keys: Vec<String>,
    /// The SealedSecret to change when the file holds several
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = format!("\
Needs --recovery-private-key (the controller's keys, e.g. a `kubeseal keys backup`): the values \
are opened locally, never by the controller. $VISUAL or $EDITOR (else vi) edits a Secret with \
stringData (UTF-8 values) and data (base64, other values) in a private temporary file (0600, on \
tmpfs when available), removed afterwards. On save, added and changed items are sealed, removed \
items removed, unchanged items keep their ciphertexts. An unchanged or empty buffer changes \
nothing.\n\n{CERT_HELP}"))]
pub struct EditArgs {
    /// Print help
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The SealedSecret file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The SealedSecret to edit when the file holds several
    #[arg(long)]
    pub name: Option<String>,
}
