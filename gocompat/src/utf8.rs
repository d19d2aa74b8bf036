//! Go's `unicode/utf8` view of a byte string: what `utf8.DecodeRune` and `for i, r := range s`
//! see, invalid bytes included.

/// Go's `utf8.DecodeRune`: the first rune of `b` and its length; an invalid or short
/// sequence is U+FFFD of length 1 (length 0 for empty input).
pub fn decode_rune(b: &[u8]) -> (char, usize) {
    let n = match b.first() {
        None => return ('\u{FFFD}', 0),
        Some(&x) if x < 0x80 => return (char::from(x), 1),
        Some(&x) if x & 0xE0 == 0xC0 => 2,
        Some(&x) if x & 0xF0 == 0xE0 => 3,
        Some(&x) if x & 0xF8 == 0xF0 => 4,
        Some(_) => return ('\u{FFFD}', 1),
    };
    match b.get(..n).and_then(|p| std::str::from_utf8(p).ok()) {
        Some(s) => (s.chars().next().unwrap_or('\u{FFFD}'), n),
        None => ('\u{FFFD}', 1),
    }
}

/// The runes of a Go string with their byte offsets, as `for i, r := range s` sees them.
#[derive(Debug, Clone)]
pub struct Runes<'a> {
    b: &'a [u8],
    i: usize,
}

pub fn runes(b: &[u8]) -> Runes<'_> {
    Runes { b, i: 0 }
}

impl Iterator for Runes<'_> {
    type Item = (usize, char);
    fn next(&mut self) -> Option<(usize, char)> {
        let at = self.i;
        let (c, n) = decode_rune(self.b.get(at..)?);
        if n == 0 {
            return None;
        }
        self.i += n;
        Some((at, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_one_replacement_each() {
        assert_eq!(decode_rune(b""), ('\u{FFFD}', 0));
        assert_eq!(decode_rune("é".as_bytes()), ('é', 2));
        assert_eq!(decode_rune(b"\xe2\x82"), ('\u{FFFD}', 1));
        let seen: Vec<(usize, char)> = runes(b"a\xffb").collect();
        assert_eq!(seen, [(0, 'a'), (1, '\u{FFFD}'), (2, 'b')]);
    }
}
