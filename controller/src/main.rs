//! `sealed-secrets-controller`: parse flags, set up logging, run.

use std::process::ExitCode;

use sealwright_controller::{flags, logging, run};

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = flags::Flags::parse_with_env(std::env::args_os(), &|k| std::env::var(k).ok());
    let flags = match parsed {
        Ok(f) => f,
        Err(e) => e.exit(),
    };
    if flags.version {
        println!("controller version: {}", flags::version());
        return ExitCode::SUCCESS;
    }
    logging::init(&flags.log_level, &flags.log_format, flags.log_info_stdout);
    match run::run(flags).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, kind = e.name(), "controller failed");
            ExitCode::FAILURE
        }
    }
}
