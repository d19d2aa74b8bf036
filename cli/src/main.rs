//! `kubeseal`: seals Kubernetes Secrets for a Sealed Secrets controller; a drop-in
//! replacement for upstream's CLI (same flags, environment, output bytes and messages).
//!
//! Its one job is the command line: read input, find the certificate, call the sealing core,
//! write output. It may import `sealwright-gocompat` and `sealwright-crypto`, never the
//! controller. The layout and the seal path are drawn in `docs/ARCHITECTURE.md`.

mod app;
mod args;
mod certsource;
mod edit;
mod error;
mod gofmt;
mod help;
mod input;
mod keys;
mod kubeconfig;
mod lint;
mod manpage;
mod modes;
mod output;
mod proxy;
mod rules;
mod sink;
mod stdout;
mod tree;

use clap::Parser;

fn main() {
    let cli = args::Cli::try_parse().unwrap_or_else(|e| help::exit_on_flag_error(e));
    if let Err(e) = app::run(cli) {
        eprintln!("error: {e}");
        if let Some(hint) = e.hint() {
            eprintln!("{hint}");
        }
        std::process::exit(1);
    }
}
