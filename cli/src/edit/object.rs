//! Reading a file and picking the one SealedSecret a command works on (`--name` when the file
//! holds several).

use std::path::Path;

use sealwright_crypto::SealedSecret;
use serde_yaml::Value;

use super::error::EditError;
use crate::gofmt::go_errno_text;
use crate::input;
use crate::tree::document::{self, Document, Place, Syntax};
use crate::tree::process::object_name;

#[derive(Debug)]
pub struct Loaded {
    pub shown: String,
    pub bytes: Vec<u8>,
    pub syntax: Syntax,
    pub docs: Vec<Document>,
    pub place: Place,
    pub ss: SealedSecret,
    /// `SealedSecret ns/name`, for messages.
    pub object: String,
}

pub fn load(path: &Path, name: Option<&str>) -> Result<Loaded, EditError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| EditError::Read {
        path: shown.clone(),
        reason: go_errno_text(&e),
    })?;
    let (syntax, docs) = document::parse(&bytes).map_err(|e| EditError::Syntax {
        path: shown.clone(),
        syntax: match e.syntax {
            Syntax::Yaml => "YAML",
            Syntax::Json => "JSON",
        },
        reason: e.reason,
    })?;
    let found = document::sealed_secrets(&docs);
    let name_of = |v: &Value| {
        v.get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let chosen: Vec<&(Place, &Value)> = found
        .iter()
        .filter(|(_, v)| name.is_none_or(|n| name_of(v) == n))
        .collect();
    let (place, raw) = match chosen.as_slice() {
        [one] => (one.0, one.1),
        [] if found.is_empty() => return Err(EditError::NoSealedSecret { path: shown }),
        [] => {
            return Err(EditError::NoSuchName {
                path: shown,
                name: name.unwrap_or_default().to_string(),
            });
        }
        many => {
            let names: Vec<String> = many.iter().map(|(_, v)| name_of(v)).collect();
            return Err(EditError::Ambiguous {
                path: shown,
                count: many.len(),
                names: names.join(", "),
            });
        }
    };
    let object = object_name(raw);
    let ss = serde_json::to_value(raw)
        .map_err(|e| e.to_string())
        .and_then(|v| input::sealed_secret_lenient(v).map_err(|e| e.to_string()))
        .map_err(|reason| EditError::Object {
            path: shown.clone(),
            object: object.clone(),
            reason: format!("not a readable SealedSecret: {reason}"),
        })?;
    if ss.spec.data.is_some() {
        return Err(EditError::Object {
            path: shown,
            object,
            reason: crate::tree::reseal::LEGACY_DATA.to_string(),
        });
    }
    Ok(Loaded {
        shown,
        bytes,
        syntax,
        docs,
        place,
        ss,
        object,
    })
}
