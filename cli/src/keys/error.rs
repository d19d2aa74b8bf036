//! Errors of `kubeseal keys ...`. `Display` is the line after `error: `; it names the object
//! or file and the field, and never carries key material.

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("{0}")]
    NotImplemented(&'static str),
}

impl KeysError {
    pub fn name(&self) -> &'static str {
        match self {
            KeysError::NotImplemented(_) => "not_implemented",
        }
    }
}
