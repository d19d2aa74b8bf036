//! The controller's own namespace (upstream `myNamespace`): where keys and the cert ConfigMap live.

pub const SA_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// `POD_NAMESPACE`, else the trimmed service-account namespace file, else `default`.
pub fn resolve(pod_namespace: Option<String>, sa_file: Option<String>) -> String {
    if let Some(ns) = pod_namespace.filter(|s| !s.is_empty()) {
        return ns;
    }
    if let Some(ns) = sa_file
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    {
        return ns;
    }
    "default".to_string()
}

/// `resolve` over the real process environment and file system.
pub fn current() -> String {
    resolve(
        std::env::var("POD_NAMESPACE").ok(),
        std::fs::read_to_string(SA_NAMESPACE_FILE).ok(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_sources() {
        assert_eq!(resolve(Some("a".into()), Some("b".into())), "a");
        assert_eq!(resolve(None, Some(" b\n".into())), "b");
        assert_eq!(resolve(Some(String::new()), None), "default");
        assert_eq!(resolve(None, None), "default");
    }
}
