//! The semver value type on its own, so that `value` can hold one without importing the
//! semver functions (which import `value`). Its parsing and methods are in `sprig_semver`.

/// A Masterminds `Version`: the value `semver` returns (as a pointer) and its methods
/// return (`Inc*`, `Set*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
    pub original: String,
}
