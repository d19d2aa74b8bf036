//! What the Secret watch last knew of a Secret, as a pass needs it: enough to tell a Secret that
//! upstream's rules leave deleted from one to create again.

/// A Secret deleted while its SealedSecret existed, that nothing controlled and that was not
/// `managed`: upstream's delete handler leaves it deleted, so a pass racing that deletion must
/// not re-create it either. Holds for the SealedSecret's UID at that generation; a spec change
/// re-creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnownedDeletion {
    pub sealed_uid: String,
    pub generation: Option<i64>,
}

/// What the watch last knew of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastKnown {
    /// Still listed; `left_deleted` as `desired::left_deleted` says of it.
    Live {
        left_deleted: bool,
    },
    DeletedUnowned(UnownedDeletion),
    Unknown,
}

impl LastKnown {
    /// Upstream's Secret delete handler never re-creates a Secret that nothing controls and that
    /// is not `managed`; a pass finding the Secret gone because such a deletion raced it must not
    /// either. The watch tells: it still lists the Secret (the deletion is in flight), or it
    /// recorded the deletion for this SealedSecret (`sealed_uid`) at this `generation`. A spec
    /// change re-creates the Secret, as a restart does (upstream creates a missing Secret then).
    pub fn deleted_unowned(&self, sealed_uid: &str, generation: Option<i64>) -> bool {
        match self {
            Self::Live { left_deleted } => *left_deleted,
            Self::DeletedUnowned(d) => d.sealed_uid == sealed_uid && d.generation == generation,
            Self::Unknown => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_deletion_of_this_object_at_this_generation_holds() {
        let deletion = LastKnown::DeletedUnowned(UnownedDeletion {
            sealed_uid: "u".into(),
            generation: Some(2),
        });
        assert!(deletion.deleted_unowned("u", Some(2)));
        assert!(!deletion.deleted_unowned("u", Some(3)), "spec changed");
        assert!(!deletion.deleted_unowned("v", Some(2)), "another object");
        assert!(LastKnown::Live { left_deleted: true }.deleted_unowned("u", None));
        assert!(
            !LastKnown::Live {
                left_deleted: false
            }
            .deleted_unowned("u", None)
        );
        assert!(!LastKnown::Unknown.deleted_unowned("u", None));
    }
}
