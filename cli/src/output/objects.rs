//! Objects in Go field order; shared with the controller (see `sealwright_crypto::goobject`).

pub use sealwright_crypto::goobject::*;
