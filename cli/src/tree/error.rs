//! Errors of `kubeseal reencrypt`. `Display` is the line after `error: `; it names the object
//! and the file, and never carries key material.

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}")]
    NotImplemented(&'static str),
}

impl TreeError {
    pub fn name(&self) -> &'static str {
        match self {
            TreeError::NotImplemented(_) => "not_implemented",
        }
    }
}
