//! Go's standard-library rules that Sealed Secrets' output depends on, written once: `strconv`
//! quoting, `ParseBool` and float formatting, `encoding/base64` and `encoding/base32` decoding,
//! `time.Duration` parsing and printing, and the errno texts Go prints for I/O errors.
//!
//! Its one job is to reproduce Go byte for byte; what a caller wraps around Go's text stays
//! with the caller. It imports no workspace crate, so every other crate can build on it.

pub mod base32;
pub mod base64;
pub mod duration;
pub mod errno;
pub mod strconv;
pub mod utf8;
