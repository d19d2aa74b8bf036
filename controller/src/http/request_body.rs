//! A SealedSecret posted to `/v1/verify` or `/v1/rotate`, read as upstream's controller reads it
//! (client-go's universal decoder, plus `EnsureNotMultiDoc` for verify), so that the same body
//! gets the same answer from either controller:
//! - a body whose first non-blank byte is `{` is JSON: exactly one value, case-sensitive field
//!   names, invalid UTF-8 inside strings replaced rather than refused;
//! - anything else is YAML, of which only the first document counts;
//! - for verify, every body (JSON too) is first read as YAML, as `EnsureNotMultiDoc` does: when
//!   its first document is not YAML, yaml.v2 panics on the second read and Go's server closes
//!   the connection without an answer, which verify repeats (`Unreadable`), unless yaml.v2
//!   refused the body before the stream started (`yaml_reader`), which it survives; a body is
//!   multi-document when a second document exists that yaml.v2 can decode into a struct (a
//!   mapping or an empty document);
//! - Go field types are enforced where our model is lenient for the watch (`null` is Go's zero
//!   value), except in `spec.encryptedData`, which upstream reads without ever failing: an item
//!   that is not a string is "" and a value that is not an object is empty.

use serde_json::{Map, Value};

use sealwright_crypto::SealedSecret;

use crate::http::yaml_reader;
use sealwright_crypto::model::{API_VERSION, KIND};
use sealwright_crypto::yaml::{self, YamlError};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("Multistream YAML not supported yet")]
    MultiDocument,
    #[error("the body is not YAML")]
    Unreadable,
    #[error("cannot decode the body: {0}")]
    Syntax(String),
    #[error("unexpected resource type: {0}")]
    WrongType(String),
    #[error("cannot decode field {field}: {reason}")]
    Field { field: &'static str, reason: String },
}

impl DecodeError {
    pub fn name(&self) -> &'static str {
        match self {
            DecodeError::MultiDocument => "MultiDocument",
            DecodeError::Unreadable => "Unreadable",
            DecodeError::Syntax(_) => "Syntax",
            DecodeError::WrongType(_) => "WrongType",
            DecodeError::Field { .. } => "Field",
        }
    }
}

/// Decodes a posted SealedSecret. `single` refuses multi-document bodies, as `/v1/verify` does.
pub fn decode_sealed_secret(body: &[u8], single: bool) -> Result<SealedSecret, DecodeError> {
    if single {
        if !first_document_is_yaml(body) && !yaml_reader::rejected_at_start(body) {
            return Err(DecodeError::Unreadable);
        }
        if is_multi_document_yaml(body) {
            return Err(DecodeError::MultiDocument);
        }
    }
    let doc = if looks_like_json(body) {
        // Go's decoder replaces invalid UTF-8 in strings; outside strings it is a syntax error
        // either way.
        let text = String::from_utf8_lossy(body);
        serde_json::from_str::<Value>(&text).map_err(|e| DecodeError::Syntax(e.to_string()))?
    } else {
        first_yaml_document(body)?
    };
    let Value::Object(mut doc) = doc else {
        return Err(DecodeError::Syntax("not an object".into()));
    };
    let text_field = |doc: &Map<String, Value>, name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (api_version, kind) = (text_field(&doc, "apiVersion"), text_field(&doc, "kind"));
    if api_version != API_VERSION || kind != KIND {
        return Err(DecodeError::WrongType(format!(
            "{api_version}, Kind={kind}"
        )));
    }
    go_zero_values(&mut doc)?;
    serde_json::from_value(Value::Object(doc)).map_err(|e| DecodeError::Syntax(e.to_string()))
}

/// client-go's test for JSON (`IsJSONBuffer`).
fn looks_like_json(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Whether the first document parses as YAML at all (any shape will do: yaml.v2 decodes it into
/// `struct{}`, where only a syntax error fails).
fn first_document_is_yaml(body: &[u8]) -> bool {
    yaml::contain(|| match serde_yaml::Deserializer::from_slice(body).next() {
        None => true,
        Some(first) => <serde::de::IgnoredAny as serde::Deserialize>::deserialize(first).is_ok(),
    })
    .unwrap_or(false)
}

/// yaml.v2's reading in `EnsureNotMultiDoc`: decode the first document (any error ignored),
/// then the body is multi-document when a second one decodes into `struct{}` without error.
/// A parser failure here is not multi-document: the first-document read then reports it.
fn is_multi_document_yaml(body: &[u8]) -> bool {
    yaml::contain(|| {
        let mut docs = serde_yaml::Deserializer::from_slice(body);
        if docs.next().is_none() {
            return false;
        }
        let Some(second) = docs.next() else {
            return false;
        };
        matches!(
            serde::Deserialize::deserialize(second),
            Ok(serde_yaml::Value::Mapping(_) | serde_yaml::Value::Null)
        )
    })
    .unwrap_or(false)
}

/// The first YAML document as JSON, as client-go's YAML-to-JSON step reads it.
fn first_yaml_document(body: &[u8]) -> Result<Value, DecodeError> {
    yaml::contain(|| {
        let first = serde_yaml::Deserializer::from_slice(body)
            .next()
            .ok_or_else(|| YamlError::Syntax("empty body".into()))?;
        serde::Deserialize::deserialize(first)
            .map_err(|e: serde_yaml::Error| YamlError::Syntax(e.to_string()))
    })
    .and_then(|parsed| parsed)
    .map_err(|e| DecodeError::Syntax(e.to_string()))
}

/// Go's `encoding/json` into the SealedSecret types: `null` leaves a field at its zero value,
/// and a value of the wrong type is an error. Only the fields our model reads more leniently than
/// Go are checked here; serde checks the rest.
fn go_zero_values(doc: &mut Map<String, Value>) -> Result<(), DecodeError> {
    for field in ["metadata", "spec"] {
        if doc.get(field).is_none_or(Value::is_null) {
            doc.insert(field.into(), Value::Object(Map::new()));
        }
    }
    if doc.get("status").is_some_and(Value::is_null) {
        doc.remove("status");
    }
    null_labels_are_empty(doc.get_mut("metadata"));
    let Some(Value::Object(spec)) = doc.get_mut("spec") else {
        return Err(field_error("spec", "not an object"));
    };
    for field in ["template", "data"] {
        if spec.get(field).is_some_and(Value::is_null) {
            spec.remove(field);
        }
    }
    // Upstream's `SealedSecretEncryptedData` decodes itself into `map[string]string` and drops
    // the error, so nothing here fails the request: an item that is not a string keeps its key
    // with the value "" (Go's zero value), and anything but an object is an empty map.
    match spec.get_mut("encryptedData") {
        None => {}
        Some(Value::Object(items)) => {
            for value in items.values_mut() {
                if !value.is_string() {
                    *value = Value::String(String::new());
                }
            }
        }
        Some(other) => *other = Value::Object(Map::new()),
    }
    let Some(template) = spec.get_mut("template") else {
        return Ok(());
    };
    let Value::Object(template) = template else {
        return Err(field_error("spec.template", "not an object"));
    };
    for field in ["metadata", "type", "immutable"] {
        if template.get(field).is_some_and(Value::is_null) {
            template.remove(field);
        }
    }
    null_labels_are_empty(template.get_mut("metadata"));
    // map[string]*string: a null item is kept by Go (it deletes the key when rendering). No
    // answer renders templates, and ours only ever copies strings back.
    match template.get_mut("data") {
        None => {}
        Some(Value::Null) => {
            template.remove("data");
        }
        Some(Value::Object(items)) => {
            if items.values().any(|v| !v.is_string() && !v.is_null()) {
                return Err(field_error("spec.template.data", "not a string"));
            }
            items.retain(|_, v| v.is_string());
        }
        Some(_) => return Err(field_error("spec.template.data", "not an object")),
    }
    Ok(())
}

/// Labels and annotations are `map[string]string` in Go: a `null` value is "" (a YAML `key:`
/// with nothing after it is one).
fn null_labels_are_empty(metadata: Option<&mut Value>) {
    let Some(Value::Object(metadata)) = metadata else {
        return;
    };
    for field in ["labels", "annotations"] {
        if let Some(Value::Object(items)) = metadata.get_mut(field) {
            for value in items.values_mut().filter(|v| v.is_null()) {
                *value = Value::String(String::new());
            }
        }
    }
}

fn field_error(field: &'static str, reason: &str) -> DecodeError {
    DecodeError::Field {
        field,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &[u8] = br#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"a","namespace":"n"},"spec":{"encryptedData":{"k":"AAAA"}}}"#;
    const YAML: &[u8] = b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\nspec:\n  encryptedData: {}\n";

    #[test]
    fn decodes_json_and_yaml() {
        let ss = decode_sealed_secret(JSON, true).unwrap();
        assert_eq!(ss.metadata.name.as_deref(), Some("a"));
        assert!(decode_sealed_secret(YAML, true).is_ok());
        let secret = br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}"#;
        assert!(matches!(
            decode_sealed_secret(secret, true),
            Err(DecodeError::WrongType(_))
        ));
        // Not YAML: verify closes the connection; rotate reads it as JSON and fails.
        for body in [&b"{"[..], b"{\"a\": ["] {
            assert_eq!(
                decode_sealed_secret(body, true).unwrap_err(),
                DecodeError::Unreadable,
                "{body:?}"
            );
        }
        assert!(matches!(
            decode_sealed_secret(b"{", false),
            Err(DecodeError::Syntax(_))
        ));
        // Refused before the stream starts: yaml.v2 survives that, so it is a plain error.
        for body in [&b"\x00\x01"[..], b"a: \xff"] {
            assert!(matches!(
                decode_sealed_secret(body, true),
                Err(DecodeError::Syntax(_))
            ));
        }
        assert!(decode_sealed_secret(b"", false).is_err());
    }

    #[test]
    fn multi_document_as_yaml_v2_sees_it() {
        let two = [YAML, b"---\n", YAML].concat();
        assert_eq!(
            decode_sealed_secret(&two, true).unwrap_err(),
            DecodeError::MultiDocument
        );
        // Rotate reads the first document only.
        assert!(decode_sealed_secret(&two, false).is_ok());
        // A trailing empty document counts (it decodes into a struct) ...
        let trailing = [YAML, b"---\n"].concat();
        assert_eq!(
            decode_sealed_secret(&trailing, true).unwrap_err(),
            DecodeError::MultiDocument
        );
        // ... a scalar or a list does not.
        for second in [&b"---\nhello\n"[..], b"---\n- 1\n"] {
            let body = [YAML, second].concat();
            assert!(decode_sealed_secret(&body, true).is_ok(), "{second:?}");
        }
        // JSON is one value; two are a syntax error for both endpoints.
        let two_json = [JSON, JSON].concat();
        for single in [true, false] {
            assert!(matches!(
                decode_sealed_secret(&two_json, single),
                Err(DecodeError::Syntax(_))
            ));
        }
        // JSON is YAML too: verify refuses two JSON documents as upstream does.
        let json_stream = [JSON, b"\n---\n", JSON].concat();
        assert_eq!(
            decode_sealed_secret(&json_stream, true).unwrap_err(),
            DecodeError::MultiDocument
        );
    }

    #[test]
    fn go_zero_values_and_types() {
        let with_spec = |spec: &str| {
            format!(
                r#"{{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{{"name":"a"}},"spec":{spec}}}"#
            )
        };
        let ok = |spec: &str| decode_sealed_secret(with_spec(spec).as_bytes(), true);
        assert!(ok("null").is_ok());
        assert!(
            decode_sealed_secret(
                br#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret"}"#,
                true
            )
            .is_ok()
        );
        let ss = ok(r#"{"encryptedData":{"k":null}}"#).unwrap();
        assert_eq!(ss.spec.encrypted_data["k"], "");
        for item in ["1", "[]", "{}", "true", r#"{"a":"b"}"#] {
            let ss = ok(&format!(r#"{{"encryptedData":{{"k":{item},"j":"AA"}}}}"#)).unwrap();
            assert_eq!(ss.spec.encrypted_data["k"], "", "{item}");
            assert_eq!(ss.spec.encrypted_data["j"], "AA", "{item}");
        }
        for items in ["[]", "1", r#""x""#, "null", "{}"] {
            let ss = ok(&format!(r#"{{"encryptedData":{items}}}"#)).unwrap();
            assert!(ss.spec.encrypted_data.is_empty(), "{items}");
        }
        let ss = decode_sealed_secret(
            b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  labels:\n    app:\nspec:\n  template:\n    metadata:\n      annotations:\n        a:\n",
            true,
        )
        .unwrap();
        assert_eq!(ss.metadata.labels.unwrap()["app"], "");
        let template_meta = ss.spec.template.metadata.unwrap();
        assert_eq!(template_meta.annotations.unwrap()["a"], "");
        let ss = ok(r#"{"template":{"data":{"a":"x","b":null}}}"#).unwrap();
        assert_eq!(ss.spec.template.data.unwrap().len(), 1);
        assert!(ok(r#"{"template":{"data":{"a":true}}}"#).is_err());
        assert!(ok(r#""x""#).is_err());
        // Invalid UTF-8 inside a string is replaced, as Go's JSON decoder does; for verify
        // only within yaml.v2's first chunk (any later and yaml.v2 breaks first).
        let mut body = with_spec(r#"{"encryptedData":{"k":"AA"}}"#).into_bytes();
        let at = body.windows(2).position(|w| w == b"AA").unwrap();
        body[at] = 0xff;
        for single in [true, false] {
            let ss = decode_sealed_secret(&body, single).unwrap();
            assert_eq!(ss.spec.encrypted_data["k"], "\u{fffd}A");
        }
        let long = format!(
            r#"{{"encryptedData":{{"k":"AA"}},"x":"{}"}}"#,
            "y".repeat(600)
        );
        let mut body = with_spec(&long).into_bytes();
        let last = body.len() - 5;
        body[last] = 0xff;
        assert!(decode_sealed_secret(&body, false).is_ok());
        assert_eq!(
            decode_sealed_secret(&body, true).unwrap_err(),
            DecodeError::Unreadable
        );
    }
}
