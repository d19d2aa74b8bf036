//! `KEY=VALUE` arguments of `kubeseal set`: a literal, `@path` (a file's bytes) or `-` (stdin,
//! read once however many files are updated).

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::error::EditError;
use crate::error::CliError;

/// Item name → plaintext, in order.
pub type Items = Vec<(String, Zeroizing<Vec<u8>>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Literal(String),
    File(PathBuf),
    Stdin,
}

/// A Secret key: what the API server accepts (`[-._a-zA-Z0-9]+`, not `.` or `..`).
pub fn check_key(key: &str) -> Result<(), String> {
    let valid = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{}: not a valid Secret key (letters, digits, '-', '_' and '.')",
            crate::gofmt::go_quote(key)
        ))
    }
}

fn parse(arg: &str) -> Result<(String, Source), EditError> {
    let Some((key, value)) = arg.split_once('=') else {
        // Not echoed: a value typed without its key would land in the terminal and logs.
        return Err(EditError::Usage(
            "an item argument has no '=': expected KEY=VALUE, KEY=@FILE or KEY=-".into(),
        ));
    };
    check_key(key).map_err(EditError::Usage)?;
    let source = if value == "-" {
        Source::Stdin
    } else if let Some(path) = value.strip_prefix('@') {
        Source::File(PathBuf::from(path))
    } else {
        Source::Literal(value.to_string())
    };
    Ok((key.to_string(), source))
}

/// The items to seal, in argument order (a key given twice: the last one wins).
pub fn read(args: &[String], cap: u64) -> Result<Items, CliError> {
    let parsed = args
        .iter()
        .map(|a| parse(a))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.iter().filter(|(_, s)| *s == Source::Stdin).count() > 1 {
        return Err(EditError::Usage("only one KEY=- may read stdin".into()).into());
    }
    let mut out: Items = Vec::new();
    for (key, source) in parsed {
        let bytes = match source {
            Source::Literal(v) => Zeroizing::new(v.into_bytes()),
            Source::Stdin => {
                Zeroizing::new(crate::input::read_capped(std::io::stdin(), cap, "stdin")?)
            }
            Source::File(p) => {
                let f =
                    std::fs::File::open(&p).map_err(|e| crate::error::io_error("open", &p, &e))?;
                Zeroizing::new(crate::input::read_capped(f, cap, &p.display().to_string())?)
            }
        };
        out.retain(|(k, _)| *k != key);
        out.push((key, bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(
            parse("a=b=c").expect("ok"),
            ("a".into(), Source::Literal("b=c".into()))
        );
        assert_eq!(parse("a=-").expect("ok").1, Source::Stdin);
        assert_eq!(parse("a=@x").expect("ok").1, Source::File("x".into()));
        let err = parse("s3cret-value").expect_err("no key").to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(parse("bad/key=1").is_err());
        assert!(parse("..=1").is_err());
    }
}
