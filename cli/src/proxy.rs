//! Requests to the controller through the API server's service proxy, and the ConfigMap
//! fallback for the certificate. Request building is pure so it can be unit-tested.

use http::{Method, Request, header};

use crate::error::CliError;

/// The ConfigMap the controller publishes its current certificate in (sealwright controller).
pub const CERT_CONFIGMAP: &str = "sealed-secrets-cert";
pub const CERT_CONFIGMAP_KEY: &str = "cert.pem";

/// Where the controller is.
#[derive(Debug, Clone)]
pub struct Controller {
    pub namespace: String,
    pub name: String,
}

impl Controller {
    /// `GET` of the controller's Service (to learn the port name).
    pub fn service_request(&self) -> Result<Request<Vec<u8>>, CliError> {
        build(
            Method::GET,
            &format!(
                "/api/v1/namespaces/{}/services/{}",
                seg(&self.namespace),
                seg(&self.name)
            ),
            None,
            None,
        )
    }

    /// The proxy base path: `net.JoinSchemeNamePort("http", name, port)` gives `http:<name>:<port>`
    /// (with a trailing `:` for an unnamed port, as upstream sends it).
    pub fn proxy_path(&self, port_name: &str, suffix: &str) -> String {
        format!(
            "/api/v1/namespaces/{}/services/http:{}:{}/proxy{}",
            seg(&self.namespace),
            seg(&self.name),
            seg(port_name),
            suffix
        )
    }

    pub fn cert_request(&self, port_name: &str) -> Result<Request<Vec<u8>>, CliError> {
        build(
            Method::GET,
            &self.proxy_path(port_name, "/v1/cert.pem"),
            Some("application/x-pem-file, */*"),
            None,
        )
    }

    pub fn verify_request(
        &self,
        port_name: &str,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, CliError> {
        build(
            Method::POST,
            &self.proxy_path(port_name, "/v1/verify"),
            None,
            Some(body),
        )
    }

    pub fn rotate_request(
        &self,
        port_name: &str,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, CliError> {
        build(
            Method::POST,
            &self.proxy_path(port_name, "/v1/rotate"),
            None,
            Some(body),
        )
    }

    pub fn configmap_request(&self) -> Result<Request<Vec<u8>>, CliError> {
        build(
            Method::GET,
            &format!(
                "/api/v1/namespaces/{}/configmaps/{}",
                seg(&self.namespace),
                CERT_CONFIGMAP
            ),
            None,
            None,
        )
    }
}

fn build(
    method: Method,
    path: &str,
    accept: Option<&str>,
    body: Option<Vec<u8>>,
) -> Result<Request<Vec<u8>>, CliError> {
    let mut b = Request::builder().method(method).uri(path);
    b = b.header(header::ACCEPT, accept.unwrap_or("application/json, */*"));
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(body.unwrap_or_default())
        .map_err(|e| CliError::Kube(format!("cannot build request: {e}")))
}

/// Percent-encodes what cannot appear in a path segment.
fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text client-go would show for a failed request: the Status message when the server sent one.
pub fn describe(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
        other => other.to_string(),
    }
}

/// The API server's URL, remembered when the client is built, for connection errors.
static CLUSTER_URL: std::sync::OnceLock<http::Uri> = std::sync::OnceLock::new();

pub fn remember_cluster_url(url: &http::Uri) {
    let _ = CLUSTER_URL.set(url.clone());
}

/// A failed request, worded as Go's `net/http` words it when the connection itself failed
/// (`Get "https://127.0.0.1:1/api/…": dial tcp 127.0.0.1:1: connect: connection refused`),
/// else as [`describe`].
pub fn describe_request(err: &kube::Error, method: &Method, path: &str) -> String {
    let io = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .find_map(|e| e.downcast_ref::<std::io::Error>());
    let (Some(io), Some(base)) = (io, CLUSTER_URL.get()) else {
        return describe(err);
    };
    let host = base.host().unwrap_or_default();
    let port = base
        .port_u16()
        .unwrap_or(if base.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    let url = format!("{}{path}", base.to_string().trim_end_matches('/'));
    let verb = method.as_str();
    let verb = format!("{}{}", &verb[..1], verb[1..].to_ascii_lowercase());
    format!(
        "{verb} {}: dial tcp {host}:{port}: connect: {}",
        crate::gofmt::go_quote(&url),
        crate::gofmt::go_errno_text(io)
    )
}

/// HTTP status code of a failed request, when the server answered.
pub fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// `spec.ports[0].name` of a Service object.
pub fn first_port_name(service_json: &str) -> Result<String, CliError> {
    let v: serde_json::Value = serde_json::from_str(service_json)
        .map_err(|e| CliError::ServiceGet(format!("cannot read the Service: {e}")))?;
    Ok(v.pointer("/spec/ports/0/name")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string())
}

/// `data["cert.pem"]` of the certificate ConfigMap.
pub fn configmap_cert(configmap_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(configmap_json).ok()?;
    v.get("data")?
        .get(CERT_CONFIGMAP_KEY)?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl() -> Controller {
        Controller {
            namespace: "kube-system".into(),
            name: "sealed-secrets-controller".into(),
        }
    }

    #[test]
    fn cert_request_uses_the_named_port_and_pem_accept() {
        let r = ctl().cert_request("http").map_err(|e| e.to_string());
        let r = r.as_ref().ok();
        assert_eq!(
            r.map(|r| r.uri().to_string()).as_deref(),
            Some(
                "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem"
            )
        );
        assert_eq!(
            r.and_then(|r| r.headers().get("accept"))
                .and_then(|v| v.to_str().ok()),
            Some("application/x-pem-file, */*")
        );
    }

    #[test]
    fn unnamed_port_keeps_the_trailing_colon() {
        assert_eq!(
            ctl().proxy_path("", "/v1/verify"),
            "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/verify"
        );
    }

    #[test]
    fn verify_and_rotate_are_json_posts() {
        for r in [
            ctl().verify_request("", b"{}".to_vec()),
            ctl().rotate_request("", b"{}".to_vec()),
        ] {
            let r = r.map_err(|e| e.to_string());
            assert!(matches!(&r, Ok(r) if r.method() == Method::POST
                && r.headers().get("content-type").is_some_and(|v| v == "application/json")
                && r.body() == b"{}"));
        }
        let r = ctl()
            .rotate_request("http", Vec::new())
            .map(|r| r.uri().path().to_string())
            .unwrap_or_default();
        assert!(r.ends_with("/proxy/v1/rotate"));
    }

    #[test]
    fn service_and_configmap_paths() {
        let s = ctl()
            .service_request()
            .map(|r| r.uri().to_string())
            .unwrap_or_default();
        assert_eq!(
            s,
            "/api/v1/namespaces/kube-system/services/sealed-secrets-controller"
        );
        let c = ctl()
            .configmap_request()
            .map(|r| r.uri().to_string())
            .unwrap_or_default();
        assert_eq!(
            c,
            "/api/v1/namespaces/kube-system/configmaps/sealed-secrets-cert"
        );
    }

    #[test]
    fn parses_port_and_configmap() {
        assert_eq!(
            first_port_name(r#"{"spec":{"ports":[{"name":"http","port":8080}]}}"#)
                .ok()
                .as_deref(),
            Some("http")
        );
        assert_eq!(
            first_port_name(r#"{"spec":{"ports":[{"port":8080}]}}"#)
                .ok()
                .as_deref(),
            Some("")
        );
        assert_eq!(
            configmap_cert(r#"{"data":{"cert.pem":"PEM"}}"#).as_deref(),
            Some("PEM")
        );
    }
}
