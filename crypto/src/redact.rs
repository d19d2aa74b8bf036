//! Keeping decrypted values out of the messages the controller writes to status conditions,
//! Events and logs.
//!
//! Whoever may create a SealedSecret writes its templates, and may be allowed to read the
//! SealedSecret's status and Events but not the Secret. A template error can carry plaintext in
//! any shape (`{{ fail .password }}`, `{{ fail (upper .password) }}`, `printf`, a value cut into
//! pieces by `substr`), so searching a message for the values would miss transformed ones, and
//! masking every occurrence of a one-letter value would both garble the message and tell where
//! the letter sits. Instead, a template error message is shown only if it is a function of what
//! the author already knows:
//!
//! * The failing template is rendered a second time with every decrypted value replaced by the
//!   fixed placeholder `[redacted:<item>]` (the same text whatever the value's length or bytes).
//! * If that render fails too, and putting the real values back in place of the placeholders
//!   in its message gives exactly the real message, the placeholder message is written: it
//!   says where each value went (`error calling fail: [redacted:password]`) without any of it.
//! * Otherwise a fixed text is written ([`WITHHELD`]); the key is still named.
//!
//! What remains observable is whether the real render failed (the `Synced` condition), which a
//! template can always branch on; it is one bit per pass and no message carries more.
//! Parse errors are kept as they are: they are computed before any value is read.
//!
//! Messages from the API server about a Secret are withheld whole when they quote one of its
//! values ([`quotes_any`]).

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::template::{self, TemplateError};

/// Written instead of a template error message that depends on decrypted values.
pub const WITHHELD: &str =
    "template execution failed; the message is withheld because it depends on decrypted values";

/// A written message is cut to this many bytes (a status condition is no place for megabytes,
/// and an Event or status over etcd's object limit would not be written at all).
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// Values shorter than this count as quoted by an API message only as a whole word.
pub const MIN_SUBSTRING_BYTES: usize = 4;

/// The placeholder standing for item `item`'s value.
pub fn placeholder(item: &str) -> String {
    format!("[redacted:{item}]")
}

/// The message to write for a failed render of template `name` (`source`) over `values`.
pub fn template_error<V: AsRef<[u8]>>(
    name: &str,
    source: &str,
    values: &BTreeMap<String, V>,
    error: &TemplateError,
) -> String {
    if !matches!(error.kind, template::ErrorKind::Exec) || values.is_empty() {
        // A parse or budget error (its text is the template's own), or nothing decrypted to leak.
        return truncate(&error.message);
    }
    let placeholders: BTreeMap<String, String> =
        values.keys().map(|k| (k.clone(), placeholder(k))).collect();
    match template::render(name, source, &placeholders) {
        Err(shadow) if restores_to(&shadow.message, &placeholders, values, &error.message) => {
            truncate(&shadow.message)
        }
        _ => WITHHELD.to_string(),
    }
}

/// Whether replacing each placeholder in `shadow` with its item's real value gives `real`.
fn restores_to<V: AsRef<[u8]>>(
    shadow: &str,
    placeholders: &BTreeMap<String, String>,
    values: &BTreeMap<String, V>,
    real: &str,
) -> bool {
    let items: Vec<&String> = placeholders.keys().collect();
    let patterns: Vec<&String> = placeholders.values().collect();
    let Ok(finder) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
    else {
        return false;
    };
    // Walk `real` alongside `shadow` instead of building the restored text: no copy of the
    // values is made.
    let shadow_bytes = shadow.as_bytes();
    let mut at = 0;
    let mut rest = real.as_bytes();
    for m in finder.find_iter(shadow) {
        let literal = &shadow_bytes[at..m.start()];
        let Some(after) = rest.strip_prefix(literal) else {
            return false;
        };
        let value = items
            .get(m.pattern().as_usize())
            .and_then(|item| values.get(*item));
        let Some(after) = value.and_then(|v| after.strip_prefix(v.as_ref())) else {
            return false;
        };
        rest = after;
        at = m.end();
    }
    rest == &shadow_bytes[at..]
}

/// Cuts `message` to [`MAX_MESSAGE_BYTES`] on a character boundary.
pub fn truncate(message: &str) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message.to_string();
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes cut)", &message[..end], message.len() - end)
}

/// Whether `message` contains one of `values`: anywhere for a value of at least
/// [`MIN_SUBSTRING_BYTES`], as a whole word (no letter or digit either side) for a shorter one,
/// so that a one-letter value does not match every word holding that letter.
pub fn quotes_any<'a>(message: &str, values: impl IntoIterator<Item = &'a [u8]>) -> bool {
    let text = message.as_bytes();
    values.into_iter().filter(|v| !v.is_empty()).any(|value| {
        let whole_word_only = value.len() < MIN_SUBSTRING_BYTES;
        occurrences(text, value).any(|start| {
            !whole_word_only || (!alnum_before(text, start) && !alnum_at(text, start + value.len()))
        })
    })
}

fn occurrences<'t>(text: &'t [u8], needle: &'t [u8]) -> impl Iterator<Item = usize> + 't {
    text.windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(i, _)| i)
}

fn alnum_before(text: &[u8], at: usize) -> bool {
    at > 0
        && std::str::from_utf8(&text[..at])
            .ok()
            .and_then(|s| s.chars().next_back())
            .is_some_and(char::is_alphanumeric)
}

fn alnum_at(text: &[u8], at: usize) -> bool {
    std::str::from_utf8(text.get(at..).unwrap_or_default())
        .ok()
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn message(source: &str, vals: &BTreeMap<String, String>) -> String {
        let err = template::render("out", source, vals).expect_err("template must fail");
        template_error("out", source, vals, &err)
    }

    #[test]
    fn a_value_passed_through_shows_as_its_placeholder() {
        let v = values(&[("password", "hunter2"), ("user", "a")]);
        let m = message("{{ fail .password }}", &v);
        assert!(
            m.ends_with("error calling fail: [redacted:password]"),
            "{m}"
        );
        let m = message(r#"{{ fail (printf "u=%s p=%s!" .user .password) }}"#, &v);
        assert!(
            m.ends_with("u=[redacted:user] p=[redacted:password]!"),
            "{m}"
        );
        assert!(!m.contains("hunter2"));
    }

    #[test]
    fn a_transformed_value_withholds_the_message() {
        let v = values(&[("password", "hunter2")]);
        for source in [
            "{{ fail (upper .password) }}",
            "{{ fail (substr 0 3 .password) }}",
            "{{ fail (len .password | toString) }}",
            r#"{{ if eq .password "hunter2" }}{{ fail "yes" }}{{ else }}{{ fail "no" }}{{ end }}"#,
        ] {
            assert_eq!(message(source, &v), WITHHELD, "{source}");
        }
    }

    #[test]
    fn one_letter_values_do_not_mask_other_text() {
        let v = values(&[("k", "a")]);
        // Independent of the value: shown as is, every "a" intact.
        let m = message(r#"{{ fail "a bad template" }}"#, &v);
        assert!(m.ends_with("error calling fail: a bad template"), "{m}");
        // Inside a word, the placeholder shows where it went, nothing of what it is.
        let m = message(r#"{{ fail (printf "x%sx" .k) }}"#, &v);
        assert!(m.ends_with("error calling fail: x[redacted:k]x"), "{m}");
        // Repeated: each copy is a placeholder. Computed from it: withheld whole.
        let m = message(r#"{{ fail (repeat 2 .k) }}"#, &v);
        assert!(
            m.ends_with("error calling fail: [redacted:k][redacted:k]"),
            "{m}"
        );
        assert_eq!(message("{{ fail (len .k | toString) }}", &v), WITHHELD);
    }

    #[test]
    fn value_independent_errors_are_kept() {
        let v = values(&[("password", "hunter2")]);
        let m = message("{{ index .password 99 }}", &v);
        assert_ne!(m, WITHHELD);
        assert!(m.contains("index out of range"), "{m}");
        let parse = template::render("out", "{{ .x", &v).expect_err("parse error");
        assert_eq!(
            template_error("out", "{{ .x", &v, &parse),
            truncate(&parse.message)
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let v = values(&[("p", "x")]);
        let m = message(r#"{{ fail (repeat 5000 "y") }}"#, &v);
        assert!(m.len() < MAX_MESSAGE_BYTES + 40, "{}", m.len());
        assert!(m.ends_with("bytes cut)"), "{m}");
        assert_eq!(
            truncate("é".repeat(600).as_str()).len(),
            1024 + " (176 bytes cut)".len() + 3
        );
    }

    #[test]
    fn api_messages_quoting_values() {
        let vals: [&[u8]; 2] = [b"hunter2", b"a"];
        assert!(quotes_any("invalid value \"hunter2\"", vals));
        assert!(quotes_any("xhunter2x", vals));
        assert!(quotes_any("got a", vals));
        assert!(!quotes_any("Secret is invalid", vals));
        assert!(!quotes_any("anything", [b"".as_slice()]));
    }
}
