//! Kubernetes' name rules (apimachinery `validation`): what the API server refuses. Each check
//! returns the reason in Kubernetes' terms, or `None` when the value is fine.

const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label: lower-case alphanumerics and `-`, alphanumeric at both ends.
fn label_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
        && s.starts_with(is_lower_alnum)
        && s.ends_with(is_lower_alnum)
}

/// RFC 1123 subdomain (object names, Secret names): labels joined by dots, at most 253.
pub fn dns_subdomain(s: &str) -> Option<String> {
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        return Some(format!(
            "must be no more than {DNS1123_SUBDOMAIN_MAX} characters"
        ));
    }
    if !s.split('.').all(label_ok) {
        return Some(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into(),
        );
    }
    None
}

/// RFC 1123 label (namespaces): at most 63, no dots.
pub fn dns_label(s: &str) -> Option<String> {
    if s.len() > DNS1123_LABEL_MAX {
        return Some(format!(
            "must be no more than {DNS1123_LABEL_MAX} characters"
        ));
    }
    if !label_ok(s) {
        return Some(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".into(),
        );
    }
    None
}

/// A key of a Secret's `data` (`IsConfigMapKey`).
pub fn data_key(s: &str) -> Option<String> {
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        return Some(format!(
            "must be no more than {DNS1123_SUBDOMAIN_MAX} characters"
        ));
    }
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Some(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'".into(),
        );
    }
    if s == "." || s == ".." || s.starts_with("..") {
        return Some("must not be '.' or '..', nor start with '..'".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(dns_subdomain("db-creds.v2"), None);
        assert!(dns_subdomain("DB_creds").is_some());
        assert!(dns_subdomain("-x").is_some());
        assert!(dns_subdomain("a..b").is_some());
        assert!(dns_subdomain(&"a".repeat(254)).is_some());
        assert_eq!(dns_label("prod"), None);
        assert!(dns_label("prod.eu").is_some());
        assert!(dns_label(&"a".repeat(64)).is_some());
    }

    #[test]
    fn keys_and_types() {
        for ok in ["tls.crt", ".dockerconfigjson", "A_b-1", ".x"] {
            assert_eq!(data_key(ok), None, "{ok}");
        }
        for bad in ["", ".", "..", "..x", "a/b", "a b", "ключ"] {
            assert!(data_key(bad).is_some(), "{bad}");
        }
    }
}
