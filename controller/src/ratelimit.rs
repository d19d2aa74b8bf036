//! GCRA rate limiting for `/v1/verify`, with the numbers upstream's limiter (throttled v2) gives:
//! emission interval = 1s / rate, `limit = burst + 1` requests may pass at once, and the
//! `X-RateLimit-*` / `Retry-After` values it reports. Pure: the caller passes the clock.

use std::collections::HashMap;
use std::time::Duration;

/// Upstream's in-memory store holds this many keys.
pub const MAX_KEYS: usize = 65536;

/// What one request learns from the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Time until the bucket is full again.
    pub reset_after: Duration,
    /// Only when refused.
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// The response headers, values as upstream formats them (seconds rounded up).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            ("X-RateLimit-Reset", ceil_secs(self.reset_after).to_string()),
        ];
        if let Some(r) = self.retry_after {
            h.push(("Retry-After", ceil_secs(r).to_string()));
        }
        h
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[derive(Debug)]
pub struct Gcra {
    emission: Duration,
    tolerance: Duration,
    limit: u32,
    /// Key → theoretical arrival time, as time since the limiter's epoch.
    tat: HashMap<String, Duration>,
}

impl Gcra {
    /// `rate` per second (must be > 0), `burst` extra requests at once.
    pub fn new(rate: u32, burst: u32) -> Self {
        let emission = Duration::from_secs(1) / rate.max(1);
        let limit = burst.saturating_add(1);
        Self {
            emission,
            tolerance: emission * limit,
            limit,
            tat: HashMap::new(),
        }
    }

    /// The key upstream derives from a request: lower-cased X-Forwarded-For, then the path.
    pub fn key(forwarded_for: Option<&str>, path: &str) -> String {
        format!(
            "{}\n{}\n",
            forwarded_for.unwrap_or_default().to_lowercase(),
            path
        )
    }

    /// One request for `key` at time `now` (time since any fixed epoch, monotonic).
    pub fn check(&mut self, key: &str, now: Duration) -> Decision {
        let tat = self.tat.get(key).copied().unwrap_or(now).max(now);
        let new_tat = tat + self.emission;
        let (allowed, ttl, retry_after) = if new_tat > now + self.tolerance {
            // Refused: the bucket is not changed.
            (
                false,
                tat.saturating_sub(now),
                Some(new_tat - self.tolerance - now),
            )
        } else {
            self.store(key, new_tat, now);
            (true, new_tat - now, None)
        };
        // `tolerance - ttl` left over, in whole emission intervals.
        let remaining = if ttl <= self.tolerance {
            ((self.tolerance - ttl).as_nanos() / self.emission.as_nanos().max(1)) as u32
        } else {
            0
        };
        Decision {
            allowed,
            limit: self.limit,
            remaining,
            reset_after: ttl,
            retry_after,
        }
    }

    fn store(&mut self, key: &str, tat: Duration, now: Duration) {
        if self.tat.len() >= MAX_KEYS && !self.tat.contains_key(key) {
            self.tat.retain(|_, t| *t > now);
            if self.tat.len() >= MAX_KEYS {
                // Every bucket is busy: forget the one closest to full recovery.
                if let Some(k) = self
                    .tat
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone())
                {
                    self.tat.remove(&k);
                }
            }
        }
        self.tat.insert(key.to_string(), tat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn defaults_let_three_through_then_refuse() {
        let mut g = Gcra::new(2, 2);
        let k = Gcra::key(None, "/v1/verify");
        let t0 = Duration::from_secs(100);
        let d1 = g.check(&k, t0);
        assert!(d1.allowed);
        assert_eq!((d1.limit, d1.remaining), (3, 2));
        let d2 = g.check(&k, t0);
        assert!(d2.allowed);
        assert_eq!(d2.remaining, 1);
        let d3 = g.check(&k, t0);
        assert!(d3.allowed);
        assert_eq!(d3.remaining, 0);
        let d4 = g.check(&k, t0);
        assert!(!d4.allowed);
        assert_eq!(d4.remaining, 0);
        assert_eq!(d4.retry_after, Some(500 * MS));
        assert_eq!(d4.reset_after, 1500 * MS);
        let h = d4.headers();
        assert!(h.contains(&("Retry-After", "1".to_string())));
        assert!(h.contains(&("X-RateLimit-Reset", "2".to_string())));
        assert!(h.contains(&("X-RateLimit-Limit", "3".to_string())));
        assert!(d3.headers().iter().all(|(n, _)| *n != "Retry-After"));
        // One more every 500 ms.
        assert!(g.check(&k, t0 + 500 * MS).allowed);
        assert!(!g.check(&k, t0 + 600 * MS).allowed);
        assert!(g.check(&k, t0 + 1000 * MS).allowed);
    }

    #[test]
    fn keys_are_separate_per_client_and_path() {
        let mut g = Gcra::new(2, 0);
        let t0 = Duration::from_secs(1);
        assert!(
            g.check(&Gcra::key(Some("1.2.3.4"), "/v1/verify"), t0)
                .allowed
        );
        assert!(
            !g.check(&Gcra::key(Some("1.2.3.4"), "/v1/verify"), t0)
                .allowed
        );
        assert!(
            g.check(&Gcra::key(Some("5.6.7.8"), "/v1/verify"), t0)
                .allowed
        );
        assert_eq!(Gcra::key(Some("A.b"), "/p"), "a.b\n/p\n");
    }

    #[test]
    fn store_is_bounded() {
        let mut g = Gcra::new(1, 0);
        let t0 = Duration::from_secs(1);
        for i in 0..(MAX_KEYS + 10) {
            g.check(&format!("k{i}"), t0);
        }
        assert!(g.tat.len() <= MAX_KEYS);
    }
}
