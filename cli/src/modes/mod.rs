//! One module per kubeseal mode.

pub mod merge;
pub mod raw;
pub mod reencrypt;
pub mod seal;
pub mod unseal;
pub mod validate;
