//! Client-side rate limit of Kubernetes API calls (`--kubeclient-qps`, `--kubeclient-burst`): a
//! token bucket as a tower layer on the kube client. Each request takes one token; tokens refill
//! at `qps` per second up to `burst`. A request without a token waits in `poll_ready`, which the
//! client's buffer calls one request at a time, so waiting requests keep their order.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tower::{Layer, Service};

/// The bucket itself. Pure: time comes in as an argument.
#[derive(Debug, Clone)]
pub struct Bucket {
    qps: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket. `burst` below 1 is taken as 1 so that requests can pass at all.
    pub fn new(qps: f64, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            qps,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) / self.qps))
    }
}

/// The layer. `None` (a negative qps) means no limit, as client-go.
#[derive(Debug, Clone)]
pub struct ThrottleLayer {
    bucket: Option<Arc<Mutex<Bucket>>>,
}

impl ThrottleLayer {
    /// client-go's rule: qps 0 means its default of 5 (burst 10 when burst is 0 too);
    /// a negative qps turns the limit off.
    pub fn new(qps: f32, burst: u32) -> Self {
        if qps < 0.0 || !qps.is_finite() {
            return Self { bucket: None };
        }
        let (qps, burst) = if qps == 0.0 {
            (5.0, if burst == 0 { 10 } else { burst })
        } else {
            (f64::from(qps), burst)
        };
        Self {
            bucket: Some(Arc::new(Mutex::new(Bucket::new(
                qps,
                burst,
                Instant::now(),
            )))),
        }
    }
}

impl<S> Layer<S> for ThrottleLayer {
    type Service = Throttle<S>;
    fn layer(&self, inner: S) -> Throttle<S> {
        Throttle {
            inner,
            bucket: self.bucket.clone(),
            wait: None,
            has_token: false,
        }
    }
}

pub struct Throttle<S> {
    inner: S,
    bucket: Option<Arc<Mutex<Bucket>>>,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
    has_token: bool,
}

impl<S> std::fmt::Debug for Throttle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("limited", &self.bucket.is_some())
            .field("has_token", &self.has_token)
            .finish_non_exhaustive()
    }
}

impl<S, R> Service<R> for Throttle<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if let Some(bucket) = &self.bucket {
            while !self.has_token {
                if let Some(wait) = self.wait.as_mut() {
                    if wait.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.wait = None;
                }
                // A poisoned lock only means a panic elsewhere; the counts stay usable.
                let taken = bucket
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .try_take(Instant::now());
                match taken {
                    Ok(()) => self.has_token = true,
                    Err(d) => self.wait = Some(Box::pin(tokio::time::sleep(d))),
                }
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        self.has_token = false;
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10.0, 3, t0);
        assert!(b.try_take(t0).is_ok());
        assert!(b.try_take(t0).is_ok());
        assert!(b.try_take(t0).is_ok());
        let wait = b.try_take(t0).unwrap_err();
        assert!(wait <= Duration::from_millis(100) && wait >= Duration::from_millis(99));
        assert!(b.try_take(t0 + Duration::from_millis(100)).is_ok());
        // Long idle refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(b.try_take(later).is_ok());
        }
        assert!(b.try_take(later).is_err());
    }

    #[test]
    fn client_go_defaults_and_off() {
        assert!(ThrottleLayer::new(-1.0, 10).bucket.is_none());
        assert!(ThrottleLayer::new(0.0, 0).bucket.is_some());
    }

    #[tokio::test]
    async fn layer_paces_requests() {
        use tower::Service as _;
        #[derive(Clone)]
        struct Echo;
        impl Service<u32> for Echo {
            type Response = u32;
            type Error = std::convert::Infallible;
            type Future = std::future::Ready<Result<u32, Self::Error>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, r: u32) -> Self::Future {
                std::future::ready(Ok(r))
            }
        }
        let mut svc = ThrottleLayer::new(50.0, 2).layer(Echo);
        let start = Instant::now();
        for i in 0..7 {
            std::future::poll_fn(|cx| svc.poll_ready(cx)).await.unwrap();
            assert_eq!(svc.call(i).await.unwrap(), i);
        }
        // 2 from the burst, 5 more at 50/s: about 100 ms.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(90), "{took:?}");
    }
}
