//! Go's `encoding/base64` standard encoding (`base64.StdEncoding`): standard alphabet, `=`
//! padding required, `\r` and `\n` skipped anywhere, non-canonical trailing bits accepted.
//! Errors carry Go's text (`illegal base64 data at input byte N`).

/// A decoding failure at a byte offset of the input, as Go's `CorruptInputError` reports it.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error("illegal base64 data at input byte {0}")]
pub struct Base64Error(pub usize);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `StdEncoding.EncodeToString`: standard padded base64.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const INVALID: u8 = 0xff;

fn sextet(c: u8) -> u8 {
    match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => INVALID,
    }
}

fn is_newline(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// Decodes like Go's `StdEncoding.DecodeString`; on error nothing decoded is returned.
pub fn decode(src: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let (next, quantum) = decode_quantum(src, si)?;
        let Some((bytes, len)) = quantum else {
            return Ok(out);
        };
        out.extend_from_slice(&bytes[..len]);
        si = next;
        if len < 3 {
            // Padding ends the input (trailing garbage was already rejected).
            return Ok(out);
        }
    }
}

/// One group of four symbols starting at `si`: the next offset and the decoded bytes, or `None`
/// at a clean end of input.
#[allow(clippy::type_complexity)]
fn decode_quantum(
    src: &[u8],
    mut si: usize,
) -> Result<(usize, Option<([u8; 3], usize)>), Base64Error> {
    let mut buf = [0u8; 4];
    let mut j = 0;
    let mut symbols = 4;
    while j < 4 {
        let Some(&c) = src.get(si) else {
            // Input ended inside a quantum: padding was required.
            return if j == 0 {
                Ok((si, None))
            } else {
                Err(Base64Error(si - j))
            };
        };
        si += 1;
        let v = sextet(c);
        if v != INVALID {
            buf[j] = v;
            j += 1;
            continue;
        }
        if is_newline(c) {
            continue;
        }
        if c != b'=' || j < 2 {
            return Err(Base64Error(si - 1));
        }
        if j == 2 {
            // A second `=` must follow (newlines allowed in between).
            while si < src.len() && is_newline(src[si]) {
                si += 1;
            }
            match src.get(si) {
                None => return Err(Base64Error(src.len())),
                Some(&b'=') => si += 1,
                Some(_) => return Err(Base64Error(si - 1)),
            }
        }
        while si < src.len() && is_newline(src[si]) {
            si += 1;
        }
        if si < src.len() {
            return Err(Base64Error(si));
        }
        symbols = j;
        break;
    }
    let val = (u32::from(buf[0]) << 18)
        | (u32::from(buf[1]) << 12)
        | (u32::from(buf[2]) << 6)
        | u32::from(buf[3]);
    let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
    Ok((si, Some((bytes, symbols - 1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_newlines() {
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37) as u8).collect();
            let text = encode(&data);
            assert_eq!(decode(text.as_bytes()), Ok(data.clone()));
            let wrapped: String = text.chars().flat_map(|c| [c, '\n']).collect();
            assert_eq!(decode(format!("\r\n{wrapped}").as_bytes()), Ok(data));
        }
    }

    #[test]
    fn go_error_offsets() {
        // Offsets as Go's StdEncoding reports them.
        assert_eq!(decode(b"YmFy_"), Err(Base64Error(4)));
        assert_eq!(decode(b"Ym-y"), Err(Base64Error(2)));
        assert_eq!(decode(b"YmE"), Err(Base64Error(0)));
        assert_eq!(decode(b"YmFyY"), Err(Base64Error(4)));
        assert_eq!(decode(b"YQ="), Err(Base64Error(3)));
        assert_eq!(decode(b"YQ=x"), Err(Base64Error(2)));
        assert_eq!(decode(b"YQ==YQ=="), Err(Base64Error(4)));
        assert_eq!(decode(b"Y==="), Err(Base64Error(1)));
        assert_eq!(decode(b"YQ=="), Ok(b"a".to_vec()));
        assert_eq!(decode(b"YWI="), Ok(b"ab".to_vec()));
        assert_eq!(
            decode(b"YR=="),
            Ok(b"a".to_vec()),
            "non-canonical bits accepted"
        );
        assert_eq!(decode(b""), Ok(vec![]));
    }
}
