//! What a pass over a SealedSecret can end in, and the words it reports that with: the error
//! that goes into status and decides about retrying, the Event vocabulary upstream's recorder
//! uses, and the labels of the unseal-error and drift counters. Texts are upstream's.

use std::time::Duration;

use sealwright_crypto::unseal::UnsealError;

pub const REASON_UNSEALED: &str = "Unsealed";
pub const REASON_UNSEAL_FAILED: &str = "ErrUnsealFailed";
pub const REASON_UPDATE_FAILED: &str = "ErrUpdateFailed";
/// Beyond upstream: a Secret found changed by someone else (see `drift`).
pub const REASON_SECRET_DRIFTED: &str = "SecretDrifted";
/// Beyond upstream: repairs of a Secret that keeps drifting are paused for a while.
pub const REASON_SECRET_DRIFT_BACKOFF: &str = "SecretDriftBackoff";
pub const MESSAGE_UNSEALED: &str = "SealedSecret unsealed successfully";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// Why an unseal pass failed, as upstream's `reason` label of
/// `sealed_secrets_controller_unseal_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    Fetch,
    Unseal,
    Update,
    Unmanaged,
    Status,
}

impl ErrorReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::Unseal => "unseal",
            Self::Update => "update",
            Self::Unmanaged => "unmanaged",
            Self::Status => "status",
        }
    }
}

/// What happened to a Secret found drifted from its SealedSecret (beyond upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftAction {
    Repaired,
    Detected,
    /// A repair held back by the per-object backoff.
    Paused,
}

impl DriftAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repaired => "repaired",
            Self::Detected => "detected",
            Self::Paused => "paused",
        }
    }
}

/// Why an unseal did not give a Secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsealFailure {
    #[error(transparent)]
    Unseal(#[from] UnsealError),
    #[error("unsealing took longer than {}s; it is retried with backoff", .0.as_secs())]
    Deadline(Duration),
    #[error("an earlier unseal of this object is still running; it is retried with backoff")]
    Busy,
    /// Only a panic in the crypto or template code gets here.
    #[error("unseal task failed: {0}")]
    Panicked(String),
}

impl UnsealFailure {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unseal(e) => e.name(),
            Self::Deadline(_) => "Deadline",
            Self::Busy => "Busy",
            Self::Panicked(_) => "Panicked",
        }
    }
}

/// Why a pass failed. `Display` is what goes into the status message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReconcileError {
    #[error("{0}")]
    Unseal(#[from] UnsealFailure),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Api(String),
    /// An API error that says nothing about the object (see `error::is_transient`).
    #[error("{0}")]
    Unavailable(String),
    #[error("failed update: Resource \"{0}\" already exists and is not managed by SealedSecret")]
    Unmanaged(String),
    #[error("{0}")]
    Immutable(String),
    #[error("Resource \"{0}\" was deleted and is not managed by SealedSecret; not re-creating it")]
    NotRecreated(String),
}

impl ReconcileError {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unseal(_) => "unseal",
            Self::Malformed(_) => "malformed",
            Self::Api(_) => "api",
            Self::Unavailable(_) => "unavailable",
            Self::Unmanaged(_) => "unmanaged",
            Self::Immutable(_) => "immutable",
            Self::NotRecreated(_) => "not_recreated",
        }
    }

    /// Upstream drops immutable-field errors without retrying; a malformed object cannot get better
    /// by retrying either (its next change re-queues it). Nor can a name taken by a Secret we do not
    /// manage: retrying would only create the Secret once its owner deletes it, which upstream's
    /// re-creation rules say must not happen. The same goes for such a Secret deleted mid-pass.
    pub fn retry(&self) -> bool {
        !matches!(
            self,
            Self::Immutable(_) | Self::Malformed(_) | Self::Unmanaged(_) | Self::NotRecreated(_)
        )
    }

    /// Beyond upstream: the API server was away, not the object at fault. Such failures do not
    /// count against `--max-unseal-retries`, so an API server restart does not leave objects
    /// without their Secret until their next change.
    pub fn transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// `Unavailable` instead of `Api` when the API error behind it was `transient`.
    pub fn unavailable_if(self, transient: bool) -> Self {
        match self {
            Self::Api(m) if transient => Self::Unavailable(m),
            other => other,
        }
    }
}

/// The text upstream puts in the event and status when updating an immutable Secret.
pub fn immutable_message(namespace: &str, name: &str) -> String {
    format!(
        "Error updating {namespace}/{name}: the target Secret is immutable. Once a Secret is marked as immutable, it is not possible to revert this change nor to mutate the contents of the data field. You can only delete and recreate the Secret."
    )
}

/// An update error caused by the Secret being immutable.
pub fn is_immutable_error(message: &str) -> bool {
    message.ends_with("field is immutable when `immutable` is set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_upstream() {
        assert_eq!(
            ReconcileError::Unmanaged("foo".into()).to_string(),
            "failed update: Resource \"foo\" already exists and is not managed by SealedSecret"
        );
        assert!(
            immutable_message("ns", "s")
                .starts_with("Error updating ns/s: the target Secret is immutable.")
        );
        assert!(is_immutable_error(
            "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
        ));
        assert!(!ReconcileError::Immutable(String::new()).retry());
        assert!(!ReconcileError::NotRecreated(String::new()).retry());
        assert_eq!(
            ReconcileError::NotRecreated("foo".into()).to_string(),
            "Resource \"foo\" was deleted and is not managed by SealedSecret; not re-creating it"
        );
        assert!(ReconcileError::Api(String::new()).retry());
    }
}
