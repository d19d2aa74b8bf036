//! Which key seals: the controller's rule (upstream `KeyRegistry`), also used by `kubeseal keys`
//! to tell which key the controller picks.

use time::OffsetDateTime;

/// Upstream loads key Secrets in `creationTimestamp` order (whole seconds) before registering.
pub fn sort_by_creation<T>(items: &mut [T], created: impl Fn(&T) -> Option<OffsetDateTime>) {
    items.sort_by_key(|i| created(i).map(|t| t.unix_timestamp()));
}

/// The sealing key among `keys` in registration order, each with its ordering time (the
/// certificate's NotBefore by default): the latest time; on a tie the first registered, as
/// upstream replaces its most recent key only for a strictly later time.
pub fn newest<T>(keys: impl IntoIterator<Item = (T, OffsetDateTime)>) -> Option<T> {
    let mut best: Option<(T, OffsetDateTime)> = None;
    for (key, time) in keys {
        match &best {
            Some((_, best_time)) if *best_time >= time => {}
            _ => best = Some((key, time)),
        }
    }
    best.map(|(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn only_a_strictly_later_time_takes_over() {
        let (t1, t2) = (
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-06-01 0:00 UTC),
        );
        assert_eq!(newest([("a", t1), ("b", t2), ("c", t2)]), Some("b"));
        assert_eq!(newest([("a", t2), ("b", t1)]), Some("a"));
        assert_eq!(newest(Vec::<(&str, OffsetDateTime)>::new()), None);

        let mut order = vec![(2, Some(t2)), (0, None), (1, Some(t1))];
        sort_by_creation(&mut order, |&(_, created)| created);
        assert_eq!(order.iter().map(|&(i, _)| i).collect::<Vec<_>>(), [0, 1, 2]);
    }
}
