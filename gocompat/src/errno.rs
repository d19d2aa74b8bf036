//! The text Go prints for an I/O error's errno (`syscall.Errno.Error()`): lower case, without
//! Rust's ` (os error N)` suffix, e.g. `open x: no such file or directory`.

use std::io::{Error, ErrorKind};

/// Go's text for `err`: the common errnos by name, any other from the OS message.
pub fn text(err: &Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            let text = err.to_string();
            let trimmed = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = trimmed.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_wording() {
        assert_eq!(
            text(&Error::from(ErrorKind::NotFound)),
            "no such file or directory"
        );
        assert_eq!(
            text(&Error::from_raw_os_error(20)),
            "not a directory",
            "ENOTDIR on Linux"
        );
    }
}
