//! Type errors worded as Go's `encoding/json` words them for upstream (`cannot unmarshal array
//! into Go struct field Secret.stringData of type map[string]string`): they name the field and
//! the expected type, which serde's messages do not.

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
enum Go {
    /// A string kind, with its Go type name (`string`, `types.UID`, `v1.SecretType`).
    Str(&'static str),
    Bool,
    Int64,
    /// `[]byte`: a JSON string (base64, checked elsewhere).
    Bytes,
    /// Types that decode themselves (`metav1.Time`, `FieldsV1`): not checked here.
    Own,
    Map(&'static str, &'static Go),
    Slice(&'static str, &'static Go),
    Struct(&'static str, &'static [(&'static str, Go)]),
}

const OWNER_REFERENCE: &[(&str, Go)] = &[
    ("apiVersion", Go::Str("string")),
    ("kind", Go::Str("string")),
    ("name", Go::Str("string")),
    ("uid", Go::Str("types.UID")),
    ("controller", Go::Bool),
    ("blockOwnerDeletion", Go::Bool),
];

const MANAGED_FIELDS_ENTRY: &[(&str, Go)] = &[
    ("manager", Go::Str("string")),
    ("operation", Go::Str("v1.ManagedFieldsOperationType")),
    ("apiVersion", Go::Str("string")),
    ("time", Go::Own),
    ("fieldsType", Go::Str("string")),
    ("fieldsV1", Go::Own),
    ("subresource", Go::Str("string")),
];

const OBJECT_META: &[(&str, Go)] = &[
    ("name", Go::Str("string")),
    ("generateName", Go::Str("string")),
    ("namespace", Go::Str("string")),
    ("selfLink", Go::Str("string")),
    ("uid", Go::Str("types.UID")),
    ("resourceVersion", Go::Str("string")),
    ("generation", Go::Int64),
    ("creationTimestamp", Go::Own),
    ("deletionTimestamp", Go::Own),
    ("deletionGracePeriodSeconds", Go::Int64),
    ("labels", Go::Map("map[string]string", &Go::Str("string"))),
    (
        "annotations",
        Go::Map("map[string]string", &Go::Str("string")),
    ),
    (
        "ownerReferences",
        Go::Slice(
            "[]v1.OwnerReference",
            &Go::Struct("OwnerReference", OWNER_REFERENCE),
        ),
    ),
    ("finalizers", Go::Slice("[]string", &Go::Str("string"))),
    (
        "managedFields",
        Go::Slice(
            "[]v1.ManagedFieldsEntry",
            &Go::Struct("ManagedFieldsEntry", MANAGED_FIELDS_ENTRY),
        ),
    ),
];

const SECRET: Go = Go::Struct(
    "Secret",
    &[
        ("kind", Go::Str("string")),
        ("apiVersion", Go::Str("string")),
        ("metadata", Go::Struct("ObjectMeta", OBJECT_META)),
        ("immutable", Go::Bool),
        ("data", Go::Map("map[string][]uint8", &Go::Bytes)),
        (
            "stringData",
            Go::Map("map[string]string", &Go::Str("string")),
        ),
        ("type", Go::Str("v1.SecretType")),
    ],
);

/// The first type mismatch in a Secret document, worded as Go's `UnmarshalTypeError`.
pub fn secret_type_error(doc: &Value) -> Option<String> {
    check(doc, SECRET, "", "", "Secret")
}

/// `field` is the dotted path from the document root; `owner` the innermost struct's name.
fn check(v: &Value, ty: Go, field: &str, owner: &str, type_name: &str) -> Option<String> {
    if v.is_null() {
        return None; // null leaves any Go value alone
    }
    let mismatch = |found: String, type_name: &str| {
        Some(format!(
            "cannot unmarshal {found} into Go struct field {owner}.{field} of type {type_name}"
        ))
    };
    match ty {
        Go::Own => None,
        Go::Str(name) => (!v.is_string())
            .then(|| kind(v))
            .and_then(|k| mismatch(k, name)),
        Go::Bytes => (!v.is_string())
            .then(|| kind(v))
            .and_then(|k| mismatch(k, "[]uint8")),
        Go::Bool => (!v.is_boolean())
            .then(|| kind(v))
            .and_then(|k| mismatch(k, "bool")),
        Go::Int64 => match v {
            Value::Number(n) if n.is_i64() => None,
            Value::Number(n) => mismatch(format!("number {n}"), "int64"),
            _ => mismatch(kind(v), "int64"),
        },
        Go::Map(name, elem) => match v {
            Value::Object(m) => m.values().find_map(|item| {
                let elem_name = match elem {
                    Go::Str(n) => n,
                    Go::Bytes => "[]uint8",
                    _ => name,
                };
                check(item, *elem, field, owner, elem_name)
            }),
            _ => mismatch(kind(v), name),
        },
        Go::Slice(name, elem) => match v {
            Value::Array(items) => items.iter().find_map(|item| {
                let elem_name = match elem {
                    Go::Str(n) => n,
                    _ => name,
                };
                check(item, *elem, field, owner, elem_name)
            }),
            _ => mismatch(kind(v), name),
        },
        Go::Struct(name, fields) => match v {
            Value::Object(m) => m.iter().find_map(|(key, item)| {
                let (fname, fty) = fields
                    .iter()
                    .find(|(n, _)| n == key)
                    .or_else(|| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(key)))?;
                let path = if field.is_empty() {
                    (*fname).to_string()
                } else {
                    format!("{field}.{fname}")
                };
                let tname = go_name(*fty);
                check(item, *fty, &path, name, tname)
            }),
            _ if field.is_empty() => None, // the caller words a non-object document
            _ => mismatch(kind(v), type_name),
        },
    }
}

fn go_name(ty: Go) -> &'static str {
    match ty {
        Go::Str(n) | Go::Map(n, _) | Go::Slice(n, _) => n,
        Go::Bool => "bool",
        Go::Int64 => "int64",
        Go::Bytes => "[]uint8",
        Go::Own => "",
        Go::Struct(n, _) => match n {
            "ObjectMeta" => "v1.ObjectMeta",
            "OwnerReference" => "v1.OwnerReference",
            "ManagedFieldsEntry" => "v1.ManagedFieldsEntry",
            _ => n,
        },
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn worded_as_go() {
        let cases = [
            (
                json!({"stringData": [1]}),
                "cannot unmarshal array into Go struct field Secret.stringData of type map[string]string",
            ),
            (
                json!({"metadata": {"name": ["a"]}}),
                "cannot unmarshal array into Go struct field ObjectMeta.metadata.name of type string",
            ),
            (
                json!({"metadata": {"labels": {"a": [1]}}}),
                "cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type string",
            ),
            (
                json!({"immutable": "true"}),
                "cannot unmarshal string into Go struct field Secret.immutable of type bool",
            ),
            (
                json!({"data": {"a": 12}}),
                "cannot unmarshal number into Go struct field Secret.data of type []uint8",
            ),
            (
                json!({"metadata": {"ownerReferences": [{"uid": 1}]}}),
                "cannot unmarshal number into Go struct field OwnerReference.metadata.ownerReferences.uid of type types.UID",
            ),
            (
                json!({"metadata": "x"}),
                "cannot unmarshal string into Go struct field Secret.metadata of type v1.ObjectMeta",
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(secret_type_error(&doc).as_deref(), Some(want), "{doc}");
        }
        assert_eq!(
            secret_type_error(&json!({"metadata": {"name": "a"}, "x": 1})),
            None
        );
    }
}
