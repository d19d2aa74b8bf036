//! The shapes of `tests/upstream/templates/shapes.go`, checked on our output: outputs that
//! come from the clock or a random source (keys, certificates) cannot be compared by bytes.

mod x509;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Whether `out` has `shape`; the error says why not.
pub fn check(shape: &str, out: &[u8]) -> Result<(), String> {
    let (kind, arg) = shape.split_once(':').unwrap_or((shape, ""));
    match kind {
        "re" => {
            let re =
                regex::bytes::Regex::new(&format!("^(?:{arg})$")).map_err(|e| e.to_string())?;
            re.is_match(out)
                .then_some(())
                .ok_or_else(|| format!("{:?} does not match {arg:?}", String::from_utf8_lossy(out)))
        }
        "bcrypt" => {
            let hash = std::str::from_utf8(out).map_err(|e| e.to_string())?;
            match bcrypt::verify(arg, hash) {
                Ok(true) => Ok(()),
                other => Err(format!(
                    "{hash:?} is not a bcrypt hash of the password: {other:?}"
                )),
            }
        }
        "htpasswd" => {
            let (user, password) = arg.split_once(':').unwrap_or((arg, ""));
            let text = std::str::from_utf8(out).map_err(|e| e.to_string())?;
            match text.split_once(':') {
                Some((u, hash)) if u == user && bcrypt::verify(password, hash).unwrap_or(false) => {
                    Ok(())
                }
                _ => Err(format!(
                    "{text:?} is not {user}:<bcrypt hash of the password>"
                )),
            }
        }
        "clock" => {
            let want = STANDARD.decode(arg).map_err(|e| e.to_string())?;
            (mask_digits(&want) == mask_digits(out))
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "{:?} is not {:?} up to digits",
                        String::from_utf8_lossy(out),
                        String::from_utf8_lossy(&want)
                    )
                })
        }
        "key" => {
            let blocks = x509::pem_blocks(out)?;
            match blocks.as_slice() {
                [block] => x509::check_key(block, arg).map(|_| ()),
                _ => Err(format!("{} PEM blocks, want 1", blocks.len())),
            }
        }
        "x509" => x509::check(arg, out),
        _ => Err(format!("unknown shape {shape:?}")),
    }
}

/// Each run of ASCII digits replaced by one `0`.
fn mask_digits(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for (i, c) in b.iter().enumerate() {
        if !c.is_ascii_digit() {
            out.push(*c);
        } else if i == 0 || !b[i - 1].is_ascii_digit() {
            out.push(b'0');
        }
    }
    out
}
