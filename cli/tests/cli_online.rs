//! The online paths against a scripted stand-in for the API server on loopback: the request
//! paths and headers kubeseal sends (service lookup, service proxy for cert.pem, verify and
//! rotate), upstream's error texts, and the ConfigMap fallback when the proxy fails. The real
//! control plane is exercised by the end-to-end suite; this pins the client side.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  k: v\n";
const SERVICE: &str =
    r#"{"kind":"Service","apiVersion":"v1","spec":{"ports":[{"name":"http","port":8080}]}}"#;

fn cert_pem() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/data/cert.pem"))
        .expect("cert")
}

type Handler = dyn Fn(&str, &str, &str) -> (u16, String) + Send + Sync;

/// Serves HTTP/1.1 on loopback with `handler(method, path, body)`; returns the base URL and
/// the log of `METHOD path accept` lines.
fn serve(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            let (mut length, mut accept) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("accept:") {
                    accept = line[7..].trim().to_string();
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            log2.lock()
                .expect("log")
                .push(format!("{method} {path} {accept}"));
            let (status, text) = handler(&method, &path, &String::from_utf8_lossy(&body));
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, log)
}

fn status_json(code: u16, message: &str) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{message}","code":{code}}}"#
    )
}

fn kubeseal(server: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeseal"))
        .args(["--server", server])
        .args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubeseal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("stdin");
    child.wait_with_output().expect("wait")
}

const SVC_PATH: &str = "/api/v1/namespaces/kube-system/services/sealed-secrets-controller";
const PROXY: &str =
    "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy";

#[test]
fn fetch_cert_through_the_service_proxy() {
    let pem = cert_pem();
    let served = pem.clone();
    let (url, log) = serve(Box::new(move |_, path, _| match path {
        SVC_PATH => (200, SERVICE.into()),
        p if p == format!("{PROXY}/v1/cert.pem") => (200, served.clone()),
        _ => (404, status_json(404, "not found")),
    }));
    let out = kubeseal(&url, &["--fetch-cert"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), pem);
    let log = log.lock().expect("log").clone();
    assert!(log[0].starts_with(&format!("GET {SVC_PATH} ")), "{log:?}");
    assert_eq!(
        log[1],
        format!("GET {PROXY}/v1/cert.pem application/x-pem-file, */*")
    );
}

#[test]
fn proxy_failure_falls_back_to_the_published_configmap() {
    let pem = cert_pem();
    let (url, log) = serve(Box::new(move |_, path, _| match path {
        SVC_PATH => (200, SERVICE.into()),
        "/api/v1/namespaces/kube-system/configmaps/sealed-secrets-cert" => (
            200,
            serde_json::json!({"kind": "ConfigMap", "data": {"cert.pem": pem}}).to_string(),
        ),
        _ => (
            503,
            status_json(
                503,
                "no endpoints available for service \\\"sealed-secrets-controller\\\"",
            ),
        ),
    }));
    let out = kubeseal(&url, &["-o", "yaml"], SECRET.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: SealedSecret"));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "warning: cannot reach the controller through the API server proxy (no endpoints available for service \"sealed-secrets-controller\"); using the certificate published in ConfigMap kube-system/sealed-secrets-cert\n"
    );
    assert_eq!(log.lock().expect("log").len(), 3);
}

#[test]
fn proxy_failure_without_configmap_is_upstreams_error() {
    let (url, _) = serve(Box::new(|_, path, _| match path {
        SVC_PATH => (200, SERVICE.into()),
        _ => (
            503,
            status_json(
                503,
                "no endpoints available for service \\\"sealed-secrets-controller\\\"",
            ),
        ),
    }));
    let out = kubeseal(&url, &[], SECRET.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot fetch certificate: no endpoints available for service \"sealed-secrets-controller\"\n"
    );
}

#[test]
fn missing_service_is_upstreams_error() {
    let (url, _) = serve(Box::new(|_, _, _| {
        (
            404,
            status_json(404, "services \\\"sealed-secrets-controller\\\" not found"),
        )
    }));
    let out = kubeseal(&url, &[], SECRET.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot get sealed secret service: services \"sealed-secrets-controller\" not found.\nPlease, use the flag --controller-name and --controller-namespace to set up the name and namespace of the sealed secrets controller\n"
    );
}

#[test]
fn validate_posts_each_object_and_maps_409() {
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s1\n  namespace: x\nspec:\n  encryptedData:\n    k: AgA=\n";
    let (url, log) = serve(Box::new(|method, path, body| match (method, path) {
        ("GET", SVC_PATH) => (200, SERVICE.into()),
        ("POST", p) if p == format!("{PROXY}/v1/verify") && body.contains("\"name\":\"s1\"") => {
            (409, "conflict".into())
        }
        _ => (500, status_json(500, "unexpected")),
    }));
    let out = kubeseal(&url, &["--validate"], sealed.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: unable to decrypt sealed secret: s1\n"
    );
    assert!(
        log.lock()
            .expect("log")
            .iter()
            .any(|l| l.starts_with(&format!("POST {PROXY}/v1/verify")))
    );

    let (url, _) = serve(Box::new(|method, path, _| match (method, path) {
        ("GET", SVC_PATH) => (200, SERVICE.into()),
        _ => (200, String::new()),
    }));
    let out = kubeseal(&url, &["--validate"], sealed.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn re_encrypt_prints_the_controllers_answer_without_server_fields() {
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s1\n  namespace: x\nspec:\n  encryptedData:\n    k: AgA=\n";
    let answer = r#"{"metadata":{"name":"s1","namespace":"x","creationTimestamp":"2024-01-01T00:00:00Z","generation":3},"spec":{"template":{"metadata":{"name":"s1","namespace":"x"}},"encryptedData":{"k":"NEW"}}}"#;
    let (url, _) = serve(Box::new(move |method, path, _| match (method, path) {
        ("GET", SVC_PATH) => (200, SERVICE.into()),
        ("POST", p) if p == format!("{PROXY}/v1/rotate") => (200, answer.into()),
        _ => (500, status_json(500, "unexpected")),
    }));
    let out = kubeseal(&url, &["--re-encrypt", "-o", "yaml"], sealed.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s1\n  namespace: x\nspec:\n  encryptedData:\n    k: NEW\n  template:\n    metadata:\n      name: s1\n      namespace: x\n"
    );
}
