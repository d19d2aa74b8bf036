//! The run's counters and the lines printed on stderr (one per changed file, one summary).

use std::fmt::Write as _;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files_scanned: usize,
    pub sealed_secrets: usize,
    /// Items given a new ciphertext (in files that were, or with `--dry-run` would be, written).
    pub items_reencrypted: usize,
    pub items_current: usize,
    pub files_failed: usize,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `re-encrypted <path>: 3 items in 1 SealedSecret` (or `would re-encrypt …` in a dry run).
pub fn changed_line(path: &str, items: usize, objects: usize, dry_run: bool) -> String {
    format!(
        "{} {path}: {} in {}",
        if dry_run {
            "would re-encrypt"
        } else {
            "re-encrypted"
        },
        plural(items, "item", "items"),
        plural(objects, "SealedSecret", "SealedSecrets")
    )
}

impl Summary {
    /// Fixed wording (no singulars) so that scripts can read it.
    pub fn line(&self, dry_run: bool) -> String {
        let mut s = format!(
            "{} files scanned, {} SealedSecrets, {} items re-encrypted, {} already current, {} files failed",
            self.files_scanned,
            self.sealed_secrets,
            self.items_reencrypted,
            self.items_current,
            self.files_failed
        );
        if dry_run {
            let _ = write!(s, " (dry run: nothing written)");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            changed_line("apps/db.yaml", 3, 1, false),
            "re-encrypted apps/db.yaml: 3 items in 1 SealedSecret"
        );
        assert_eq!(
            changed_line("x.json", 1, 2, true),
            "would re-encrypt x.json: 1 item in 2 SealedSecrets"
        );
        let s = Summary {
            files_scanned: 5,
            sealed_secrets: 4,
            items_reencrypted: 7,
            items_current: 2,
            files_failed: 1,
        };
        assert_eq!(
            s.line(false),
            "5 files scanned, 4 SealedSecrets, 7 items re-encrypted, 2 already current, 1 files failed"
        );
        assert!(
            s.line(true)
                .ends_with("1 files failed (dry run: nothing written)")
        );
    }
}
