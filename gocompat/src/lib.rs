//! Go's standard-library rules that Sealed Secrets' output depends on, written once: `strconv`
//! quoting, `ParseBool` and float formatting, `encoding/base64` and `encoding/base32` decoding,
//! `time.Duration` parsing and printing, the DER `encoding/asn1` writes for a common-name
//! subject, and the errno texts Go prints for I/O errors.
//!
//! Its one job is to reproduce Go byte for byte; what a caller wraps around Go's text stays
//! with the caller. It imports no workspace crate, so every other crate can build on it.

pub mod asn1;
pub mod base32;
pub mod base64;
pub mod duration;
pub mod errno;
pub mod strconv;
pub mod utf8;
