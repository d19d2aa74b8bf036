//! Shared by the `controller_*` cluster tests: start our controller, seal for it, poll objects,
//! and talk plain HTTP to it (with headers and bodies, which `wire::get` does not send).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Event, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const WAIT: Duration = Duration::from_secs(60);

/// Our controller in the test namespace (watching only it), 2048-bit keys to keep tests quick.
pub async fn start_ours(ctx: &TestContext, extra: &[&str]) -> RunningController {
    let binary = ControllerBinary::ours().expect("our controller (cargo build --workspace)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.args.push("--key-size=2048".into());
    options.args.extend(extra.iter().map(|s| s.to_string()));
    RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start our controller: {e}"))
}

/// The controller's current certificate, straight from `/v1/cert.pem`.
pub async fn cert(controller: &RunningController) -> String {
    let (code, body) = sealwright_tests::wire::get(controller.addr(), "/v1/cert.pem")
        .await
        .expect("GET cert.pem");
    assert_eq!(code, 200, "{body}");
    body
}

/// A SealedSecret for `name` in `namespace` holding `data`, sealed for `cert_pem` (strict scope).
pub fn seal(cert_pem: &str, namespace: &str, name: &str, data: &[(&str, &str)]) -> SealedSecret {
    let info = sealwright_crypto::cert::parse_pem(cert_pem.as_bytes()).expect("parse cert");
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    sealwright_crypto::seal::seal_secret(&secret, &info.public_key).expect("seal")
}

pub async fn create_sealed(ctx: &TestContext, ss: &SealedSecret) -> SealedSecret {
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), ss)
        .await
        .expect("create SealedSecret")
}

pub fn secret_data(secret: &Secret) -> BTreeMap<String, String> {
    secret
        .data
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
        .collect()
}

/// Waits for the Secret `name` to hold exactly `data`.
pub async fn wait_secret(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    data: &[(&str, &str)],
) -> Secret {
    let api = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let want: BTreeMap<String, String> = data
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    eventually(
        WAIT,
        &format!("Secret {name} with the unsealed data"),
        || {
            let api = api.clone();
            let want = want.clone();
            async move {
                let s = api.get_opt(name).await.ok().flatten()?;
                (secret_data(&s) == want).then_some(s)
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

/// Waits until the SealedSecret's `Synced` condition has `status` (and returns the object).
pub async fn wait_synced(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    status: &str,
    generation: i64,
) -> SealedSecret {
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(
        WAIT,
        &format!("SealedSecret {name} Synced={status} at generation {generation}"),
        || {
            let api = api.clone();
            async move {
                let ss = api.get_opt(name).await.ok().flatten()?;
                let st = ss.status.as_ref()?;
                let cond = st
                    .conditions
                    .as_ref()?
                    .iter()
                    .find(|c| c.type_ == "Synced")?;
                (cond.status == status && st.observed_generation == Some(generation))
                    .then_some(ss.clone())
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

/// Waits until the SealedSecret `name`, read through `api` (whoever's client that is), has a
/// `Synced=False` condition; returns that condition's message.
pub async fn wait_failed_message(
    api: &Api<SealedSecret>,
    controller: &RunningController,
    name: &str,
) -> String {
    eventually(WAIT, &format!("{name} Synced=False"), || {
        let api = api.clone();
        async move {
            let ss = api.get(name).await.ok()?;
            let cond = ss
                .status
                .as_ref()?
                .conditions
                .as_ref()?
                .iter()
                .find(|c| c.type_ == "Synced")?
                .clone();
            (cond.status == "False").then(|| cond.message.unwrap_or_default())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

pub fn synced_message(ss: &SealedSecret) -> Option<String> {
    ss.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Synced")?
        .message
        .clone()
}

/// Waits for an event with `reason` on the SealedSecret `name`; returns it.
pub async fn wait_event(
    ctx: &TestContext,
    controller: &RunningController,
    name: &str,
    reason: &str,
) -> Event {
    let api = Api::<Event>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(WAIT, &format!("event {reason} on {name}"), || {
        let api = api.clone();
        async move {
            let list = api.list(&ListParams::default()).await.ok()?;
            list.items.into_iter().find(|e| {
                e.reason.as_deref() == Some(reason)
                    && e.involved_object.name.as_deref() == Some(name)
            })
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

/// An HTTP/1.0 response: status, lower-cased headers, body.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// One HTTP/1.0 request with extra headers and a body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    request_or_closed(addr, method, path, headers, body)
        .await
        .expect("status line")
}

/// Like [`request`], but `None` when the server closes the connection without answering.
pub async fn request_or_closed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Reply> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("read timeout");
    match read {
        Ok(_) => {}
        // A server that closes at once may reset the connection rather than end it.
        Err(e) if raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("read: {e}"),
    }
    if raw.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let code = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Reply {
        code,
        headers,
        body: body.to_string(),
    })
}

/// The label that marks key Secrets.
pub const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

pub async fn key_secrets(ctx: &TestContext) -> Vec<Secret> {
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(&format!("{KEY_LABEL}=active")))
        .await
        .expect("list key Secrets")
        .items
}

/// Copies a key Secret into `to`'s namespace under `name`, labelled active or not (the legacy
/// key), keeping its type and data.
pub async fn copy_key(from: &Secret, to: &TestContext, name: &str, labelled: bool) {
    let labels: BTreeMap<String, String> = if labelled {
        [(KEY_LABEL.to_string(), "active".to_string())].into()
    } else {
        BTreeMap::new()
    };
    let copy = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(to.namespace.clone()),
            labels: Some(labels),
            ..Default::default()
        },
        type_: from.type_.clone(),
        data: from.data.clone(),
        ..Default::default()
    };
    Api::<Secret>::namespaced(to.admin.clone(), &to.namespace)
        .create(&PostParams::default(), &copy)
        .await
        .expect("copy key Secret");
}
