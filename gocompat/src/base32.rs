//! Go's `encoding/base32` standard encoding (`base32.StdEncoding`), with the exact offsets of
//! `illegal base32 data at input byte N`.

/// A decoding failure at a byte offset of the input (after line breaks are removed), as Go's
/// `CorruptInputError` reports it.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error("illegal base32 data at input byte {0}")]
pub struct Base32Error(pub usize);

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `StdEncoding.EncodeToString`: standard padded base32.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut b = [0u8; 5];
        b[..chunk.len()].copy_from_slice(chunk);
        let v = b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((v >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `StdEncoding.DecodeString` (newlines are stripped first, as Go does).
pub fn decode(input: &[u8]) -> Result<Vec<u8>, Base32Error> {
    let stripped: Vec<u8> = input
        .iter()
        .copied()
        .filter(|&c| c != b'\n' && c != b'\r')
        .collect();
    let olen = stripped.len();
    let mut src: &[u8] = &stripped;
    let mut out = Vec::new();
    let mut end = false;
    while !src.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            if src.is_empty() {
                return Err(Base32Error(olen - j));
            }
            let c = src[0];
            src = &src[1..];
            if c == b'=' && j >= 2 && src.len() < 8 {
                if src.len() + j < 7 {
                    return Err(Base32Error(olen));
                }
                for k in 0..(7 - j) {
                    if src.len() > k && src[k] != b'=' {
                        return Err(Base32Error(olen - src.len() + k - 1));
                    }
                }
                dlen = j;
                end = true;
                if dlen == 1 || dlen == 3 || dlen == 6 {
                    return Err(Base32Error(olen - src.len() - 1));
                }
                break;
            }
            match ALPHABET.iter().position(|&x| x == c) {
                Some(v) => dbuf[j] = v as u8,
                None => return Err(Base32Error(olen - src.len() - 1)),
            }
            j += 1;
        }
        let d = dbuf;
        let bytes = [
            (d[0] << 3) | (d[1] >> 2),
            (d[1] << 6) | (d[2] << 1) | (d[3] >> 4),
            (d[3] << 4) | (d[4] >> 1),
            (d[4] << 7) | (d[5] << 2) | (d[6] >> 3),
            (d[6] << 5) | d[7],
        ];
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[..n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_go_offsets() {
        for len in 0..12 {
            let data: Vec<u8> = (0..len).map(|i| (i * 53) as u8).collect();
            assert_eq!(decode(encode(&data).as_bytes()), Ok(data));
        }
        assert_eq!(encode(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(decode(b"MZXW6\nYTBOI======"), Ok(b"foobar".to_vec()));
        assert_eq!(decode(b"MZXW6YT1"), Err(Base32Error(7)));
        assert_eq!(decode(b"MZXW6YT"), Err(Base32Error(0)));
        assert_eq!(decode(b"MZ=====A"), Err(Base32Error(6)));
    }
}
