//! Reading object streams the way kubeseal does (`yaml.NewYAMLOrJSONDecoder`): a JSON stream
//! when the input starts with `{`, otherwise YAML documents separated by `---` lines. Each
//! document is decoded without checking `kind`; all-empty documents are skipped.

use std::io::Read;

use k8s_openapi::api::core::v1::Secret;
use sealwright_crypto::SealedSecret;
use serde_json::Value;

use crate::error::CliError;

mod gotypes;
mod target;
pub(crate) mod yaml11;
mod yaml_tree;

use target::Target;

/// The documents of a SealedSecret stream, as JSON values; empty documents (`null`, `{}`) are
/// dropped. YAML is read with the SealedSecret's field types (see [`target`]).
pub fn documents(bytes: &[u8]) -> Result<Vec<Value>, CliError> {
    documents_as(bytes, target::SEALED_SECRET, None)
}

/// A JSON document that Go's `encoding/json` would refuse for the target type: the message.
type StrictCheck = fn(&Value) -> Option<String>;

fn documents_as(
    bytes: &[u8],
    target: Target,
    strict: Option<StrictCheck>,
) -> Result<Vec<Value>, CliError> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let docs = match start.map(|i| bytes[i]) {
        None => Vec::new(),
        Some(b'{') => json_stream(bytes, target, strict)?,
        Some(_) => yaml_stream(bytes, target)?,
    };
    Ok(docs.into_iter().filter(|d| !is_empty_document(d)).collect())
}

fn is_empty_document(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// A JSON stream as the Kubernetes stream decoder reads it: object after object with Go's
/// strict `encoding/json`; when the first or second object does not fit the Go type (a number
/// where a string belongs), the decoder gives up on JSON and reads the rest of the input as
/// YAML, where such values become their text, and only the first object of that rest is
/// seen. From the third object on, a misfit is an error.
fn json_stream(
    bytes: &[u8],
    target: Target,
    strict: Option<StrictCheck>,
) -> Result<Vec<Value>, CliError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        let Some(item) = stream.next() else {
            break;
        };
        let value = item.map_err(|e| CliError::Input(format!("invalid JSON input: {e}")))?;
        let n = out.len() + 1;
        let misfit = strict.and_then(|check| value.is_object().then(|| check(&value)).flatten());
        let Some(message) = misfit else {
            let converted = target::to_json(&yaml_tree::from_json(&value), target)
                .map_err(|e| CliError::Input(format!("document {n}: {e}")))?;
            out.push(converted);
            continue;
        };
        if out.len() > 1 {
            // Upstream's words for this one (`encoding/json`'s, with its prefix).
            return Err(CliError::Input(format!("json: {message}")));
        }
        // The YAML reader starts after the whitespace up to the first line break.
        let mut rest = &bytes[start..];
        while let Some((&b, tail)) = rest.split_first() {
            if !b.is_ascii_whitespace() {
                break;
            }
            rest = tail;
            if b == b'\n' {
                break;
            }
        }
        out.extend(yaml_stream(rest, target)?);
        break;
    }
    Ok(out)
}

/// Splits on lines that start with `---` (as the Kubernetes YAML reader does) and parses each
/// part on its own, so one document's syntax cannot leak into the next. Each part is read as
/// go-yaml v2 reads it (YAML 1.1 scalars) and converted for the Go type `target`.
fn yaml_stream(bytes: &[u8], target: Target) -> Result<Vec<Value>, CliError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| CliError::Input("invalid YAML input: the stream is not valid UTF-8".into()))?;
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |doc: &mut String, out: &mut Vec<Value>| -> Result<(), CliError> {
        if !doc.trim().is_empty() {
            let n = out.len() + 1;
            let node = yaml_tree::parse_document(doc)
                .map_err(|e| CliError::Input(format!("invalid YAML input: {}", one_line(&e))))?;
            // Upstream silently skips a document whose keys JSON cannot hold (null, above
            // int64); dropping a Secret without a word is worse than stopping, so we stop.
            let v = target::to_json(&node, target)
                .map_err(|e| CliError::Input(format!("document {n}: {e}")))?;
            out.push(v);
        }
        doc.clear();
        Ok(())
    };
    for line in text.split_inclusive('\n') {
        let Some(rest) = line.strip_prefix("---") else {
            current.push_str(line);
            continue;
        };
        // Only a comment may follow the separator. Upstream then drops the document before it
        // without a word; we stop with the reader's message.
        let rest = rest.trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(CliError::Input(format!(
                "invalid YAML input: invalid Yaml document separator: {rest}"
            )));
        }
        flush(&mut current, &mut out)?;
    }
    flush(&mut current, &mut out)?;
    Ok(out)
}

/// serde quotes the offending value (`invalid type: string "…"`); a Secret's values are
/// secrets, so anything quoted is dropped from the message.
fn redact_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut open: Option<char> = None;
    for c in s.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    open = Some(c);
                }
            }
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Go's `encoding/json` matches field names case-insensitively; fold the names that matter
/// onto their canonical spelling so that `Metadata:` or `stringdata:` work as upstream.
fn fold_keys(v: &mut Value, canonical: &[&str]) {
    if let Value::Object(map) = v {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            if canonical.contains(&key.as_str()) {
                continue;
            }
            if let Some(&c) = canonical.iter().find(|c| c.eq_ignore_ascii_case(&key))
                && !map.contains_key(c)
                && let Some(val) = map.remove(&key)
            {
                map.insert(c.to_string(), val);
            }
        }
    }
}

const META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Decodes one document as a Secret, ignoring `kind`/`apiVersion` (upstream never checks them).
pub fn secret_from(mut doc: Value, index: usize) -> Result<Secret, CliError> {
    if !doc.is_object() {
        return Err(CliError::Input(format!(
            "document {}: cannot read a Secret from a {}",
            index + 1,
            describe(&doc)
        )));
    }
    // Go's wording names the field and type; serde's would not.
    if let Some(msg) = gotypes::secret_type_error(&doc) {
        return Err(CliError::Input(format!("document {}: {msg}", index + 1)));
    }
    fold_keys(
        &mut doc,
        &[
            "metadata",
            "data",
            "stringData",
            "type",
            "immutable",
            "kind",
            "apiVersion",
        ],
    );
    if let Some(meta) = doc.get_mut("metadata") {
        fold_keys(meta, META_FIELDS);
    }
    if let Some(kind) = doc.get("kind").and_then(Value::as_str)
        && !kind.is_empty()
        && kind != "Secret"
    {
        // Upstream seals any object as if it were a Secret (a ConfigMap's data becomes
        // ciphertext, a List becomes an empty Secret); a document without a kind still goes.
        let hint = if kind.ends_with("List") {
            ": put each Secret in a document of its own, separated by `---`"
        } else {
            ""
        };
        return Err(CliError::Input(format!(
            "document {}: kind {kind} is not a Secret; kubeseal seals Secrets only{hint}",
            index + 1
        )));
    }
    if let Value::Object(map) = &mut doc {
        // k8s-openapi insists on the Secret's own kind; upstream does not look.
        map.remove("kind");
        map.remove("apiVersion");
        // Go's base64 decoder skips line breaks inside `data` values.
        if let Some(Value::Object(data)) = map.get_mut("data") {
            for (key, v) in data.iter_mut() {
                if let Value::String(s) = v {
                    if s.contains(['\n', '\r']) {
                        *s = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
                    }
                    // Re-encoded canonically (zero trailing bits), which the strict decoder
                    // behind the Secret type accepts.
                    match gocompat::base64::decode(s.as_bytes()) {
                        Ok(bytes) => *s = gocompat::base64::encode(&bytes),
                        Err(e) => {
                            return Err(CliError::Input(format!(
                                "document {}: data.{key}: {e}",
                                index + 1
                            )));
                        }
                    }
                }
            }
        }
    }
    serde_json::from_value::<Secret>(doc).map_err(|e| {
        CliError::Input(format!(
            "document {}: cannot read a Secret: {}",
            index + 1,
            redact_quoted(&one_line(&e.to_string()))
        ))
    })
}

/// All Secrets in a stream, in order.
pub fn read_secrets(bytes: &[u8]) -> Result<Vec<Secret>, CliError> {
    documents_as(bytes, target::SECRET, Some(gotypes::secret_type_error))?
        .into_iter()
        .enumerate()
        .map(|(i, d)| secret_from(d, i))
        .collect()
}

/// Decodes a SealedSecret; `apiVersion` and `kind` must be present and right (the universal
/// decoder's rule for `--merge-into` and `--recovery-unseal`).
pub fn sealed_secret_strict(doc: Value) -> Result<SealedSecret, CliError> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let api_version = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind.is_empty() {
        return Err(CliError::Input(
            "Object 'Kind' is missing in the input".into(),
        ));
    }
    if kind != sealwright_crypto::model::KIND
        || api_version != sealwright_crypto::model::API_VERSION
    {
        return Err(CliError::Input(format!(
            "expected a {} {}, got {} {}",
            sealwright_crypto::model::API_VERSION,
            sealwright_crypto::model::KIND,
            if api_version.is_empty() {
                "<no apiVersion>"
            } else {
                api_version
            },
            kind
        )));
    }
    sealed_secret_lenient(doc)
}

/// Decodes a SealedSecret without looking at `kind`/`apiVersion` (the stream decoder of
/// `--validate` and `--re-encrypt`).
pub fn sealed_secret_lenient(mut doc: Value) -> Result<SealedSecret, CliError> {
    if let Value::Object(map) = &mut doc {
        map.insert(
            "kind".into(),
            Value::String(sealwright_crypto::model::KIND.into()),
        );
        map.insert(
            "apiVersion".into(),
            Value::String(sealwright_crypto::model::API_VERSION.into()),
        );
        // The encryptedData map is lenient upstream: non-string values are dropped.
        if let Some(Value::Object(spec)) = map.get_mut("spec") {
            match spec.get_mut("encryptedData") {
                Some(Value::Object(items)) => items.retain(|_, v| v.is_string()),
                Some(other) => *other = Value::Object(Default::default()),
                None => {}
            }
        }
    } else {
        return Err(CliError::Input(format!(
            "cannot read a SealedSecret from a {}",
            describe(&doc)
        )));
    }
    serde_json::from_value::<SealedSecret>(doc).map_err(|e| {
        CliError::Input(format!(
            "cannot read a SealedSecret: {}",
            one_line(&e.to_string())
        ))
    })
}

/// Exactly one SealedSecret (universal decoder: JSON or YAML, one object).
pub fn one_sealed_secret(bytes: &[u8]) -> Result<SealedSecret, CliError> {
    let mut docs = documents(bytes)?;
    match docs.len() {
        0 => Err(CliError::Input(
            "Object 'Kind' is missing in the input".into(),
        )),
        _ => sealed_secret_strict(docs.remove(0)),
    }
}

/// Reads at most `cap` bytes: `-f /dev/zero` or a runaway pipe is refused instead of growing
/// without bound.
pub fn read_capped(reader: impl Read, cap: u64, what: &str) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| CliError::Io(format!("read {what}: {e}")))?;
    if buf.len() as u64 > cap {
        return Err(CliError::InputTooLarge {
            what: what.to_string(),
            cap,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_multi_doc_with_empty_sections() {
        let input = b"---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n---\n\n---\nmetadata:\n  name: b\n";
        let secrets = read_secrets(input).map_err(|e| e.to_string());
        let names: Vec<_> = secrets
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.metadata.name.unwrap_or_default())
            .collect();
        assert_eq!(names, vec!["a", "b"]);
    }

    #[test]
    fn separators_may_carry_a_comment_only() {
        let doc = |n: &str| format!("metadata:\n  name: {n}\n");
        let input = format!("{}--- # next\n{}", doc("a"), doc("b"));
        let names: Vec<_> = read_secrets(input.as_bytes())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .collect();
        assert_eq!(names, vec!["a", "b"]);
        let input = format!("{}--- !!map\n{}", doc("a"), doc("b"));
        let err = read_secrets(input.as_bytes()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid YAML input: invalid Yaml document separator: !!map")
        );
    }

    #[test]
    fn json_stream_and_case_folding() {
        let input =
            br#"{"Metadata":{"Name":"a"},"stringData":{"k":"v"}} {"metadata":{"name":"b"}}"#;
        let secrets = read_secrets(input)
            .map_err(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets[0].metadata.name.as_deref(), Some("a"));
    }

    #[test]
    fn quoted_values_are_redacted() {
        assert_eq!(
            redact_quoted("invalid type: string \"hunter2\", expected `x` here"),
            "invalid type: string \"…\", expected `…` here"
        );
    }

    #[test]
    fn comments_everywhere_and_crlf() {
        let input = "# head\n--- # marker\n# own line\napiVersion: v1 # c\nkind: Secret\nmetadata: # m\n  name: a # n\n  labels: {x: y, # in flow\n    z: w}\nstringData:\n  # before\n  k: v # after\n  b: | # header\n    line\n# end\n";
        for text in [input.to_string(), input.replace('\n', "\r\n")] {
            let secrets = read_secrets(text.as_bytes()).map_err(|e| e.to_string());
            let Ok(secrets) = secrets else {
                panic!("{secrets:?}")
            };
            let s = &secrets[0];
            assert_eq!(s.metadata.name.as_deref(), Some("a"));
            let data = s.string_data.clone().unwrap_or_default();
            assert_eq!(data.get("k").map(String::as_str), Some("v"));
            assert_eq!(data.get("b").map(String::as_str), Some("line\n"));
        }
    }

    #[test]
    fn value_errors_name_the_key_not_the_value() {
        let input = b"metadata:\n  name: a\nstringData: {port: !!int SUPERSECRETPLAINTEXT}\n";
        let err = read_secrets(input)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("stringData.port"), "{err}");
        assert!(!err.contains("SUPERSECRET"), "{err}");
    }

    #[test]
    fn json_numbers_in_string_fields_become_text() {
        let input = br#"{"metadata":{"name":"a"},"stringData":{"port":5432,"f":1.5e3,"b":true}}"#;
        let secrets = read_secrets(input).unwrap_or_default();
        let data = secrets
            .first()
            .and_then(|s| s.string_data.clone())
            .unwrap_or_default();
        assert_eq!(data.get("port").map(String::as_str), Some("5432"));
        assert_eq!(data.get("f").map(String::as_str), Some("1500"));
        assert_eq!(data.get("b").map(String::as_str), Some("true"));
    }

    #[test]
    fn other_kinds_are_refused_by_name() {
        let err = read_secrets(b"kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("kind ConfigMap is not a Secret"), "{err}");
    }

    #[test]
    fn garbage_is_one_line_error() {
        for input in [
            &b"\x00\xff\xfe garbage"[..],
            b"[1, 2",
            b"{\"data\": {\"k\": \"***\"}}",
            b"just a string",
        ] {
            let err = read_secrets(input)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.is_empty() && !err.contains('\n'), "{err:?}");
        }
    }
}
