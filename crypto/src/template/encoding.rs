//! Go's `encoding/base64` and `encoding/base32` standard encodings for sprig's `b64*`/`b32*`
//! and the AES functions, with Go's error texts as strings (sprig prints them as the result).

pub use gocompat::base32::encode as b32_encode;
pub use gocompat::base64::encode as b64_encode;

/// `base64.StdEncoding.DecodeString`.
pub fn b64_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    gocompat::base64::decode(src).map_err(|e| e.to_string())
}

/// `base32.StdEncoding.DecodeString`.
pub fn b32_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    gocompat::base32::decode(src).map_err(|e| e.to_string())
}
