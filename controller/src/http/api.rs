//! The HTTP API on `--listen-addr` ([server.go]): `/healthz`, `/v1/cert.pem`, `/v1/verify`,
//! `/v1/rotate`; methods are not checked, other paths give Go's 404 text.
//!
//! `/v1/verify` and `/v1/rotate` answer anyone who can reach the Service, so they never render
//! `spec.template.data` (that would be a decryption oracle), are rate-limited per client, and do
//! their work in a bounded pool (`http::pool`).
//!
//! [server.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/server.go

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::open;
use sealwright_crypto::rotate::{self, RotateError, RotateOptions};
use sealwright_crypto::unseal::UnsealOptions;

use crate::http::metrics::Metrics;
use crate::http::pool::WorkPool;
use crate::http::request_body::{DecodeError, decode_sealed_secret};
use crate::logic::keyring::Snapshot;
use crate::logic::ratelimit::{ClientKey, Endpoint, Gcra};
use crate::runtime::keystore::KeyStore;

const TEXT: &str = "text/plain; charset=utf-8";

/// The largest request body read. etcd stores at most ~1.5 MiB per object, so no real
/// SealedSecret is bigger; upstream reads bodies of any size.
pub const MAX_BODY_BYTES: usize = 2 << 20;

/// How long a client may take to send its body once admitted (it holds a place in the pool
/// meanwhile). A body of `MAX_BODY_BYTES` takes milliseconds inside a cluster.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct ApiState {
    pub keys: Arc<KeyStore>,
    pub metrics: Arc<Metrics>,
    pub limiter: Mutex<Gcra>,
    pub pool: WorkPool,
    pub epoch: Instant,
    pub accept_v1_data: bool,
}

pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/healthz", any(healthz))
        .route("/v1/cert.pem", any(cert))
        .route("/v1/verify", any(pooled_endpoint))
        .route("/v1/rotate", any(pooled_endpoint))
        .fallback(not_found)
        .with_state(state)
}

fn text(code: StatusCode, body: &'static str) -> Response {
    (code, [(header::CONTENT_TYPE, TEXT)], body).into_response()
}

/// Go's `http.NotFound`.
pub async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 page not found\n")
}

async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n")
}

fn observe(
    state: &ApiState,
    path: &str,
    method: &Method,
    start: Instant,
    response: Response,
) -> Response {
    state.metrics.observe_http(
        path,
        method.as_str(),
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

async fn cert(State(state): State<Arc<ApiState>>, method: Method) -> Response {
    let start = Instant::now();
    let snapshot = state.keys.snapshot();
    let response = match snapshot.current_cert_pem() {
        Some(pem) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            pem.to_string(),
        )
            .into_response(),
        None => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot get certificate\n",
        ),
    };
    observe(&state, "/v1/cert.pem", &method, start, response)
}

fn rate_limit_headers(headers: &mut HeaderMap, pairs: Vec<(&'static str, String)>) {
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

/// What `/v1/verify` answers for a body (upstream's `AttemptUnseal`): 200 when every item
/// opens, 409 when one does not, 500 for a body that is not one SealedSecret, and 400 for a
/// body that is not YAML. There upstream's handler panics and Go drops the connection; a
/// clear answer is better than copying that.
pub fn verify_answer(body: &[u8], keys: &Snapshot, accept_v1_data: bool) -> StatusCode {
    match decode_sealed_secret(body, true) {
        Err(e @ DecodeError::Unreadable) => {
            tracing::info!(error = %e, kind = e.name(), "verify: request body is not YAML");
            StatusCode::BAD_REQUEST
        }
        Err(e) => {
            tracing::info!(error = %e, kind = e.name(), "verify: cannot decode request body");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Ok(ss) => {
            match open::validate_encrypted_data(&ss, &keys.keys, UnsealOptions { accept_v1_data }) {
                Ok(()) => StatusCode::OK,
                Err(e) => {
                    tracing::info!(error = %e, kind = e.name(), "verify: cannot decrypt");
                    StatusCode::CONFLICT
                }
            }
        }
    }
}

/// What `/v1/rotate` answers for a body: the SealedSecret re-sealed with the current key as
/// compact JSON, or `Err` (500, message for the log only).
pub fn rotate_answer(body: &[u8], keys: &Snapshot, accept_v1_data: bool) -> Result<String, String> {
    let ss = decode_sealed_secret(body, false).map_err(|e| e.to_string())?;
    let resealed = rotate_sealed_secret(ss, keys, accept_v1_data)?;
    Ok(sealwright_crypto::gojson::to_go_json_compact(&resealed))
}

/// Re-seals a posted SealedSecret with the current key ([`rotate`]): the template metadata is
/// aligned to the top-level metadata and `spec.template.data` is carried over unchanged
/// (upstream drops it, losing it on `kubeseal --re-encrypt`).
pub fn rotate_sealed_secret(
    ss: SealedSecret,
    keys: &Snapshot,
    accept_v1_data: bool,
) -> Result<serde_json::Value, String> {
    if !rotate::metadata_aligned(&ss) {
        tracing::warn!(
            "Sealed Secret metadata doesn't match. Please align your Sealed Secret metadata"
        );
    }
    let current = keys.current.as_ref().map(|k| &k.cert.public_key);
    let options = RotateOptions {
        accept_v1_data,
        require_name: false,
    };
    let resealed = rotate::rotate(ss, &keys.keys, current, options).map_err(|e| match e {
        RotateError::Unseal(e) => format!("error decrypting secret. {e}"),
        RotateError::NoSealingKey => "error getting latest private key. no key".to_string(),
        RotateError::Seal(e) => format!("error creating new sealed secret. {e}"),
    })?;
    // Upstream marshals the Go struct without TypeMeta: `metadata`, `spec` (no status).
    let mut json = sealwright_crypto::goobject::sealed_secret(&resealed);
    if let Some(obj) = json.as_object_mut() {
        obj.shift_remove("kind");
        obj.shift_remove("apiVersion");
    }
    Ok(json)
}

/// What a pooled endpoint computes: a status and, for 200, a body.
type Answer = (StatusCode, Option<String>);

type Job = fn(&[u8], &Snapshot, bool) -> Answer;

/// Rate limit, admission to the pool, body read, then `job` on a blocking thread. Every answer
/// carries the rate-limit headers, as upstream's limiter sets them before the handler runs.
async fn pooled(
    state: &ApiState,
    endpoint: Endpoint,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    body: Body,
    job: Job,
) -> Response {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    let key = ClientKey::new(peer.map(|p| p.ip()), forwarded, endpoint);
    let decision = {
        let mut limiter = state.limiter.lock().unwrap_or_else(|e| e.into_inner());
        limiter.check(&key, state.epoch.elapsed())
    };
    let mut response = if !decision.allowed {
        text(StatusCode::TOO_MANY_REQUESTS, "limit exceeded\n")
    } else {
        run_pooled(state, body, job).await
    };
    rate_limit_headers(response.headers_mut(), decision.headers());
    response
}

async fn run_pooled(state: &ApiState, body: Body, job: Job) -> Response {
    let Ok(admission) = state.pool.admit() else {
        let mut busy = text(StatusCode::SERVICE_UNAVAILABLE, "busy, retry later\n");
        busy.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return busy;
    };
    let bytes: Bytes = match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "request body too slow\n"),
        Ok(Err(e)) if is_too_large(&e) => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "cannot read request body");
            return StatusCode::BAD_REQUEST.into_response();
        }
        Ok(Ok(bytes)) => bytes,
    };
    let keys = state.keys.snapshot();
    let accept_v1_data = state.accept_v1_data;
    match admission
        .run(move || job(&bytes, &keys, accept_v1_data))
        .await
    {
        Ok((code, None)) => code.into_response(),
        // Upstream sets its JSON content type after writing the status, so Go sniffs text/plain.
        Ok((code, Some(body))) => (code, [(header::CONTENT_TYPE, TEXT)], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, kind = e.name(), "request handler failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn is_too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

fn verify_job(body: &[u8], keys: &Snapshot, accept_v1_data: bool) -> Answer {
    (verify_answer(body, keys, accept_v1_data), None)
}

fn rotate_job(body: &[u8], keys: &Snapshot, accept_v1_data: bool) -> Answer {
    match rotate_answer(body, keys, accept_v1_data) {
        Ok(json) => (StatusCode::OK, Some(json)),
        Err(message) => {
            tracing::info!(error = %message, "rotate failed");
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        }
    }
}

/// `/v1/verify` and `/v1/rotate`; the router only sends those two exact paths here.
async fn pooled_endpoint(
    State(state): State<Arc<ApiState>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let start = Instant::now();
    let peer = peer.map(|Extension(ConnectInfo(p))| p);
    let (path, endpoint, job): (&str, Endpoint, Job) = if uri.path() == "/v1/rotate" {
        ("/v1/rotate", Endpoint::Rotate, rotate_job)
    } else {
        ("/v1/verify", Endpoint::Verify, verify_job)
    };
    let response = pooled(&state, endpoint, peer, &headers, body, job).await;
    observe(&state, path, &method, start, response)
}

/// Bounds each request (body read plus handling) by `limit`, standing in for Go's
/// `ReadTimeout` + `WriteTimeout`; an expired request gets a 503 and the connection is dropped.
pub fn with_deadline(router: Router, limit: std::time::Duration) -> Router {
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(limit, next.run(req)).await {
                Ok(response) => response,
                Err(_) => {
                    let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
                    r.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    r
                }
            }
        },
    ))
}

/// The metrics server: `/metrics` only.
pub fn metrics_router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            any(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            crate::http::metrics::PROMETHEUS_CONTENT_TYPE,
                        )],
                        metrics.render(),
                    )
                        .into_response()
                }
            }),
        )
        .fallback(not_found)
}

/// Go's `:8080` means every interface.
pub fn listen_address(addr: &str) -> String {
    if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_address(":8080"), "0.0.0.0:8080");
        assert_eq!(listen_address("127.0.0.1:1"), "127.0.0.1:1");
    }
}
