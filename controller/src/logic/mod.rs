//! The controller's decisions, as pure functions of their inputs: no client calls, no clock
//! reads, no shared state.

pub mod desired;
pub mod digest;
pub mod drift;
pub mod keyring;
pub mod last_known;
pub mod outcome;
pub mod plan;
pub mod ratelimit;
pub mod renewal;
pub mod status;
