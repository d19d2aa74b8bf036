//! `/readyz`, the readiness probe upstream added in v0.39: `503 not ready` until every namespace
//! the controller serves has its watches started, then `200 ok`. `/healthz` stays a pure
//! liveness check, so a slow start (a long `--additional-namespaces` list) is not mistaken for a
//! hung process. Like `/healthz`, it has no metrics and no rate limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

const TEXT: &str = "text/plain; charset=utf-8";

/// Set once, when startup has started every watch; shared with the HTTP handler.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Not ready yet.
    pub fn new() -> Readiness {
        Readiness::default()
    }

    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The answer upstream gives: the same content type either way, methods not checked.
pub fn answer(readiness: &Readiness) -> Response {
    if readiness.is_ready() {
        (StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, TEXT)],
            "not ready\n",
        )
            .into_response()
    }
}

/// A router with only `/readyz`, merged into the API router on `--listen-addr`.
pub fn router(readiness: Readiness) -> Router {
    Router::new().route(
        "/readyz",
        any(move || {
            let readiness = readiness.clone();
            async move { answer(&readiness) }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body(response: Response) -> (StatusCode, String, String) {
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = to_bytes(response.into_body(), 1024).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn not_ready_until_set() {
        let readiness = Readiness::new();
        let (status, content_type, text) = body(answer(&readiness)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(content_type, TEXT);
        assert_eq!(text, "not ready\n");

        readiness.clone().set_ready();
        let (status, content_type, text) = body(answer(&readiness)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, TEXT);
        assert_eq!(text, "ok\n");
    }

    #[tokio::test]
    async fn routed_for_any_method() {
        use tower::Service;
        let readiness = Readiness::new();
        readiness.set_ready();
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/readyz")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router(readiness).call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
