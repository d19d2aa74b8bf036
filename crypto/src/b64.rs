//! Base64 exactly as Go's `base64.StdEncoding` reads and writes it: standard alphabet, `=`
//! padding required, `\r` and `\n` skipped anywhere, non-canonical trailing bits accepted.
//! Errors carry Go's text (`illegal base64 data at input byte N`) so messages match upstream.

pub use gocompat::base64::{Base64Error, decode, encode};
