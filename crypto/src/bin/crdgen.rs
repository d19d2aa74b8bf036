//! Prints the `sealedsecrets.bitnami.com` CustomResourceDefinition as YAML on stdout.

use std::io::Write;
use std::process::ExitCode;

use kube::CustomResourceExt;
use sealwright_crypto::SealedSecret;

fn main() -> ExitCode {
    let yaml = match serde_yaml::to_string(&SealedSecret::crd()) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("crdgen: cannot serialise the CRD: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(yaml.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("crdgen: cannot write the CRD: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
