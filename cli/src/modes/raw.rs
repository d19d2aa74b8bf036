//! `--raw`: one value sealed for a scope label, printed as bare base64 (no newline).

use rsa::PublicKey as RsaPublicKey;
use sealwright_crypto::{Scope, hybrid, scope};

use crate::error::CliError;

/// Checks upstream's preconditions; `namespace` is the kubeconfig namespace.
pub fn check(scope: Scope, namespace: &str, name: &str) -> Result<(), CliError> {
    if scope != Scope::ClusterWide {
        if namespace.is_empty() {
            return Err(CliError::RawNeedsNamespace(scope.to_string()));
        }
        if name.is_empty() && scope == Scope::Strict {
            return Err(CliError::RawNeedsName(scope.to_string()));
        }
    }
    Ok(())
}

/// The file part of kubectl's `[key=]path` syntax.
pub fn from_file_path(spec: &std::ffi::OsStr) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    let bytes = spec.as_bytes();
    let path = match bytes.iter().position(|b| *b == b'=') {
        Some(i) => &bytes[i + 1..],
        None => bytes,
    };
    std::path::Path::new(std::ffi::OsStr::from_bytes(path))
}

pub fn seal(
    key: &RsaPublicKey,
    scope: Scope,
    namespace: &str,
    name: &str,
    data: &[u8],
) -> Result<String, CliError> {
    // Cluster-wide ignores the namespace; upstream never asked kubeconfig for one.
    let ns = if scope == Scope::ClusterWide {
        ""
    } else {
        namespace
    };
    let label = scope::label(ns, name, scope);
    hybrid::seal_base64(key, &label, data).map_err(|e| CliError::Seal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions() {
        assert!(matches!(
            check(Scope::Strict, "ns", ""),
            Err(CliError::RawNeedsName(_))
        ));
        assert!(matches!(
            check(Scope::NamespaceWide, "", "x"),
            Err(CliError::RawNeedsNamespace(_))
        ));
        assert!(check(Scope::NamespaceWide, "ns", "").is_ok());
        assert!(check(Scope::ClusterWide, "", "").is_ok());
    }

    #[test]
    fn from_file_syntax() {
        let p = |s: &str| from_file_path(std::ffi::OsStr::new(s)).to_path_buf();
        assert_eq!(p("key=/tmp/x"), std::path::PathBuf::from("/tmp/x"));
        assert_eq!(p("/tmp/x"), std::path::PathBuf::from("/tmp/x"));
    }
}
