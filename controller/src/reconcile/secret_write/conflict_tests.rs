//! `write_update` against a fake API server that answers like a real one: a PUT whose
//! resourceVersion is not the stored one gets 409, and "another writer" bumps the stored version
//! before each of the first `conflicts` PUTs.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use axum::http::{Request, Response, StatusCode};
use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Client;
use kube::client::Body;
use sealwright_crypto::model::MANAGED_ANNOTATION;

use super::*;

#[derive(Debug, Default)]
struct State {
    stored: Secret,
    version: u64,
    /// PUTs still to be beaten by another writer.
    conflicts: usize,
    /// The other writer also takes the Secret away from us.
    disown: bool,
    puts: usize,
    gets: usize,
}

#[derive(Debug, Clone)]
struct FakeApiServer(Arc<Mutex<State>>);

type Reply = Response<Body>;

fn json(code: StatusCode, value: &impl serde::Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r
}

fn conflict() -> Reply {
    json(
        StatusCode::CONFLICT,
        &serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "Operation cannot be fulfilled on secrets \"s\": the object has been modified",
            "reason": "Conflict", "code": 409,
        }),
    )
}

impl FakeApiServer {
    fn handle(&self, method: &str, body: &[u8]) -> Reply {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if method == "GET" {
            s.gets += 1;
            return json(StatusCode::OK, &s.stored);
        }
        s.puts += 1;
        if s.conflicts > 0 {
            s.conflicts -= 1;
            s.version += 1;
            let version = s.version.to_string();
            s.stored.metadata.resource_version = Some(version);
            if s.disown {
                s.stored.metadata.annotations = None;
            }
        }
        let Ok(sent) = serde_json::from_slice::<Secret>(body) else {
            return json(StatusCode::BAD_REQUEST, &"not a Secret");
        };
        if sent.metadata.resource_version != s.stored.metadata.resource_version {
            return conflict();
        }
        s.version += 1;
        s.stored = sent;
        s.stored.metadata.resource_version = Some(s.version.to_string());
        json(StatusCode::OK, &s.stored)
    }
}

impl tower::Service<Request<Body>> for FakeApiServer {
    type Response = Reply;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Reply, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let method = req.method().as_str().to_string();
            let body = req.into_body().collect_bytes().await.unwrap_or_default();
            Ok(this.handle(&method, &body))
        })
    }
}

fn data(v: &str) -> Option<BTreeMap<String, ByteString>> {
    Some([("v".to_string(), ByteString(v.as_bytes().to_vec()))].into())
}

/// A `managed` Secret at version 1 and the unsealed Secret that should replace it.
fn setup(conflicts: usize, disown: bool) -> (FakeApiServer, Api<Secret>, Secret, Secret) {
    let existing = Secret {
        metadata: ObjectMeta {
            name: Some("s".into()),
            namespace: Some("ns".into()),
            resource_version: Some("1".into()),
            annotations: Some([(MANAGED_ANNOTATION.to_string(), "true".to_string())].into()),
            ..Default::default()
        },
        data: data("old"),
        ..Default::default()
    };
    let unsealed = Secret {
        metadata: ObjectMeta {
            name: Some("s".into()),
            namespace: Some("ns".into()),
            owner_references: Some(vec![OwnerReference {
                api_version: "bitnami.com/v1alpha1".into(),
                kind: "SealedSecret".into(),
                name: "s".into(),
                uid: "ss-uid".into(),
                controller: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        },
        data: data("new"),
        ..Default::default()
    };
    let fake = FakeApiServer(Arc::new(Mutex::new(State {
        stored: existing.clone(),
        version: 1,
        conflicts,
        disown,
        ..Default::default()
    })));
    let api = Api::namespaced(Client::new(fake.clone(), "ns"), "ns");
    (fake, api, existing, unsealed)
}

fn state(fake: &FakeApiServer) -> std::sync::MutexGuard<'_, State> {
    fake.0.lock().unwrap_or_else(|e| e.into_inner())
}

#[tokio::test]
async fn conflicts_are_retried_on_a_fresh_read() {
    let (fake, api, existing, unsealed) = setup(CONFLICT_RETRIES, false);
    let conflicts = Counter::default();
    let rv = write_update(
        &api,
        "s",
        "ss-uid",
        existing,
        &unsealed,
        WriteMode::Update,
        &conflicts,
    )
    .await;
    let s = state(&fake);
    assert_eq!(rv.ok().flatten(), s.stored.metadata.resource_version);
    assert_eq!(s.stored.data, data("new"));
    assert_eq!(conflicts.get(), CONFLICT_RETRIES as u64);
    assert_eq!((s.puts, s.gets), (CONFLICT_RETRIES + 1, CONFLICT_RETRIES));
}

#[tokio::test]
async fn too_many_conflicts_fail_the_pass() {
    let (fake, api, existing, unsealed) = setup(CONFLICT_RETRIES + 1, false);
    let conflicts = Counter::default();
    let result = write_update(
        &api,
        "s",
        "ss-uid",
        existing,
        &unsealed,
        WriteMode::Update,
        &conflicts,
    )
    .await;
    let code = result.err().and_then(|e| crate::error::api_code(&e));
    assert_eq!(code, Some(409));
    assert_eq!(conflicts.get(), CONFLICT_RETRIES as u64);
    assert_eq!(state(&fake).stored.data, data("old"));
}

#[tokio::test]
async fn a_secret_taken_away_meanwhile_is_left_alone() {
    let (fake, api, existing, unsealed) = setup(1, true);
    let conflicts = Counter::default();
    let result = write_update(
        &api,
        "s",
        "ss-uid",
        existing,
        &unsealed,
        WriteMode::Update,
        &conflicts,
    )
    .await;
    let code = result.err().and_then(|e| crate::error::api_code(&e));
    assert_eq!(code, Some(409));
    let s = state(&fake);
    assert_eq!((s.puts, s.gets), (1, 1));
    assert_eq!(s.stored.data, data("old"));
}
