//! Beyond upstream: per SealedSecret, the Secret resourceVersion the last pass settled on (so
//! the metadata-only Secret watch can tell a change by someone else from our own write), and the
//! backoff that keeps a writer fighting our repairs from causing a hot loop. One small entry
//! per SealedSecret at most, dropped with it; no Secret content is held.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::runtime::cache::ObjKey;

/// The wait after the first repair of a run; it doubles with each repair in a row.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between two repairs of one Secret.
pub const MAX_DELAY: Duration = Duration::from_secs(300);
/// A repair this long after the previous one starts a new run.
pub const CALM_AFTER: Duration = Duration::from_secs(600);

/// The wait after `repairs` repairs in a row: none before the first, then 1 s doubling to 5 min.
pub fn delay(repairs: u32) -> Duration {
    if repairs == 0 {
        return Duration::ZERO;
    }
    let factor = 1u32.checked_shl(repairs - 1).unwrap_or(u32::MAX);
    FIRST_DELAY.saturating_mul(factor).min(MAX_DELAY)
}

/// A run of repairs of one Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub repairs: u32,
    pub last: Instant,
}

/// Whether a repair may go ahead at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead; this is repair number `nth` of the run.
    Repair { nth: u32 },
    /// Wait this long; `repairs` were made in a row already.
    Wait { wait: Duration, repairs: u32 },
}

/// The decision for a Secret found drifted at `now`, given its run so far. Pure.
pub fn verdict(run: Option<Run>, now: Instant) -> Verdict {
    let Some(run) = run else {
        return Verdict::Repair { nth: 1 };
    };
    let since = now.saturating_duration_since(run.last);
    if since >= CALM_AFTER {
        return Verdict::Repair { nth: 1 };
    }
    let wait = delay(run.repairs).saturating_sub(since);
    if wait.is_zero() {
        Verdict::Repair {
            nth: run.repairs.saturating_add(1),
        }
    } else {
        Verdict::Wait {
            wait,
            repairs: run.repairs,
        }
    }
}

/// Whether repairs are paused, and whether the pass that ends the pause is queued yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    No,
    /// Paused; a pass at the end of the pause is already scheduled.
    Scheduled,
    /// Paused; schedule a pass in `wait` (told once per pause).
    Schedule {
        wait: Duration,
        repairs: u32,
    },
}

/// One per SealedSecret, so kept small: the repair state, which few objects ever have, is boxed.
#[derive(Debug, Default)]
struct Entry {
    /// The resourceVersion the last pass left the Secret at, or saw and reported as drifted.
    settled: Option<Box<str>>,
    repairs: Option<Box<Repairs>>,
}

#[derive(Debug, Default)]
struct Repairs {
    run: Option<Run>,
    /// The end of the pause a pass was scheduled for.
    scheduled_for: Option<Instant>,
}

#[derive(Debug, Clone, Default)]
pub struct DriftGuard {
    inner: Arc<Mutex<HashMap<ObjKey, Entry>>>,
}

impl DriftGuard {
    fn lock(&self) -> MutexGuard<'_, HashMap<ObjKey, Entry>> {
        // A poisoned lock only means a worker panicked; the map stays usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pass for `key` left (or accepted) the Secret at `resource_version`.
    pub fn settle(&self, key: &ObjKey, resource_version: Option<String>) {
        if let Some(rv) = resource_version {
            self.lock().entry(key.clone()).or_default().settled = Some(rv.into_boxed_str());
        }
    }

    pub fn settled(&self, key: &ObjKey) -> Option<String> {
        self.lock()
            .get(key)
            .and_then(|e| e.settled.as_deref().map(str::to_string))
    }

    /// Whether repairs of `key` are paused at `now`; `Schedule` is answered once per pause, so
    /// that however often the Secret changes meanwhile, one pass ends the pause.
    pub fn defer(&self, key: &ObjKey, now: Instant) -> Pause {
        let mut map = self.lock();
        let Some(entry) = map.get_mut(key).and_then(|e| e.repairs.as_deref_mut()) else {
            return Pause::No;
        };
        let Some(run) = entry.run else {
            return Pause::No;
        };
        match verdict(Some(run), now) {
            Verdict::Repair { .. } => Pause::No,
            Verdict::Wait { wait, repairs } => {
                let end = run.last + delay(run.repairs);
                if entry.scheduled_for == Some(end) {
                    Pause::Scheduled
                } else {
                    entry.scheduled_for = Some(end);
                    Pause::Schedule { wait, repairs }
                }
            }
        }
    }

    /// Decides about a repair of `key` at `now`; a `Repair` verdict counts it in the run.
    pub fn try_repair(&self, key: &ObjKey, now: Instant) -> Verdict {
        let mut map = self.lock();
        let entry = map
            .entry(key.clone())
            .or_default()
            .repairs
            .get_or_insert_with(Box::default);
        let v = verdict(entry.run, now);
        if let Verdict::Repair { nth } = v {
            entry.run = Some(Run {
                repairs: nth,
                last: now,
            });
        }
        v
    }

    /// The SealedSecret is gone.
    pub fn forget(&self, key: &ObjKey) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_from_one_second_up_to_five_minutes() {
        let secs: Vec<u64> = (0..12).map(|n| delay(n).as_secs()).collect();
        assert_eq!(secs, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_fighting_writer_gets_exponentially_fewer_repairs() {
        let guard = DriftGuard::default();
        let key = ObjKey {
            namespace: "ns".into(),
            name: "s".into(),
        };
        let t0 = Instant::now();
        // The writer undoes every repair at once; the pass retries when the wait is over.
        let mut now = t0;
        let mut repairs = Vec::new();
        while now < t0 + Duration::from_secs(20) {
            match guard.try_repair(&key, now) {
                Verdict::Repair { nth } => {
                    repairs.push((now - t0).as_secs());
                    assert_eq!(nth as usize, repairs.len());
                    now += Duration::from_millis(1);
                }
                Verdict::Wait { wait, repairs } => {
                    assert_eq!(guard.defer(&key, now), Pause::Schedule { wait, repairs });
                    // Further changes in the same pause schedule nothing more.
                    assert_eq!(guard.defer(&key, now), Pause::Scheduled);
                    now += wait;
                }
            }
        }
        assert_eq!(repairs, [0, 1, 3, 7, 15]);
    }

    #[test]
    fn a_calm_period_starts_a_new_run() {
        let t0 = Instant::now();
        let run = Run {
            repairs: 9,
            last: t0,
        };
        assert!(matches!(
            verdict(Some(run), t0 + Duration::from_secs(10)),
            Verdict::Wait { repairs: 9, .. }
        ));
        assert_eq!(
            verdict(Some(run), t0 + CALM_AFTER),
            Verdict::Repair { nth: 1 }
        );
    }

    #[test]
    fn settled_version_is_remembered_until_forgotten() {
        let guard = DriftGuard::default();
        let key = ObjKey {
            namespace: "ns".into(),
            name: "s".into(),
        };
        guard.settle(&key, None);
        assert_eq!(guard.settled(&key), None);
        guard.settle(&key, Some("5".into()));
        assert_eq!(guard.settled(&key).as_deref(), Some("5"));
        guard.forget(&key);
        assert_eq!(guard.settled(&key), None);
    }
}
