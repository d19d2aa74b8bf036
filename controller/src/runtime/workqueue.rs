//! A work queue like client-go's: a key is queued at most once, handled by one worker at a time
//! (re-added while in flight → queued again when done), with client-go's default controller rate
//! limiter for retries: per-key exponential backoff and an overall token bucket, whichever waits
//! longer.
//!
//! Beyond client-go: two lanes. Keys from a watch's initial list (a start, a restart, a re-list)
//! wait in a backlog lane that is served only when no live change is waiting, so a SealedSecret
//! applied during a catch-up over thousands of objects is not stuck behind them (upstream's
//! single FIFO is what makes users wait minutes after a restart).

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

pub const BASE_DELAY: Duration = Duration::from_millis(5);
pub const MAX_DELAY: Duration = Duration::from_secs(1000);

/// client-go's overall bucket for retries: 10 per second, bursts of 100. It caps the retry rate
/// when many objects fail at once (e.g. an API outage), where per-key backoff alone would not.
pub const OVERALL_QPS: f64 = 10.0;
pub const OVERALL_BURST: u32 = 100;

/// A token bucket with reservations (x/time/rate's `Reserve`): every retry takes a token, and
/// one taken on credit waits until the bucket has refilled up to it.
#[derive(Debug)]
struct TokenBucket {
    qps: f64,
    burst: f64,
    /// Negative when reservations are outstanding.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(qps: f64, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            qps,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token; returns how long its holder must wait for it.
    fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst) - 1.0;
        if self.tokens >= 0.0 || self.qps <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.qps)
        }
    }
}

/// Retries after the API server was unavailable wait at most this long, so that objects catch
/// up soon after an outage ends however long it lasted.
pub const MAX_UNAVAILABLE_DELAY: Duration = Duration::from_secs(30);

/// Delay before retry number `failures` (0-based): 5 ms doubling, capped at 1000 s.
pub fn backoff(failures: u32) -> Duration {
    backoff_capped(failures, MAX_DELAY)
}

fn backoff_capped(failures: u32, cap: Duration) -> Duration {
    let factor = 1u64.checked_shl(failures.min(40)).unwrap_or(u64::MAX);
    let nanos = (BASE_DELAY.as_nanos() as u64).saturating_mul(factor);
    Duration::from_nanos(nanos).min(cap)
}

/// What a key's retries have run into since its last `forget`.
#[derive(Debug, Default, Clone, Copy)]
struct Failures {
    /// Failures of the object itself: they pace its retries and count towards giving up.
    counted: u32,
    /// Retries because the API server was unavailable: they back off on their own count and
    /// never count towards giving up.
    unavailable: u32,
}

#[derive(Debug)]
struct State<K> {
    /// Live changes and retries: served first.
    queue: VecDeque<K>,
    /// Keys from an initial list, served when `queue` is empty.
    backlog: VecDeque<K>,
    /// The keys waiting in `backlog` (a key promoted to `queue` leaves a stale entry behind in
    /// `backlog`, skipped when reached).
    backlogged: HashSet<K>,
    dirty: HashSet<K>,
    processing: HashSet<K>,
    failures: HashMap<K, Failures>,
    bucket: TokenBucket,
    shut_down: bool,
}

#[derive(Debug)]
pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    notify: Notify,
}

impl<K: Clone + Eq + Hash + Send + 'static> WorkQueue<K> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                backlog: VecDeque::new(),
                backlogged: HashSet::new(),
                dirty: HashSet::new(),
                processing: HashSet::new(),
                failures: HashMap::new(),
                bucket: TokenBucket::new(OVERALL_QPS, OVERALL_BURST, Instant::now()),
                shut_down: false,
            }),
            notify: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // A poisoned lock only means another worker panicked; the state itself stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a live change (or a retry) in the first lane. A key waiting in the backlog moves
    /// up to this lane.
    pub fn add(&self, key: K) {
        let mut s = self.lock();
        if s.shut_down {
            return;
        }
        if s.backlogged.remove(&key) {
            s.queue.push_back(key);
            drop(s);
            self.notify.notify_one();
            return;
        }
        if s.dirty.contains(&key) {
            return;
        }
        s.dirty.insert(key.clone());
        if !s.processing.contains(&key) {
            s.queue.push_back(key);
            drop(s);
            self.notify.notify_one();
        }
    }

    /// Queues a key from an initial list in the backlog lane, served after every live change.
    pub fn add_backlog(&self, key: K) {
        let mut s = self.lock();
        if s.shut_down || s.dirty.contains(&key) {
            return;
        }
        s.dirty.insert(key.clone());
        if !s.processing.contains(&key) {
            s.backlogged.insert(key.clone());
            s.backlog.push_back(key);
            drop(s);
            self.notify.notify_one();
        }
    }

    /// The next key to hand out: live changes first, then the backlog (skipping keys that
    /// moved up).
    fn pop(s: &mut State<K>) -> Option<K> {
        if let Some(key) = s.queue.pop_front() {
            return Some(key);
        }
        while let Some(key) = s.backlog.pop_front() {
            if s.backlogged.remove(&key) {
                return Some(key);
            }
        }
        None
    }

    /// The retry delay for `key` at `now`, counting one more failure: the longer of its own
    /// backoff and the overall bucket's wait (client-go's `MaxOfRateLimiter`).
    fn retry_delay(&self, key: &K, now: Instant) -> Duration {
        let mut s = self.lock();
        let f = s.failures.entry(key.clone()).or_default();
        let per_key = backoff(f.counted);
        f.counted = f.counted.saturating_add(1);
        per_key.max(s.bucket.reserve(now))
    }

    /// The retry delay for `key` after the API server was unavailable: its own exponential
    /// backoff (up to `MAX_UNAVAILABLE_DELAY`) or the overall bucket's wait, whichever is
    /// longer. The object's own failure count starts over: errors of a server still warming up
    /// after an outage (403 until its RBAC caches fill) must not add up to giving up.
    fn unavailable_delay(&self, key: &K, now: Instant) -> Duration {
        let mut s = self.lock();
        let f = s.failures.entry(key.clone()).or_default();
        f.counted = 0;
        let per_key = backoff_capped(f.unavailable, MAX_UNAVAILABLE_DELAY);
        f.unavailable = f.unavailable.saturating_add(1);
        per_key.max(s.bucket.reserve(now))
    }

    /// Adds after the retry delay and counts one more failure.
    pub fn add_rate_limited(self: &Arc<Self>, key: K) {
        let delay = self.retry_delay(&key, Instant::now());
        self.add_after(key, delay);
    }

    /// Adds after a failure that was not the object's (the API server was unavailable): backs
    /// off exponentially per key, without counting towards giving up.
    pub fn add_unavailable(self: &Arc<Self>, key: K) {
        let delay = self.unavailable_delay(&key, Instant::now());
        self.add_after(key, delay);
    }

    /// Adds `key` once `delay` has passed.
    pub fn add_after(self: &Arc<Self>, key: K, delay: Duration) {
        let q = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            q.add(key);
        });
    }

    /// Failures counted for the key since the last `forget`.
    pub fn num_requeues(&self, key: &K) -> u32 {
        self.lock().failures.get(key).map_or(0, |f| f.counted)
    }

    pub fn forget(&self, key: &K) {
        self.lock().failures.remove(key);
    }

    /// The next key, or `None` once shut down (queued keys are then left alone).
    pub async fn get(&self) -> Option<K> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                // Shut down means stop taking work, even with keys left (graceful shutdown).
                if s.shut_down {
                    return None;
                }
                if let Some(key) = Self::pop(&mut s) {
                    s.dirty.remove(&key);
                    s.processing.insert(key.clone());
                    let more = !s.queue.is_empty() || !s.backlogged.is_empty();
                    drop(s);
                    if more {
                        self.notify.notify_one();
                    }
                    return Some(key);
                }
                if s.shut_down {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Marks the key handled; if it was added meanwhile it is queued again.
    pub fn done(&self, key: &K) {
        let mut s = self.lock();
        s.processing.remove(key);
        if s.dirty.contains(key) {
            s.queue.push_back(key.clone());
            drop(s);
            self.notify.notify_one();
        }
    }

    pub fn shut_down(&self) {
        self.lock().shut_down = true;
        self.notify.notify_waiters();
    }

    /// Keys waiting in either lane.
    pub fn len(&self) -> usize {
        let s = self.lock();
        s.queue.len() + s.backlogged.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(5));
        assert_eq!(backoff(1), Duration::from_millis(10));
        assert_eq!(backoff(4), Duration::from_millis(80));
        assert_eq!(backoff(30), MAX_DELAY);
        assert_eq!(backoff(u32::MAX), MAX_DELAY);
    }

    #[tokio::test]
    async fn deduplicates_and_requeues_dirty_keys() {
        let q = WorkQueue::new();
        q.add("a");
        q.add("a");
        q.add("b");
        assert_eq!(q.len(), 2);
        let k = q.get().await.unwrap();
        assert_eq!(k, "a");
        // Added while in flight: not handed out twice at once, queued again after done.
        q.add("a");
        assert_eq!(q.get().await.unwrap(), "b");
        assert!(q.is_empty());
        q.done(&"a");
        assert_eq!(q.get().await.unwrap(), "a");
        q.done(&"a");
        q.done(&"b");
        q.shut_down();
        assert_eq!(q.get().await, None);
    }

    #[tokio::test]
    async fn live_changes_go_before_the_backlog() {
        let q = WorkQueue::new();
        for key in ["b1", "b2", "b3"] {
            q.add_backlog(key);
        }
        q.add("live");
        // A backlog key changed while waiting moves up, once.
        q.add("b3");
        q.add_backlog("b3");
        assert_eq!(q.len(), 4);
        let mut order = Vec::new();
        while !q.is_empty() {
            let k = q.get().await.unwrap();
            q.done(&k);
            order.push(k);
        }
        assert_eq!(order, ["live", "b3", "b1", "b2"]);
        // A backlog key handed out and re-added while in flight comes back in the live lane.
        q.add_backlog("x");
        q.add_backlog("y");
        let x = q.get().await.unwrap();
        q.add_backlog("x");
        q.done(&x);
        assert_eq!(q.get().await.unwrap(), "x");
        assert_eq!(q.get().await.unwrap(), "y");
    }

    #[test]
    fn overall_bucket_limits_retries_of_many_keys() {
        let q = WorkQueue::new();
        let t0 = Instant::now();
        // A burst of 100 distinct first failures waits only the per-key 5 ms.
        for i in 0..100 {
            assert_eq!(q.retry_delay(&i, t0), BASE_DELAY, "key {i}");
        }
        // Then one token per 100 ms: the 101st waits 100 ms, the 102nd 200 ms.
        assert_eq!(q.retry_delay(&100, t0), Duration::from_millis(100));
        assert_eq!(q.retry_delay(&101, t0), Duration::from_millis(200));
        // Refilled after a while; the per-key backoff counts on its own.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(q.retry_delay(&0, later), Duration::from_millis(10));
        assert_eq!(q.num_requeues(&0), 2);
    }

    #[test]
    fn bucket_refills_at_qps_up_to_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 2, t0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::from_millis(100));
        // 100 ms later the reserved token is paid for; the next one waits another 100 ms.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(b.reserve(t1), Duration::from_millis(100));
        // Never more than `burst` saved up.
        let t2 = t1 + Duration::from_secs(3600);
        assert_eq!(b.reserve(t2), Duration::ZERO);
        assert_eq!(b.reserve(t2), Duration::ZERO);
        assert!(b.reserve(t2) > Duration::ZERO);
    }

    #[test]
    fn unavailable_retries_back_off_without_counting() {
        let q = WorkQueue::new();
        let t0 = Instant::now();
        let delays: Vec<Duration> = (0..4).map(|_| q.unavailable_delay(&"k", t0)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(delays, [ms(5), ms(10), ms(20), ms(40)]);
        assert_eq!(q.num_requeues(&"k"), 0);
        for _ in 0..40 {
            q.unavailable_delay(&"k", t0 + Duration::from_secs(3600));
        }
        assert_eq!(
            q.unavailable_delay(&"k", t0 + Duration::from_secs(7200)),
            MAX_UNAVAILABLE_DELAY
        );
        // A failure of the object itself has its own count.
        assert_eq!(q.retry_delay(&"k", t0 + Duration::from_secs(7200)), ms(5));
        assert_eq!(q.num_requeues(&"k"), 1);
        q.forget(&"k");
        assert_eq!(
            q.unavailable_delay(&"k", t0 + Duration::from_secs(7200)),
            ms(5)
        );
    }

    #[tokio::test]
    async fn rate_limited_adds_count_failures() {
        let q = WorkQueue::new();
        q.add_rate_limited("x");
        q.add_rate_limited("x");
        assert_eq!(q.num_requeues(&"x"), 2);
        let k = tokio::time::timeout(Duration::from_secs(2), q.get())
            .await
            .unwrap();
        assert_eq!(k, Some("x"));
        q.forget(&"x");
        assert_eq!(q.num_requeues(&"x"), 0);
    }
}
