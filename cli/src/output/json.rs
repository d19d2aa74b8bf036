//! Go JSON text; shared with the controller (see `sealwright_crypto::gojson`).

pub use sealwright_crypto::gojson::*;
