//! GCRA rate limiting for `/v1/verify` and `/v1/rotate`, with the numbers upstream's limiter
//! (throttled v2) gives: emission interval = 1s / rate, `limit = burst + 1` requests may pass at
//! once, and the `X-RateLimit-*` / `Retry-After` values it reports. Pure: the caller passes the
//! clock.
//!
//! Unlike upstream, a client cannot pick its own bucket:
//! - the key is the TCP peer plus the *last* `X-Forwarded-For` hop, which the API server's
//!   service proxy appends itself (earlier hops are whatever the client sent);
//! - the table is bounded, and only buckets that have fully recovered (indistinguishable from a
//!   fresh one) are ever dropped. When every slot holds a bucket that is still limiting someone,
//!   new keys share one overflow bucket, so a flood of invented keys cannot push real clients
//!   out nor get more than one bucket's worth of requests through.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// As many keys as upstream's in-memory store holds.
pub const MAX_KEYS: usize = 65536;

/// How often a full table may be swept for recovered buckets: a sweep is O(table), so it
/// must not run on every request of a flood.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

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

/// Who a request counts against. Fixed size, so the table's memory is bounded by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The TCP peer (the API server, for requests through its service proxy).
    pub peer: Option<IpAddr>,
    /// The last `X-Forwarded-For` hop, when it is an address.
    pub forwarded: Option<IpAddr>,
    /// Each endpoint has its own buckets, as upstream's (it varies by path).
    pub endpoint: Endpoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Verify,
    Rotate,
}

impl ClientKey {
    /// `forwarded_for` is every `X-Forwarded-For` header value in order; only the last hop of
    /// the last one is read, since a proxy appends its own hop there.
    pub fn new<'a>(
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
        endpoint: Endpoint,
    ) -> Self {
        let forwarded = forwarded_for
            .into_iter()
            .last()
            .and_then(|v| v.rsplit(',').next())
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
        Self {
            peer,
            forwarded,
            endpoint,
        }
    }
}

#[derive(Debug)]
pub struct Gcra {
    emission: Duration,
    tolerance: Duration,
    limit: u32,
    max_keys: usize,
    /// Key → theoretical arrival time, as time since the limiter's epoch.
    tat: HashMap<ClientKey, Duration>,
    /// Shared by every key that finds the table full of busy buckets.
    overflow: Duration,
    last_sweep: Option<Duration>,
}

impl Gcra {
    /// `rate` per second (must be > 0), `burst` extra requests at once.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self::with_capacity(rate, burst, MAX_KEYS)
    }

    pub fn with_capacity(rate: u32, burst: u32, max_keys: usize) -> Self {
        let emission = Duration::from_secs(1) / rate.max(1);
        let limit = burst.saturating_add(1);
        Self {
            emission,
            tolerance: emission.saturating_mul(limit),
            limit,
            max_keys: max_keys.max(1),
            tat: HashMap::new(),
            overflow: Duration::ZERO,
            last_sweep: None,
        }
    }

    /// One request for `key` at time `now` (time since any fixed epoch, monotonic).
    pub fn check(&mut self, key: &ClientKey, now: Duration) -> Decision {
        let existing = self.tat.get(key).copied();
        let slot = match existing {
            Some(t) => Some(t),
            None if self.has_room(now) => Some(now),
            None => None,
        };
        let tat = slot.unwrap_or(self.overflow).max(now);
        let new_tat = tat + self.emission;
        let (allowed, ttl, retry_after) = if new_tat > now + self.tolerance {
            // Refused: the bucket is not changed.
            (
                false,
                tat.saturating_sub(now),
                Some(new_tat - self.tolerance - now),
            )
        } else {
            match slot {
                Some(_) => {
                    self.tat.insert(*key, new_tat);
                }
                None => self.overflow = new_tat,
            }
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

    /// Whether a new key may have a bucket of its own. A full table drops the buckets that
    /// have recovered (at most once per sweep interval), never one that still limits a client.
    fn has_room(&mut self, now: Duration) -> bool {
        if self.tat.len() < self.max_keys {
            return true;
        }
        let due = self
            .last_sweep
            .is_none_or(|last| now.saturating_sub(last) >= SWEEP_INTERVAL);
        if due {
            self.last_sweep = Some(now);
            self.tat.retain(|_, tat| *tat > now);
        }
        self.tat.len() < self.max_keys
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tat.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn key(forwarded: &str) -> ClientKey {
        ClientKey::new(
            Some("10.0.0.1".parse().unwrap()),
            [forwarded],
            Endpoint::Verify,
        )
    }

    #[test]
    fn defaults_let_three_through_then_refuse() {
        let mut g = Gcra::new(2, 2);
        let k = ClientKey::new(None, [], Endpoint::Verify);
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
    fn only_the_last_forwarded_hop_counts() {
        let peer = Some("10.0.0.1".parse().unwrap());
        let via_proxy = |header: &str| ClientKey::new(peer, [header], Endpoint::Verify);
        // What a client puts in front of the proxy's own hop changes nothing.
        assert_eq!(via_proxy("1.1.1.1, 192.0.2.7"), via_proxy("192.0.2.7"));
        assert_eq!(via_proxy("junk,  192.0.2.7 "), via_proxy("192.0.2.7"));
        assert_ne!(via_proxy("192.0.2.7"), via_proxy("192.0.2.8"));
        // Several header lines: the last one is the proxy's.
        assert_eq!(
            ClientKey::new(peer, ["192.0.2.9", "3.3.3.3, 192.0.2.7"], Endpoint::Verify),
            via_proxy("192.0.2.7")
        );
        // Something that is not an address is no key of its own.
        assert_eq!(via_proxy("anything"), via_proxy("other"));
        assert_eq!(
            via_proxy("anything"),
            ClientKey::new(peer, [], Endpoint::Verify)
        );
        // IPv6 hops, and the peer is part of the key.
        assert_ne!(via_proxy("2001:db8::1"), via_proxy("2001:db8::2"));
        assert_ne!(
            ClientKey::new(
                Some("10.0.0.2".parse().unwrap()),
                ["192.0.2.7"],
                Endpoint::Verify
            ),
            via_proxy("192.0.2.7")
        );
        assert_ne!(
            ClientKey::new(peer, ["192.0.2.7"], Endpoint::Rotate),
            via_proxy("192.0.2.7")
        );
    }

    #[test]
    fn a_client_cannot_refill_its_bucket_by_changing_the_header() {
        let mut g = Gcra::new(2, 2);
        let t0 = Duration::from_secs(1);
        let allowed = (0..20)
            .filter(|i| {
                g.check(&key(&format!("203.0.113.{i}, 192.0.2.7")), t0)
                    .allowed
            })
            .count();
        assert_eq!(allowed, 3);
    }

    #[test]
    fn a_flood_of_keys_never_evicts_a_busy_bucket() {
        let mut g = Gcra::with_capacity(2, 2, 100);
        let t0 = Duration::from_secs(1);
        let real = key("192.0.2.7");
        for _ in 0..3 {
            assert!(g.check(&real, t0).allowed);
        }
        assert!(!g.check(&real, t0).allowed);
        // Invented keys, far more than the table holds, all at once.
        let flood_allowed = (0..10_000u32)
            .filter(|i| {
                let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
                g.check(&key(&ip.to_string()), t0).allowed
            })
            .count();
        assert_eq!(g.len(), 100);
        // One request for each of the 99 free slots, then the shared overflow bucket's 3.
        assert_eq!(flood_allowed, 99 + 3);
        // The real client is still limited (its bucket survived) ...
        assert!(!g.check(&real, t0 + 100 * MS).allowed);
        // ... and recovers on its own schedule.
        assert!(g.check(&real, t0 + 500 * MS).allowed);
    }

    #[test]
    fn recovered_buckets_make_room() {
        let mut g = Gcra::with_capacity(2, 0, 10);
        let t0 = Duration::from_secs(1);
        for i in 0..10 {
            assert!(g.check(&key(&format!("192.0.2.{i}")), t0).allowed);
        }
        // Full and busy: a new key shares the overflow bucket.
        assert!(g.check(&key("192.0.2.100"), t0).allowed);
        assert!(!g.check(&key("192.0.2.101"), t0).allowed);
        // Once they have recovered, new keys get buckets of their own again.
        let later = t0 + Duration::from_secs(2);
        assert!(g.check(&key("192.0.2.101"), later).allowed);
        assert_eq!(g.len(), 1);
    }
}
