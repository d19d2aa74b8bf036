//! sigs.k8s.io/yaml's YAML→JSON step, which looks at the Go type being decoded into: a number
//! or bool headed for a `string` field becomes its text (`namespace: n` → `"false"`,
//! `k: 0x1F` under `stringData` → `"31"`), while elsewhere it stays a JSON number or bool.
//! Mapping keys always become strings. The Go types are described by [`Target`].

use serde_json::{Map, Number, Value};

use super::yaml_tree::Node;
use super::yaml11::{Scalar, as_go_string, key_string};

/// The shape of the Go type a value is decoded into, as far as the conversion cares.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// `interface{}`, a type with its own JSON decoder, or a field not in the struct.
    Any,
    /// A Go `string` (or a named string type).
    Str,
    /// `[]byte` (base64 in JSON): not a string kind, so numbers are not converted.
    Bytes,
    /// Any other non-string scalar (`bool`, `int64`).
    Other,
    Map(&'static Target),
    Slice(&'static Target),
    Struct(&'static [(&'static str, Target)]),
}

const OWNER_REFERENCE: &[(&str, Target)] = &[
    ("apiVersion", Target::Str),
    ("kind", Target::Str),
    ("name", Target::Str),
    ("uid", Target::Str),
    ("controller", Target::Other),
    ("blockOwnerDeletion", Target::Other),
];

const MANAGED_FIELDS_ENTRY: &[(&str, Target)] = &[
    ("manager", Target::Str),
    ("operation", Target::Str),
    ("apiVersion", Target::Str),
    // metav1.Time and FieldsV1 decode themselves.
    ("time", Target::Any),
    ("fieldsType", Target::Str),
    ("fieldsV1", Target::Any),
    ("subresource", Target::Str),
];

const OBJECT_META: &[(&str, Target)] = &[
    ("name", Target::Str),
    ("generateName", Target::Str),
    ("namespace", Target::Str),
    ("selfLink", Target::Str),
    ("uid", Target::Str),
    ("resourceVersion", Target::Str),
    ("generation", Target::Other),
    ("creationTimestamp", Target::Any),
    ("deletionTimestamp", Target::Any),
    ("deletionGracePeriodSeconds", Target::Other),
    ("labels", Target::Map(&Target::Str)),
    ("annotations", Target::Map(&Target::Str)),
    (
        "ownerReferences",
        Target::Slice(&Target::Struct(OWNER_REFERENCE)),
    ),
    ("finalizers", Target::Slice(&Target::Str)),
    (
        "managedFields",
        Target::Slice(&Target::Struct(MANAGED_FIELDS_ENTRY)),
    ),
];

/// `v1.Secret`.
pub const SECRET: Target = Target::Struct(&[
    ("kind", Target::Str),
    ("apiVersion", Target::Str),
    ("metadata", Target::Struct(OBJECT_META)),
    ("immutable", Target::Other),
    ("data", Target::Map(&Target::Bytes)),
    ("stringData", Target::Map(&Target::Str)),
    ("type", Target::Str),
]);

const SECRET_TEMPLATE_SPEC: &[(&str, Target)] = &[
    ("metadata", Target::Struct(OBJECT_META)),
    ("type", Target::Str),
    ("immutable", Target::Other),
    ("data", Target::Map(&Target::Str)),
];

/// `SealedSecret` (bitnami.com/v1alpha1).
pub const SEALED_SECRET: Target = Target::Struct(&[
    ("kind", Target::Str),
    ("apiVersion", Target::Str),
    ("metadata", Target::Struct(OBJECT_META)),
    (
        "spec",
        Target::Struct(&[
            ("template", Target::Struct(SECRET_TEMPLATE_SPEC)),
            ("data", Target::Bytes),
            ("encryptedData", Target::Map(&Target::Str)),
        ]),
    ),
    ("status", Target::Any),
]);

/// Converts a document; errors name the path of the offending key.
pub fn to_json(node: &Node, target: Target) -> Result<Value, String> {
    convert(node, target, &mut Vec::new())
}

fn convert(node: &Node, target: Target, path: &mut Vec<String>) -> Result<Value, String> {
    match node {
        Node::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Node::Scalar(s) => key_string(s),
                    _ => None,
                }
                .ok_or_else(|| {
                    let at = if path.is_empty() {
                        "the top level".to_string()
                    } else {
                        path.join(".")
                    };
                    format!("unsupported map key {} at {at}", describe_key(k))
                })?;
                let child = match target {
                    Target::Struct(fields) => field(fields, &key),
                    Target::Map(elem) => *elem,
                    _ => Target::Any,
                };
                path.push(key.clone());
                let mut value = convert(v, child, path)?;
                path.pop();
                // Go's decoder stores a null map element as the zero value.
                if matches!(target, Target::Map(_))
                    && value.is_null()
                    && matches!(child, Target::Str | Target::Bytes)
                {
                    value = Value::String(String::new());
                }
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
        Node::Seq(items) => {
            let elem = match target {
                Target::Slice(elem) => *elem,
                _ => Target::Any,
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                let mut value = convert(item, elem, path)?;
                path.pop();
                if matches!(elem, Target::Str) && value.is_null() {
                    value = Value::String(String::new());
                }
                out.push(value);
            }
            Ok(Value::Array(out))
        }
        Node::Scalar(s) => {
            if let Target::Str = target {
                return Ok(as_go_string(s).map_or(Value::Null, Value::String));
            }
            scalar_json(s, path)
        }
    }
}

/// The struct field JSON would pick: an exact name, else a case-insensitive match.
fn field(fields: &[(&str, Target)], key: &str) -> Target {
    fields
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        })
        .map_or(Target::Any, |(_, t)| *t)
}

fn scalar_json(s: &Scalar, path: &[String]) -> Result<Value, String> {
    Ok(match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::Int(i) => Value::Number((*i).into()),
        Scalar::Uint(u) => Value::Number((*u).into()),
        // Go marshals an integral float without a fraction, so it still fits an int field.
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
            Value::Number((*f as i64).into())
        }
        // The value itself is not quoted: it may be a secret.
        Scalar::Float(f) => {
            Value::Number(Number::from_f64(*f).ok_or_else(|| {
                format!("unsupported value (infinity or NaN) at {}", path.join("."))
            })?)
        }
        Scalar::Str(s) => Value::String(s.clone()),
    })
}

fn describe_key(k: &Node) -> String {
    match k {
        Node::Scalar(Scalar::Null) => "null".into(),
        Node::Scalar(Scalar::Uint(u)) => format!("{u} (beyond int64)"),
        Node::Scalar(_) => "scalar".into(),
        Node::Seq(_) => "of type sequence".into(),
        Node::Map(_) => "of type mapping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml_tree::parse_document;
    use super::*;

    fn secret(yaml: &str) -> Result<Value, String> {
        to_json(&parse_document(yaml)?, SECRET)
    }

    #[test]
    fn string_fields_take_the_text() {
        let v = secret(
            "metadata:\n  name: yes\n  namespace: n\n  labels:\n    on: 0x1F\n  generation: 3\nstringData:\n  k: 1.0\n  e: ~\nimmutable: on\ntype: 12\n",
        );
        let v = v.unwrap_or_default();
        assert_eq!(v["metadata"]["name"], "true");
        assert_eq!(v["metadata"]["namespace"], "false");
        assert_eq!(v["metadata"]["labels"]["true"], "31");
        assert_eq!(v["metadata"]["generation"], 3);
        assert_eq!(v["stringData"]["k"], "1");
        assert_eq!(v["stringData"]["e"], "");
        assert_eq!(v["immutable"], true);
        assert_eq!(v["type"], "12");
    }

    #[test]
    fn data_values_are_not_converted() {
        let v = secret("data:\n  k: 12\n").unwrap_or_default();
        assert_eq!(v["data"]["k"], 12);
    }

    #[test]
    fn refused_keys_name_the_place() {
        let err = secret("stringData:\n  ~: v\n").err().unwrap_or_default();
        assert_eq!(err, "unsupported map key null at stringData");
        let err = secret("? [a]\n: v\n").err().unwrap_or_default();
        assert_eq!(err, "unsupported map key of type sequence at the top level");
    }
}
