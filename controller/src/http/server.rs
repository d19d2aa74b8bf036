//! Serving a router over HTTP/1.1 with the limits a small pod needs, which `axum::serve` does
//! not set: a header-read timeout (a client trickling its request line and headers is dropped),
//! a cap on open connections, and the peer address in each request's extensions (the rate
//! limiter keys on it).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Time allowed from a connection's (or a keep-alive request's) first byte to the end of
    /// the headers.
    pub header_read_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
}

/// Upstream uses `--read-timeout` (2 minutes) for the headers too; a client inside the cluster
/// sends them at once, so more than this is only a slow-headers attack holding a connection.
pub const MAX_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl ServerLimits {
    pub fn from_read_timeout(read_timeout: Duration) -> Self {
        let header_read_timeout = if read_timeout.is_zero() {
            MAX_HEADER_READ_TIMEOUT
        } else {
            read_timeout.min(MAX_HEADER_READ_TIMEOUT)
        };
        Self {
            header_read_timeout,
            max_connections: 512,
        }
    }
}

/// Accepts connections on `listener` until an unrecoverable error.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let router = router.clone();
        // The router with `ConnectInfo(peer)` in every request, as axum's own server puts it.
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::Service::call(&mut router.clone(), request)
        });
        tokio::spawn(async move {
            let _slot = slot;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, peer = %peer, "HTTP connection ended with an error");
            }
        });
    }
}

/// Errors that concern only the connection being accepted.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Instant;

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    async fn start(limits: ServerLimits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
        tokio::spawn(serve(listener, router, limits));
        addr
    }

    #[tokio::test]
    async fn slow_headers_are_cut_off() {
        let addr = start(ServerLimits {
            header_read_timeout: Duration::from_millis(300),
            max_connections: 8,
        })
        .await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        stream
            .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        // Never finishes the headers: the server must close the connection.
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "connection still open after 5 s");
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[tokio::test]
    async fn requests_carry_the_peer_address() {
        let addr = start(ServerLimits::from_read_timeout(Duration::from_secs(120))).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /peer HTTP/1.0\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.0 200"), "{text}");
        assert!(text.ends_with("127.0.0.1"), "{text}");
    }

    #[test]
    fn header_timeout_never_exceeds_the_cap() {
        let l = ServerLimits::from_read_timeout(Duration::from_secs(120));
        assert_eq!(l.header_read_timeout, MAX_HEADER_READ_TIMEOUT);
        let l = ServerLimits::from_read_timeout(Duration::from_secs(2));
        assert_eq!(l.header_read_timeout, Duration::from_secs(2));
    }
}
