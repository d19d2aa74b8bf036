//! Errors of the rules file. `Display` is one line naming the rules file and the field.

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: cannot read: {reason}")]
    Read { file: String, reason: String },
    /// serde_yaml's message names the field path and the position.
    #[error("{file}: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: {field}: {reason}")]
    Field {
        file: String,
        field: String,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Path { path: String, reason: String },
}

impl RulesError {
    pub fn name(&self) -> &'static str {
        match self {
            RulesError::Read { .. } => "rules_read",
            RulesError::Parse { .. } => "rules_parse",
            RulesError::Field { .. } => "rules_field",
            RulesError::Path { .. } => "rules_path",
        }
    }
}

impl crate::error::CommandError for RulesError {
    fn name(&self) -> &'static str {
        RulesError::name(self)
    }
}
