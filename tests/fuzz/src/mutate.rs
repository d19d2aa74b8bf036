//! Input mutation for the stable runner: the byte-level moves libFuzzer makes (flip, set,
//! insert, erase, duplicate, splice with another input) plus tokens of each target's language,
//! so a short run still reaches deep into the parsers.

use rand::RngExt;
use rand::rngs::SmallRng;

/// Inputs never grow past this: the targets' interesting behaviour is in structure, not size.
pub const MAX_INPUT: usize = 64 << 10;

/// Tokens spliced into inputs, per target; numbers near type limits for every target.
pub fn dictionary(target: &str) -> &'static [&'static str] {
    match target {
        "template" => &[
            "{{",
            "}}",
            "{{-",
            "-}}",
            "{{ end }}",
            "{{ else }}",
            "{{ range ",
            "{{ if ",
            "{{ with ",
            "{{ define \"t\" }}",
            "{{ template \"t\" . }}",
            "{{ block \"b\" . }}",
            "$x := ",
            "$",
            ".",
            ".password",
            "| ",
            "(",
            ")",
            "\"",
            "`",
            "repeat ",
            "join ",
            "until ",
            "seq ",
            "list ",
            "concat ",
            "replace ",
            "printf \"%s\" ",
            "cat ",
            "dict ",
            "set ",
            "get ",
            "uniq ",
            "deepCopy ",
            "toJson ",
            "fromJson ",
            "b64enc ",
            "sha256sum ",
            "trunc ",
            "indent ",
            "nindent ",
            "regexReplaceAll ",
            "splitList ",
            "sortAlpha ",
            "fail ",
            "index ",
            "len ",
            "slice ",
            "and ",
            "or ",
            "not ",
            "eq ",
            "lt ",
            "add ",
            "mul ",
            "1048576",
            "16777216",
            "2147483647",
            "9223372036854775807",
            "-1",
            "1e400",
            "0x7f",
        ],
        "http_body" | "sealed_secret" => &[
            "apiVersion: bitnami.com/v1alpha1\n",
            "kind: SealedSecret\n",
            "\"apiVersion\":",
            "\"bitnami.com/v1alpha1\"",
            "\"SealedSecret\"",
            "metadata:",
            "spec:",
            "template:",
            "encryptedData:",
            "data:",
            "\"encryptedData\":",
            "\"template\":",
            "namespace: ",
            "name: ",
            "sealedsecrets.bitnami.com/cluster-wide: \"true\"",
            "sealedsecrets.bitnami.com/namespace-wide: \"true\"",
            "---\n",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "null",
            "true",
            "&a ",
            "*a",
            "<<: ",
            "!!binary ",
            "AgA",
            "==",
        ],
        "key_secret" => &[
            "-----BEGIN RSA PRIVATE KEY-----\n",
            "-----END RSA PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\n",
            "-----END CERTIFICATE-----\n",
            "tls.key",
            "tls.crt",
            "kind: List\n",
            "items:\n",
            "kind: Secret\n",
            "data:\n",
            "\"data\":",
            "---\n",
            "\0",
            "MII",
            "AQAB",
        ],
        _ => &["\0", "\u{ff}", "AgA", "=="],
    }
}

/// One to four random edits of `input`, drawing splices from `pool` and tokens from `dict`.
pub fn mutate(rng: &mut SmallRng, input: &[u8], pool: &[Vec<u8>], dict: &[&str]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        edit(rng, &mut out, pool, dict);
    }
    out.truncate(MAX_INPUT);
    out
}

fn edit(rng: &mut SmallRng, out: &mut Vec<u8>, pool: &[Vec<u8>], dict: &[&str]) {
    let at = |rng: &mut SmallRng, len: usize| rng.random_range(0..=len);
    match rng.random_range(0..9) {
        0 if !out.is_empty() => {
            let i = rng.random_range(0..out.len());
            out[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !out.is_empty() => {
            let i = rng.random_range(0..out.len());
            out[i] = interesting_byte(rng);
        }
        2 => {
            let i = at(rng, out.len());
            out.insert(i, interesting_byte(rng));
        }
        3 if !out.is_empty() => {
            let start = rng.random_range(0..out.len());
            let end = (start + rng.random_range(1..=16)).min(out.len());
            out.drain(start..end);
        }
        4 if !out.is_empty() => {
            let start = rng.random_range(0..out.len());
            let end = (start + rng.random_range(1..=64)).min(out.len());
            let copy = out[start..end].to_vec();
            let i = at(rng, out.len());
            out.splice(i..i, copy);
        }
        5 | 6 if !dict.is_empty() => {
            let token = dict[rng.random_range(0..dict.len())].as_bytes();
            let i = at(rng, out.len());
            out.splice(i..i, token.iter().copied());
        }
        7 if !pool.is_empty() => {
            // Splice: our head, another input's tail.
            let other = &pool[rng.random_range(0..pool.len())];
            let cut = at(rng, out.len());
            let from = at(rng, other.len());
            out.truncate(cut);
            out.extend_from_slice(&other[from..]);
        }
        _ => {
            // Replace a run of ASCII digits with another number.
            if let Some(start) = out.iter().position(u8::is_ascii_digit) {
                let end = out[start..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(out.len(), |n| start + n);
                let number = match rng.random_range(0..4) {
                    0 => "0".to_string(),
                    1 => rng.random_range(0..100u32).to_string(),
                    2 => rng.random::<u32>().to_string(),
                    _ => rng.random::<u64>().to_string(),
                };
                out.splice(start..end, number.into_bytes());
            }
        }
    }
}

fn interesting_byte(rng: &mut SmallRng) -> u8 {
    const BYTES: &[u8] = b"\0\x7f\x80\xff{}()[]\"'`$.|-:\n ,";
    if rng.random_bool(0.5) {
        BYTES[rng.random_range(0..BYTES.len())]
    } else {
        rng.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutations_are_reproducible_and_bounded() {
        let pool = vec![b"{{ .password }}".to_vec()];
        let run = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..200)
                .map(|_| mutate(&mut rng, &pool[0], &pool, dictionary("template")))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).iter().all(|m| m.len() <= MAX_INPUT));
        assert!(run(7).iter().any(|m| m != &pool[0]));
    }
}
