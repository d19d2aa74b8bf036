//! One problem found in a file, and the rule that found it. Messages name keys, types and
//! lengths, never a value that could be plaintext.

use serde::Serialize;

/// The checks, each with a stable name (the `rule` of a finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A PATH or file that cannot be read.
    Read,
    /// A file that is not YAML or JSON.
    Syntax,
    /// A field of the wrong kind, or a combination the controller refuses.
    Structure,
    /// An `encryptedData` value that is not base64.
    Base64,
    /// A ciphertext whose framing (length prefix, RSA block, AES-GCM part) is broken.
    Ciphertext,
    /// A ciphertext made for a key of another size than the certificate's.
    KeySize,
    /// Scope annotations that are ineffective or disagree.
    Scope,
    /// Names and namespaces Kubernetes refuses, or the template's disagreeing with them.
    Name,
    /// Data keys Kubernetes refuses.
    Key,
    /// A `spec.template.data` value that does not parse as a template.
    Template,
    /// A Secret type Kubernetes refuses, or one lacking its required keys.
    SecretType,
    /// Items that add up to more than a Secret may hold.
    Size,
    /// An item that no `--recovery-private-key` opens.
    Decrypt,
    /// The rules file (`.sealed-secrets.yaml`) or a rule's certificate cannot be read.
    Rules,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Read => "read",
            Rule::Syntax => "syntax",
            Rule::Structure => "structure",
            Rule::Base64 => "base64",
            Rule::Ciphertext => "ciphertext",
            Rule::KeySize => "key-size",
            Rule::Scope => "scope",
            Rule::Name => "name",
            Rule::Key => "key",
            Rule::Template => "template",
            Rule::SecretType => "secret-type",
            Rule::Size => "size",
            Rule::Decrypt => "decrypt",
            Rule::Rules => "rules",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    /// 1-based; 0 when the problem is the file as a whole (it cannot be read).
    pub line: usize,
    /// `SealedSecret ns/name`, empty for a problem with the file itself.
    pub object: String,
    /// Dotted path of the offending field inside the object, empty for the file itself.
    pub field: String,
    pub message: String,
    pub rule: Rule,
}

impl Finding {
    /// A problem with a file as a whole.
    pub fn file(file: &str, line: usize, rule: Rule, message: String) -> Finding {
        Finding {
            file: file.to_string(),
            line,
            object: String::new(),
            field: String::new(),
            message,
            rule,
        }
    }

    /// The text form: `file:line: message`, or `file: message` without a line.
    pub fn text(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A field path for people: dots between parts, a part that holds a dot or slash (an
/// annotation, a key like `tls.crt`) in brackets and quotes.
pub fn field_path(parts: &[String]) -> String {
    let mut out = String::new();
    for part in parts {
        if part.contains(['.', '/']) || part.is_empty() {
            out.push_str(&format!("[{part:?}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_text() {
        let parts: Vec<String> = ["spec", "encryptedData", "tls.crt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(field_path(&parts), "spec.encryptedData[\"tls.crt\"]");
        let f = Finding::file("a.yaml", 3, Rule::Syntax, "bad".into());
        assert_eq!(f.text(), "a.yaml:3: bad");
        let f = Finding::file("missing", 0, Rule::Read, "no such file or directory".into());
        assert_eq!(f.text(), "missing: no such file or directory");
        assert_eq!(Rule::KeySize.name(), "key-size");
        assert_eq!(
            serde_json::to_string(&Rule::SecretType).unwrap_or_default(),
            "\"secret-type\""
        );
    }
}
