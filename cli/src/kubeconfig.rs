//! Kubeconfig loading as kubectl does it (`--kubeconfig`, else `$KUBECONFIG` merged, else
//! `~/.kube/config`, else in-cluster), the connection-flag overrides, and the namespace rules.

use std::path::{Path, PathBuf};

use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};

use crate::args::KubeArgs;
use crate::error::CliError;
use crate::gofmt::go_errno_text;

const SA_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Where the connection settings come from.
#[derive(Debug, Clone)]
pub enum Source {
    File(Box<Kubeconfig>),
    InCluster,
    /// Nothing found; kubectl then talks to nothing (or to `--server` alone).
    Empty,
}

/// Loads the kubeconfig the way kubectl's loading rules do.
pub fn load(explicit: Option<&Path>) -> Result<Source, CliError> {
    if let Some(path) = explicit {
        if let Err(e) = std::fs::metadata(path) {
            return Err(CliError::Kube(format!(
                "stat {}: {}",
                path.display(),
                go_errno_text(&e)
            )));
        }
        return read(path).map(|k| Source::File(Box::new(k)));
    }
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            let mut merged: Option<Kubeconfig> = None;
            // kubectl skips files in the list that do not exist.
            for p in paths.iter().filter(|p| p.exists()) {
                let next = read(p)?;
                merged = Some(match merged {
                    None => next,
                    Some(m) => m.merge(next).map_err(|e| CliError::Kube(e.to_string()))?,
                });
            }
            return Ok(merged
                .map(|k| Source::File(Box::new(k)))
                .unwrap_or_else(fallback));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = PathBuf::from(home).join(".kube").join("config");
        if p.exists() {
            return read(&p).map(|k| Source::File(Box::new(k)));
        }
    }
    Ok(fallback())
}

fn fallback() -> Source {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        && std::env::var_os("KUBERNETES_SERVICE_PORT").is_some()
    {
        Source::InCluster
    } else {
        Source::Empty
    }
}

fn read(path: &Path) -> Result<Kubeconfig, CliError> {
    Kubeconfig::read_from(path).map_err(|e| {
        CliError::Kube(format!(
            "error loading config file {:?}: {e}",
            path.display().to_string()
        ))
    })
}

/// `clientConfig.Namespace()`: the namespace and whether `-n` set it explicitly. Like
/// client-go, an unusable configuration is an error unless `-n` is given.
pub fn namespace(source: &Source, args: &KubeArgs) -> Result<(String, bool), CliError> {
    if let Some(ns) = args.namespace.as_ref().filter(|n| !n.is_empty()) {
        return Ok((ns.clone(), true));
    }
    let ns = match source {
        Source::File(kc) => {
            let name = context_name(kc, args);
            let ctx = match &name {
                Some(n) => Some(
                    kc.contexts
                        .iter()
                        .find(|c| &c.name == n)
                        .ok_or_else(|| context_missing(n))?,
                ),
                None => None,
            };
            let cluster_name = args.cluster.clone().or_else(|| {
                ctx.and_then(|c| c.context.as_ref())
                    .map(|c| c.cluster.clone())
            });
            let has_server = args.server.is_some()
                || cluster_name.as_ref().is_some_and(|cn| {
                    kc.clusters.iter().any(|c| {
                        &c.name == cn && c.cluster.as_ref().is_some_and(|c| c.server.is_some())
                    })
                });
            if !has_server {
                return Err(no_configuration());
            }
            ctx.and_then(|c| c.context.as_ref())
                .and_then(|c| c.namespace.clone())
                .filter(|n| !n.is_empty())
        }
        Source::InCluster => std::fs::read_to_string(SA_NAMESPACE_FILE)
            .ok()
            .map(|s| s.trim().to_string()),
        Source::Empty if args.server.is_some() => None,
        Source::Empty => return Err(no_configuration()),
    };
    Ok((
        ns.filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string()),
        false,
    ))
}

/// kubectl's wording for `--context` (or `current-context`) naming no context.
fn context_missing(name: &str) -> CliError {
    CliError::Kube(format!(
        "context {} does not exist",
        crate::gofmt::go_quote(name)
    ))
}

fn no_configuration() -> CliError {
    CliError::Kube(
        "invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable".into(),
    )
}

fn context_name(kc: &Kubeconfig, args: &KubeArgs) -> Option<String> {
    args.context
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| kc.current_context.clone())
}

/// Applies the connection flags to a kubeconfig (kubectl's `ConfigOverrides`). When there is no
/// kubeconfig but `--server` is given, a one-cluster kubeconfig is built from the flags.
pub fn with_overrides(
    source: Source,
    args: &KubeArgs,
) -> Result<(Kubeconfig, KubeConfigOptions), CliError> {
    let mut kc = match source {
        Source::File(kc) => *kc,
        Source::InCluster | Source::Empty => {
            if args.server.is_none() {
                return Err(no_configuration());
            }
            Kubeconfig::default()
        }
    };
    if let Some(wanted) = args.context.as_ref().filter(|c| !c.is_empty())
        && !kc.contexts.iter().any(|c| &c.name == wanted)
    {
        return Err(context_missing(wanted));
    }
    let ctx_name = context_name(&kc, args).unwrap_or_else(|| "sealwright-flags".to_string());
    if !kc.contexts.iter().any(|c| c.name == ctx_name) {
        kc.contexts.push(NamedContext {
            name: ctx_name.clone(),
            context: Some(Context::default()),
            other: Default::default(),
        });
    }
    let ctx = kc
        .contexts
        .iter_mut()
        .find(|c| c.name == ctx_name)
        .and_then(|c| {
            if c.context.is_none() {
                c.context = Some(Context::default());
            }
            c.context.as_mut()
        })
        .ok_or_else(|| CliError::Kube(format!("context {ctx_name:?} not found")))?;
    if let Some(c) = &args.cluster {
        ctx.cluster = c.clone();
    }
    if ctx.cluster.is_empty() {
        ctx.cluster = "sealwright-flags".into();
    }
    if let Some(u) = &args.user {
        ctx.user = Some(u.clone());
    }
    let user_name = ctx
        .user
        .clone()
        .unwrap_or_else(|| "sealwright-flags".into());
    ctx.user = Some(user_name.clone());
    if let Some(ns) = &args.namespace {
        ctx.namespace = Some(ns.clone());
    }
    let cluster_name = ctx.cluster.clone();

    if !kc.clusters.iter().any(|c| c.name == cluster_name) {
        kc.clusters.push(NamedCluster {
            name: cluster_name.clone(),
            cluster: Some(Cluster::default()),
            other: Default::default(),
        });
    }
    if let Some(cluster) = kc.clusters.iter_mut().find(|c| c.name == cluster_name) {
        let cluster = cluster.cluster.get_or_insert_with(Cluster::default);
        if let Some(s) = &args.server {
            cluster.server = Some(s.clone());
        }
        if let Some(ca) = &args.certificate_authority {
            cluster.certificate_authority = Some(ca.display().to_string());
            cluster.certificate_authority_data = None;
        }
        if let Some(insecure) = args.insecure_skip_tls_verify {
            cluster.insecure_skip_tls_verify = Some(insecure);
            if insecure {
                // kubectl refuses a CA together with insecure; drop it like its overrides do.
                cluster.certificate_authority = None;
                cluster.certificate_authority_data = None;
            }
        }
        if let Some(n) = &args.tls_server_name {
            cluster.tls_server_name = Some(n.clone());
        }
        if let Some(p) = &args.proxy_url {
            cluster.proxy_url = Some(p.clone());
        }
        if let Some(d) = args.disable_compression {
            cluster.disable_compression = Some(d);
        }
    }

    if !kc.auth_infos.iter().any(|a| a.name == user_name) {
        kc.auth_infos.push(NamedAuthInfo {
            name: user_name.clone(),
            auth_info: Some(AuthInfo::default()),
            other: Default::default(),
        });
    }
    if let Some(auth) = kc.auth_infos.iter_mut().find(|a| a.name == user_name) {
        let auth = auth.auth_info.get_or_insert_with(AuthInfo::default);
        if let Some(t) = &args.token {
            auth.token = Some(secrecy::SecretString::from(t.clone()));
            auth.token_file = None;
        }
        if let Some(c) = &args.client_certificate {
            auth.client_certificate = Some(c.display().to_string());
            auth.client_certificate_data = None;
        }
        if let Some(k) = &args.client_key {
            auth.client_key = Some(k.display().to_string());
            auth.client_key_data = None;
        }
        if let Some(u) = &args.username {
            auth.username = Some(u.clone());
        }
        if let Some(p) = &args.password {
            auth.password = Some(secrecy::SecretString::from(p.clone()));
        }
        if let Some(a) = &args.impersonate {
            auth.impersonate = Some(a.clone());
        }
        if let Some(a) = &args.impersonate_uid {
            auth.impersonate_uid = Some(a.clone());
        }
        if !args.impersonate_groups.is_empty() {
            auth.impersonate_groups = Some(args.impersonate_groups.clone());
        }
    }
    kc.current_context = Some(ctx_name.clone());
    let options = KubeConfigOptions {
        context: Some(ctx_name),
        cluster: Some(cluster_name),
        user: Some(user_name),
    };
    Ok((kc, options))
}

/// kubectl's `--request-timeout`: a bare number means seconds, anything else is a Go duration.
pub fn parse_timeout(s: &str) -> Result<Option<std::time::Duration>, CliError> {
    let bad = || {
        CliError::Kube(format!(
            "invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h): {s}"
        ))
    };
    if s.is_empty() || s == "0" {
        return Ok(None);
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Some(std::time::Duration::from_secs(secs)));
    }
    // A negative timeout is refused like a malformed one.
    match gocompat::duration::parse(s).map(u64::try_from) {
        Ok(Ok(0)) => Ok(None),
        Ok(Ok(nanos)) => Ok(Some(std::time::Duration::from_nanos(nanos))),
        _ => Err(bad()),
    }
}

/// A kube client for the effective configuration.
pub async fn client(source: Source, args: &KubeArgs) -> Result<kube::Client, CliError> {
    let timeout = parse_timeout(&args.request_timeout)?;
    let mut config = match source {
        Source::InCluster if args.server.is_none() => {
            let mut c = kube::Config::incluster().map_err(|e| CliError::Kube(e.to_string()))?;
            if let Some(t) = &args.token {
                c.auth_info.token = Some(secrecy::SecretString::from(t.clone()));
            }
            if let Some(ns) = &args.namespace {
                c.default_namespace = ns.clone();
            }
            c
        }
        other => {
            let (kc, options) = with_overrides(other, args)?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| CliError::Kube(e.to_string()))?
        }
    };
    // client-go does not retry a failed proxy call; neither do we (a controller without
    // endpoints answers 503 at once and the ConfigMap fallback should follow straight away).
    config.default_retry = false;
    if timeout.is_some() {
        config.read_timeout = timeout;
        config.write_timeout = timeout;
        config.connect_timeout = timeout;
    }
    crate::proxy::remember_cluster_url(&config.cluster_url);
    kube::Client::try_from(config).map_err(|e| CliError::Kube(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig() -> Kubeconfig {
        let text = r#"
apiVersion: v1
kind: Config
current-context: a
contexts:
- name: a
  context: {cluster: c1, user: u1, namespace: team-a}
- name: b
  context: {cluster: c1, user: u1}
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u1
  user: {token: abc}
"#;
        Kubeconfig::from_yaml(text).unwrap_or_default()
    }

    #[test]
    fn namespace_rules() {
        let src = Source::File(Box::new(kubeconfig()));
        let mut args = KubeArgs::default();
        assert_eq!(namespace(&src, &args).ok(), Some(("team-a".into(), false)));
        args.context = Some("b".into());
        assert_eq!(namespace(&src, &args).ok(), Some(("default".into(), false)));
        args.context = Some("missing".into());
        assert!(namespace(&src, &args).is_err());
        args.namespace = Some("x".into());
        assert_eq!(namespace(&src, &args).ok(), Some(("x".into(), true)));
        assert!(namespace(&Source::Empty, &KubeArgs::default()).is_err());
    }

    #[test]
    fn overrides_apply_to_the_selected_entries() {
        let args = KubeArgs {
            server: Some("https://10.0.0.1:1234".into()),
            token: Some("t".into()),
            insecure_skip_tls_verify: Some(true),
            ..KubeArgs::default()
        };
        let (kc, opts) = with_overrides(Source::File(Box::new(kubeconfig())), &args)
            .map_err(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(opts.context.as_deref(), Some("a"));
        let cluster = kc
            .clusters
            .iter()
            .find(|c| c.name == "c1")
            .and_then(|c| c.cluster.clone())
            .unwrap_or_default();
        assert_eq!(cluster.server.as_deref(), Some("https://10.0.0.1:1234"));
        assert_eq!(cluster.insecure_skip_tls_verify, Some(true));
    }

    #[test]
    fn server_flag_alone_is_enough() {
        let args = KubeArgs {
            server: Some("http://127.0.0.1:8080".into()),
            ..KubeArgs::default()
        };
        assert!(with_overrides(Source::Empty, &args).is_ok());
        assert!(with_overrides(Source::Empty, &KubeArgs::default()).is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("0").ok().flatten(), None);
        assert_eq!(
            parse_timeout("5").ok().flatten(),
            Some(std::time::Duration::from_secs(5))
        );
        assert_eq!(
            parse_timeout("1m30s").ok().flatten(),
            Some(std::time::Duration::from_secs(90))
        );
        assert!(parse_timeout("abc").is_err());
    }
}
