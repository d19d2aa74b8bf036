//! The HTTP API on `--listen-addr` (spec §5.6): `/healthz`, `/v1/cert.pem`, `/v1/verify`,
//! `/v1/rotate`; methods are not checked, other paths give Go's 404 text.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use sealwright_crypto::SealedSecret;
use sealwright_crypto::model::{API_VERSION, KIND};
use sealwright_crypto::unseal::{self, UnsealOptions};

use crate::keystore::KeyStore;
use crate::metrics::Metrics;
use crate::ratelimit::Gcra;

const TEXT: &str = "text/plain; charset=utf-8";

#[derive(Debug)]
pub struct ApiState {
    pub keys: Arc<KeyStore>,
    pub metrics: Arc<Metrics>,
    pub limiter: Mutex<Gcra>,
    pub epoch: Instant,
    pub accept_v1_data: bool,
}

pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/healthz", any(healthz))
        .route("/v1/cert.pem", any(cert))
        .route("/v1/verify", any(verify))
        .route("/v1/rotate", any(rotate))
        .fallback(not_found)
        // Upstream reads bodies without a size cap; keep a generous one.
        .layer(DefaultBodyLimit::max(64 << 20))
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

#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    MultiDocument,
    Syntax(String),
    WrongType(String),
}

/// Decodes a posted SealedSecret (JSON or YAML). `single` refuses multi-document bodies, as
/// `/v1/verify` does upstream.
pub fn decode_sealed_secret(body: &[u8], single: bool) -> Result<SealedSecret, DecodeError> {
    let docs: Vec<serde_json::Value> =
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            serde_json::Deserializer::from_slice(body)
                .into_iter::<serde_json::Value>()
                .collect::<Result<_, _>>()
                .map_err(|e| DecodeError::Syntax(e.to_string()))?
        } else {
            let mut docs = Vec::new();
            for doc in serde_yaml::Deserializer::from_slice(body) {
                let v = serde::Deserialize::deserialize(doc)
                    .map_err(|e: serde_yaml::Error| DecodeError::Syntax(e.to_string()))?;
                if v != serde_json::Value::Null {
                    docs.push(v);
                }
            }
            docs
        };
    if single && docs.len() > 1 {
        return Err(DecodeError::MultiDocument);
    }
    let doc = docs
        .into_iter()
        .next()
        .ok_or_else(|| DecodeError::Syntax("empty body".into()))?;
    let api_version = doc
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let kind = doc
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    if api_version != API_VERSION || kind != KIND {
        return Err(DecodeError::WrongType(format!(
            "{api_version}, Kind={kind}"
        )));
    }
    serde_json::from_value(doc).map_err(|e| DecodeError::Syntax(e.to_string()))
}

fn rate_limit_headers(headers: &mut HeaderMap, pairs: Vec<(&'static str, String)>) {
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

async fn verify(
    State(state): State<Arc<ApiState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let decision = {
        let mut limiter = state.limiter.lock().unwrap_or_else(|e| e.into_inner());
        limiter.check(&Gcra::key(forwarded, "/v1/verify"), state.epoch.elapsed())
    };
    let mut response = if !decision.allowed {
        text(StatusCode::TOO_MANY_REQUESTS, "limit exceeded\n")
    } else {
        match decode_sealed_secret(&body, true) {
            Err(e) => {
                tracing::info!(error = ?e, "verify: cannot decode request body");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
            Ok(ss) => {
                let keys = state.keys.snapshot();
                let options = UnsealOptions {
                    accept_v1_data: state.accept_v1_data,
                };
                match unseal::unseal(&ss, &keys.keys, options) {
                    Ok(_) => StatusCode::OK.into_response(),
                    Err(e) => {
                        tracing::info!(error = %e, "verify: cannot unseal");
                        StatusCode::CONFLICT.into_response()
                    }
                }
            }
        }
    };
    rate_limit_headers(response.headers_mut(), decision.headers());
    observe(&state, "/v1/verify", &method, start, response)
}

/// Re-seals a posted SealedSecret with the current key. The scope comes from the top-level
/// metadata only (the v0.36.0 fix): a template that disagrees is overwritten first.
pub fn rotate_sealed_secret(
    mut ss: SealedSecret,
    keys: &crate::keyring::Snapshot,
    accept_v1_data: bool,
) -> Result<serde_json::Value, String> {
    if ss.spec.template.metadata.as_ref() != Some(&ss.metadata) {
        tracing::warn!(
            "Sealed Secret metadata doesn't match. Please align your Sealed Secret metadata"
        );
        ss.spec.template.metadata = Some(ss.metadata.clone());
    }
    let unsealed = unseal::unseal(&ss, &keys.keys, UnsealOptions { accept_v1_data })
        .map_err(|e| format!("error decrypting secret. {e}"))?;
    let current = keys
        .current
        .as_ref()
        .ok_or_else(|| "error creating new sealed secret. key registry has no keys".to_string())?;
    let resealed = sealwright_crypto::seal::seal_secret(&unsealed.secret, &current.cert.public_key)
        .map_err(|e| format!("error creating new sealed secret. {e}"))?;
    let mut json = serde_json::to_value(&resealed).map_err(|e| e.to_string())?;
    // Upstream marshals the Go struct without TypeMeta: `metadata`, `spec`, then `status` if set.
    let mut out = serde_json::Map::new();
    if let Some(obj) = json.as_object_mut() {
        for field in ["metadata", "spec", "status"] {
            if let Some(v) = obj.remove(field) {
                out.insert(field.to_string(), v);
            }
        }
    }
    Ok(serde_json::Value::Object(out))
}

async fn rotate(State(state): State<Arc<ApiState>>, method: Method, body: Bytes) -> Response {
    let start = Instant::now();
    let response = match decode_sealed_secret(&body, false) {
        Err(e) => {
            tracing::info!(error = ?e, "rotate: cannot decode request body");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Ok(ss) => match rotate_sealed_secret(ss, &state.keys.snapshot(), state.accept_v1_data) {
            Ok(json) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, TEXT)],
                json.to_string(),
            )
                .into_response(),
            Err(message) => {
                tracing::info!(error = %message, "rotate failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
    };
    observe(&state, "/v1/rotate", &method, start, response)
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
                            crate::metrics::PROMETHEUS_CONTENT_TYPE,
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
    fn decodes_json_and_yaml() {
        let json = br#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"a","namespace":"n"},"spec":{"encryptedData":{"k":"AAAA"}}}"#;
        let ss = decode_sealed_secret(json, true).unwrap();
        assert_eq!(ss.metadata.name.as_deref(), Some("a"));
        let yaml = b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\nspec:\n  encryptedData: {}\n";
        assert!(decode_sealed_secret(yaml, true).is_ok());
        let multi = b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\nspec: {}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: b\nspec: {}\n";
        assert_eq!(
            decode_sealed_secret(multi, true).unwrap_err(),
            DecodeError::MultiDocument
        );
        assert!(decode_sealed_secret(multi, false).is_ok());
        let two_json = [json.as_slice(), json.as_slice()].concat();
        assert_eq!(
            decode_sealed_secret(&two_json, true).unwrap_err(),
            DecodeError::MultiDocument
        );
        let secret = br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}"#;
        assert!(matches!(
            decode_sealed_secret(secret, true),
            Err(DecodeError::WrongType(_))
        ));
        assert!(matches!(
            decode_sealed_secret(b"{", true),
            Err(DecodeError::Syntax(_))
        ));
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_address(":8080"), "0.0.0.0:8080");
        assert_eq!(listen_address("127.0.0.1:1"), "127.0.0.1:1");
    }
}
