//! Where yaml.v2 (libyaml's Go port, which upstream's `EnsureNotMultiDoc` uses) refuses a body
//! while reading its first chunk. That happens before the stream starts, and yaml.v2 recovers
//! from it; a body it refuses any later leaves its parser broken, and the next read panics.

/// yaml.v2 reads its input in chunks of this many bytes and decodes the first one whole.
const FIRST_CHUNK: usize = 512;

/// Whether yaml.v2's reader rejects `body` within its first chunk: invalid UTF-8 or a character
/// YAML does not allow (control characters). UTF-16 input (a UTF-16 byte order mark) is not
/// modelled and gives `false`.
pub fn rejected_at_start(body: &[u8]) -> bool {
    if body.starts_with(&[0xff, 0xfe]) || body.starts_with(&[0xfe, 0xff]) {
        return false;
    }
    // The encoding check reads until it has 3 bytes: a shorter body is read to its end.
    let at_end = body.len() < 3;
    let chunk = &body[..body.len().min(FIRST_CHUNK)];
    let mut pos = if chunk.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    while pos < chunk.len() {
        let lead = chunk[pos];
        let width = match lead {
            _ if lead & 0x80 == 0x00 => 1,
            _ if lead & 0xe0 == 0xc0 => 2,
            _ if lead & 0xf0 == 0xe0 => 3,
            _ if lead & 0xf8 == 0xf0 => 4,
            _ => return true,
        };
        let Some(bytes) = chunk.get(pos..pos + width) else {
            // An incomplete character is an error only once the input has ended.
            return at_end;
        };
        let mut value = u32::from(lead & [0x7f, 0x1f, 0x0f, 0x07][width - 1]);
        for &b in &bytes[1..] {
            if b & 0xc0 != 0x80 {
                return true;
            }
            value = (value << 6) | u32::from(b & 0x3f);
        }
        let shortest = [0, 0x80, 0x800, 0x10000][width - 1];
        if value < shortest || (0xd800..=0xdfff).contains(&value) || value > 0x10ffff {
            return true;
        }
        if !printable(value) {
            return true;
        }
        pos += width;
    }
    false
}

/// The characters YAML 1.1 allows in a stream.
fn printable(c: u32) -> bool {
    matches!(c, 0x09 | 0x0a | 0x0d | 0x20..=0x7e | 0x85 | 0xa0..=0xd7ff | 0xe000..=0xfffd)
        || (0x10000..=0x10ffff).contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bad_utf8_in_the_first_chunk() {
        assert!(rejected_at_start(b"\x00\x01"));
        assert!(rejected_at_start(b"a: \xff"));
        assert!(rejected_at_start(b"a: \xc3\x28 b"));
        assert!(rejected_at_start(b"a: \xc0\x80 b"));
        assert!(rejected_at_start(b"\xc3"));
        assert!(!rejected_at_start(b"a: b\n"));
        assert!(!rejected_at_start("a: p\u{e4}ss\tword\r\n".as_bytes()));
        assert!(!rejected_at_start(b"\xef\xbb\xbfa: b"));
        assert!(!rejected_at_start(b""));
        assert!(!rejected_at_start(b"{"));
    }

    #[test]
    fn only_the_first_chunk_counts() {
        let mut body = vec![b'a'; FIRST_CHUNK];
        body.push(0xff);
        assert!(!rejected_at_start(&body));
        body[FIRST_CHUNK - 1] = 0x01;
        assert!(rejected_at_start(&body));
        // A character cut by the chunk's end is read later.
        let mut cut = vec![b'a'; FIRST_CHUNK - 1];
        cut.extend_from_slice(&[0xc3, 0xff]);
        assert!(!rejected_at_start(&cut));
        // So is one cut by the body's end, once the body is long enough to be read in one go.
        assert!(!rejected_at_start(b"abc\xc3"));
    }
}
