//! The `Synced` condition (upstream `updateSealedSecretsStatusConditions` in [controller.go]), as a
//! pure transition. Unlike upstream, a changed message is always persisted (upstream #853): the
//! status is written when status value, message, observedGeneration or what we record beyond
//! upstream (key fingerprints, restart digest) change.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use sealwright_crypto::model::{SYNCED, SealedSecretCondition, SealedSecretStatus};

/// The new status and whether it must be written.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub status: SealedSecretStatus,
    pub write: bool,
}

/// What a pass records beyond upstream's condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Fingerprints of the keys that opened the object; `None` when none did.
    pub fingerprints: Option<Vec<String>>,
    /// The restart digest (see `digest`); `None` unless the Secret is known up to date.
    pub spec_digest: Option<String>,
    /// The Secret's resourceVersion the digest vouches for.
    pub secret_resource_version: Option<String>,
}

impl Recorded {
    pub fn fingerprints(fps: Option<Vec<String>>) -> Self {
        Self {
            fingerprints: fps,
            ..Default::default()
        }
    }
}

/// The outcome to record: `Ok(recorded)` or `Err((message, recorded))`.
pub type Outcome = Result<Recorded, (String, Recorded)>;

pub fn next_status(
    previous: Option<&SealedSecretStatus>,
    generation: Option<i64>,
    outcome: Outcome,
    now: Time,
) -> StatusChange {
    let mut status = previous.cloned().unwrap_or_default();
    let (value, message, recorded) = match outcome {
        Ok(r) => ("True", None, r),
        Err((msg, r)) => ("False", Some(msg), r),
    };
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let index = match conditions.iter().position(|c| c.type_ == SYNCED) {
        Some(i) => i,
        None => {
            conditions.push(SealedSecretCondition {
                type_: SYNCED.to_string(),
                ..Default::default()
            });
            conditions.len() - 1
        }
    };
    let cond = &mut conditions[index];
    let mut write = false;
    if cond.message != message {
        cond.message = message;
        write = true;
    }
    cond.last_update_time = Some(now.clone());
    if cond.status != value {
        cond.status = value.to_string();
        cond.last_transition_time = Some(now);
        write = true;
    }
    if status.key_fingerprints != recorded.fingerprints {
        status.key_fingerprints = recorded.fingerprints;
        write = true;
    }
    if status.spec_digest != recorded.spec_digest
        || status.secret_resource_version != recorded.secret_resource_version
    {
        status.spec_digest = recorded.spec_digest;
        status.secret_resource_version = recorded.secret_resource_version;
        write = true;
    }
    if status.observed_generation != generation {
        status.observed_generation = generation;
        write = true;
    }
    StatusChange { status, write }
}

/// `condition_info` value: 1 True, −1 False, 0 otherwise.
pub fn condition_gauge_value(status: Option<&SealedSecretStatus>) -> i64 {
    let cond = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == SYNCED));
    match cond.map(|c| c.status.as_str()) {
        Some("True") => 1,
        Some("False") => -1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    fn t(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).unwrap())
    }

    #[test]
    fn first_success_sets_transition_equal_to_update() {
        let c = next_status(
            None,
            Some(1),
            Ok(Recorded::fingerprints(Some(vec!["SHA256:a".into()]))),
            t(100),
        );
        assert!(c.write);
        let cond = &c.status.conditions.as_ref().unwrap()[0];
        assert_eq!(cond.type_, "Synced");
        assert_eq!(cond.status, "True");
        assert_eq!(cond.message, None);
        assert_eq!(cond.last_update_time, cond.last_transition_time);
        assert_eq!(c.status.observed_generation, Some(1));
        assert_eq!(
            c.status.key_fingerprints,
            Some(vec!["SHA256:a".to_string()])
        );
        assert_eq!(condition_gauge_value(Some(&c.status)), 1);
    }

    #[test]
    fn nothing_new_means_no_write() {
        let first = next_status(None, Some(1), Ok(Recorded::default()), t(100)).status;
        let again = next_status(Some(&first), Some(1), Ok(Recorded::default()), t(200));
        assert!(!again.write);
        let cond = &again.status.conditions.as_ref().unwrap()[0];
        assert_eq!(cond.last_transition_time, Some(t(100)));
        assert_eq!(cond.last_update_time, Some(t(200)));
    }

    #[test]
    fn failure_then_new_message_is_persisted() {
        let ok = next_status(None, Some(1), Ok(Recorded::default()), t(100)).status;
        let bad = next_status(
            Some(&ok),
            Some(1),
            Err((
                "no key could decrypt secret (a)".into(),
                Recorded::default(),
            )),
            t(200),
        );
        assert!(bad.write);
        let cond = &bad.status.conditions.as_ref().unwrap()[0];
        assert_eq!(cond.status, "False");
        assert_eq!(cond.last_transition_time, Some(t(200)));
        assert_eq!(condition_gauge_value(Some(&bad.status)), -1);
        // Same status value, same generation, different message: upstream skips this write.
        let other = next_status(
            Some(&bad.status),
            Some(1),
            Err((
                "no key could decrypt secret (b)".into(),
                Recorded::default(),
            )),
            t(300),
        );
        assert!(other.write);
        let cond = &other.status.conditions.as_ref().unwrap()[0];
        assert_eq!(
            cond.message.as_deref(),
            Some("no key could decrypt secret (b)")
        );
        assert_eq!(cond.last_transition_time, Some(t(200)));
    }

    #[test]
    fn generation_change_is_written() {
        let ok = next_status(None, Some(1), Ok(Recorded::default()), t(100)).status;
        let c = next_status(Some(&ok), Some(2), Ok(Recorded::default()), t(200));
        assert!(c.write);
        assert_eq!(c.status.observed_generation, Some(2));
    }

    #[test]
    fn other_conditions_are_kept() {
        let prev = SealedSecretStatus {
            conditions: Some(vec![SealedSecretCondition {
                type_: "Other".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let c = next_status(Some(&prev), Some(1), Ok(Recorded::default()), t(1));
        assert_eq!(c.status.conditions.as_ref().unwrap().len(), 2);
        assert_eq!(condition_gauge_value(None), 0);
    }

    #[test]
    fn digest_change_is_written_and_failure_clears_it() {
        let ok = next_status(None, Some(1), Ok(Recorded::default()), t(100)).status;
        let rec = Recorded {
            fingerprints: Some(vec!["SHA256:a".into()]),
            spec_digest: Some("sha256:00;keys=SHA256:a".into()),
            secret_resource_version: Some("7".into()),
        };
        let c = next_status(Some(&ok), Some(1), Ok(rec.clone()), t(200));
        assert!(c.write);
        assert_eq!(c.status.secret_resource_version.as_deref(), Some("7"));
        assert!(!next_status(Some(&c.status), Some(1), Ok(rec), t(300)).write);
        let bad = next_status(
            Some(&c.status),
            Some(1),
            Err(("x".into(), Recorded::default())),
            t(400),
        );
        assert_eq!(bad.status.spec_digest, None);
        assert_eq!(bad.status.secret_resource_version, None);
    }
}
