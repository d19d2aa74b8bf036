//! Where the sealing certificate comes from (upstream `OpenCert`): `--cert` as a local path, an
//! `http(s)://` URL (proxy variables honoured) or a `file://` URL; otherwise the controller
//! through the API server proxy, falling back to the ConfigMap the controller publishes.

use std::io::Read;

use crate::error::{CliError, io_error};
use crate::gofmt::go_errno_text;
use crate::proxy::{self, CERT_CONFIGMAP, Controller};

/// Go `url.Parse` semantics for kubeseal's test: no scheme, or a one-letter scheme (a Windows
/// drive), means a file name.
pub fn is_filename(s: &str) -> bool {
    match scheme(s) {
        None => true,
        Some(sc) => sc.len() == 1,
    }
}

fn scheme(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let candidate = &s[..colon];
    let mut chars = candidate.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        Some(candidate)
    } else {
        None
    }
}

/// How long a certificate URL may take when `--request-timeout` is 0 (unset): a server that
/// accepts the connection and never answers must not hang kubeseal.
const DEFAULT_CERT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads `--cert`; `timeout` bounds an `http(s)://` fetch (`None`: 30 s).
pub fn open_local(
    cert: &std::ffi::OsStr,
    timeout: Option<std::time::Duration>,
) -> Result<Vec<u8>, CliError> {
    // A name that is not UTF-8 cannot be a URL.
    let Some(cert) = cert.to_str() else {
        let path = std::path::Path::new(cert);
        return std::fs::read(path).map_err(|e| io_error("open", path, &e));
    };
    if is_filename(cert) {
        let path = std::path::Path::new(cert);
        return std::fs::read(path).map_err(|e| io_error("open", path, &e));
    }
    let lower_scheme = scheme(cert).unwrap_or_default().to_ascii_lowercase();
    match lower_scheme.as_str() {
        "file" => open_file_url(cert),
        "http" | "https" => open_http(cert, timeout.unwrap_or(DEFAULT_CERT_TIMEOUT)),
        other => Err(CliError::CertHttp(format!(
            "Get {}: unsupported protocol scheme {}",
            crate::gofmt::go_quote(cert),
            crate::gofmt::go_quote(other)
        ))),
    }
}

/// `file://` URLs are served from `/`, like Go's file transport: a missing file is a 404.
fn open_file_url(url: &str) -> Result<Vec<u8>, CliError> {
    let rest = &url[url.find(':').map_or(0, |i| i + 1)..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    // Skip the host part (usually empty).
    let path = match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path);
    match std::fs::read(&decoded) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CliError::CertHttpStatus {
            url: url.to_string(),
            status: "404 Not Found".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(CliError::CertHttpStatus {
                url: url.to_string(),
                status: "403 Forbidden".into(),
            })
        }
        Err(e) => Err(CliError::CertHttpStatus {
            url: url.to_string(),
            status: format!("500 Internal Server Error ({})", go_errno_text(&e)),
        }),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = if b[i] == b'%' && i + 2 < b.len() {
            std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        } else {
            None
        };
        if let Some(v) = escaped {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn open_http(url: &str, timeout: std::time::Duration) -> Result<Vec<u8>, CliError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut resp = agent
        .get(url)
        .call()
        .map_err(|e| CliError::CertHttp(format!("Get {}: {e}", crate::gofmt::go_quote(url))))?;
    let status = resp.status();
    if status != http::StatusCode::OK {
        let text = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        return Err(CliError::CertHttpStatus {
            url: url.to_string(),
            status: text.trim_end().to_string(),
        });
    }
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .map_err(|e| CliError::CertHttp(format!("Get {}: {e}", crate::gofmt::go_quote(url))))?;
    Ok(body)
}

/// The certificate from the cluster: the controller's `/v1/cert.pem` through the service proxy,
/// or, when the proxy request fails, the controller's published ConfigMap.
pub async fn open_cluster(
    client: &kube::Client,
    controller: &Controller,
) -> Result<Vec<u8>, CliError> {
    let port = service_port(client, controller).await?;
    let req = controller.cert_request(&port)?;
    let (method, path) = (req.method().clone(), req.uri().to_string());
    match client.request_text(req).await {
        Ok(pem) => Ok(pem.into_bytes()),
        Err(proxy_err) => {
            let reason = proxy::describe_request(&proxy_err, &method, &path);
            if let Some(pem) = configmap_cert(client, controller).await {
                eprintln!(
                    "warning: cannot reach the controller through the API server proxy ({reason}); using the certificate published in ConfigMap {}/{CERT_CONFIGMAP}",
                    controller.namespace
                );
                return Ok(pem.into_bytes());
            }
            Err(CliError::CertProxy(reason))
        }
    }
}

async fn configmap_cert(client: &kube::Client, controller: &Controller) -> Option<String> {
    let req = controller.configmap_request().ok()?;
    let text = client.request_text(req).await.ok()?;
    proxy::configmap_cert(&text).filter(|c| !c.trim().is_empty())
}

/// `spec.ports[0].name` of the controller Service, with upstream's error text.
pub async fn service_port(
    client: &kube::Client,
    controller: &Controller,
) -> Result<String, CliError> {
    let req = controller.service_request()?;
    let (method, path) = (req.method().clone(), req.uri().to_string());
    let text = client
        .request_text(req)
        .await
        .map_err(|e| CliError::ServiceGet(proxy::describe_request(&e, &method, &path)))?;
    proxy::first_port_name(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_detection() {
        assert!(is_filename("cert.pem"));
        assert!(is_filename("/tmp/cert.pem"));
        assert!(is_filename("C:\\certs\\cert.pem"));
        assert!(!is_filename("https://example.invalid/cert.pem"));
        assert!(!is_filename("file:///tmp/cert.pem"));
    }

    #[test]
    fn file_url_missing_is_404() {
        let err = open_local("file:///nonexistent/dir/cert.pem".as_ref(), None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("cannot fetch \"file:///nonexistent/dir/cert.pem\": 404 Not Found")
        );
    }

    #[test]
    fn missing_path_reads_like_go() {
        let err = open_local("/nonexistent/cert.pem".as_ref(), None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("open /nonexistent/cert.pem: no such file or directory")
        );
    }
}
