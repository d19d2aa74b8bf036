//! Makes a process on a pool address reachable through the API server's service proxy, exactly
//! as in a cluster: a selectorless Service, a Pod whose status carries the address, and
//! Endpoints plus an EndpointSlice whose addresses point at that Pod (`targetRef`). The proxy
//! (v1.35) reads the Endpoints and checks the Pod's `status.podIPs`; newer paths read slices.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{
    Container, EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod,
    PodSpec, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};

use crate::error::TestenvError;

/// What [`expose`] created.
#[derive(Debug, Clone)]
pub struct Exposed {
    pub namespace: String,
    pub service: String,
    pub pod: String,
    /// `None` mirrors upstream's `controller.yaml` (no port name): proxy path `http:NAME:`.
    pub port_name: Option<String>,
    pub ip: Ipv4Addr,
    pub port: u16,
}

impl Exposed {
    /// The API path of `path` on this service through the proxy, as kubeseal builds it.
    pub fn proxy_path(&self, path: &str) -> String {
        proxy_path(
            &self.namespace,
            &self.service,
            self.port_name.as_deref(),
            path,
        )
    }
}

/// `/api/v1/namespaces/NS/services/http:NAME:PORTNAME/proxy/PATH`.
pub fn proxy_path(namespace: &str, service: &str, port_name: Option<&str>, path: &str) -> String {
    format!(
        "/api/v1/namespaces/{namespace}/services/http:{service}:{}/proxy/{}",
        port_name.unwrap_or(""),
        path.trim_start_matches('/')
    )
}

/// Creates `pod` and writes the status a kubelet would (Running, Ready, `ip`): no kubelet runs,
/// the Pod only stands for a process. Returns the reference Endpoints point at.
pub(crate) async fn create_running_pod(
    pods: &Api<Pod>,
    pod: &Pod,
    ip: Ipv4Addr,
) -> Result<ObjectReference, TestenvError> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pods.namespace().unwrap_or_default().to_string();
    let created = pods
        .create(&PostParams::default(), pod)
        .await
        .map_err(TestenvError::kube(format!("create pod {namespace}/{name}")))?;
    let status = serde_json::json!({"status": {
        "phase": "Running",
        "podIP": ip.to_string(),
        "podIPs": [{"ip": ip.to_string()}],
        "conditions": [{"type": "Ready", "status": "True"}],
    }});
    pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(TestenvError::kube(format!(
            "set status of pod {namespace}/{name}"
        )))?;
    Ok(ObjectReference {
        kind: Some("Pod".into()),
        namespace: Some(namespace),
        name: Some(name),
        uid: created.metadata.uid,
        ..ObjectReference::default()
    })
}

/// Creates the Service `namespace/service` (port `port`, named `port_name` or unnamed) and the Pod,
/// Endpoints and EndpointSlice that route it to `ip:port`.
pub async fn expose(
    client: &Client,
    namespace: &str,
    service: &str,
    port_name: Option<&str>,
    ip: Ipv4Addr,
    port: u16,
) -> Result<Exposed, TestenvError> {
    let pod_name = format!("{service}-pod");
    let labels = || Some([("name".to_string(), service.to_string())].into());
    let svc = Service {
        metadata: ObjectMeta {
            name: Some(service.into()),
            labels: labels(),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            ports: Some(vec![ServicePort {
                name: port_name.map(Into::into),
                port: port.into(),
                target_port: Some(IntOrString::Int(port.into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let pp = PostParams::default();
    Api::<Service>::namespaced(client.clone(), namespace)
        .create(&pp, &svc)
        .await
        .map_err(TestenvError::kube(format!(
            "create service {namespace}/{service}"
        )))?;

    // No kubelet runs: the Pod only stands for the process, and its status is written by hand.
    let pods = Api::<Pod>::namespaced(client.clone(), namespace);
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(pod_name.clone()),
            labels: labels(),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "controller".into(),
                image: Some("none.invalid/sealwright-testenv:none".into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
        ..Pod::default()
    };
    let target = create_running_pod(&pods, &pod, ip).await?;
    let endpoints = Endpoints {
        metadata: ObjectMeta {
            name: Some(service.into()),
            labels: labels(),
            ..ObjectMeta::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress {
                ip: ip.to_string(),
                target_ref: Some(target.clone()),
                ..EndpointAddress::default()
            }]),
            ports: Some(vec![EndpointPort {
                name: port_name.map(Into::into),
                port: port.into(),
                protocol: Some("TCP".into()),
                ..EndpointPort::default()
            }]),
            ..EndpointSubset::default()
        }]),
    };
    Api::<Endpoints>::namespaced(client.clone(), namespace)
        .create(&pp, &endpoints)
        .await
        .map_err(TestenvError::kube(format!(
            "create endpoints {namespace}/{service}"
        )))?;

    let slice = EndpointSlice {
        metadata: ObjectMeta {
            name: Some(format!("{service}-testenv")),
            labels: Some(
                [
                    (
                        "kubernetes.io/service-name".to_string(),
                        service.to_string(),
                    ),
                    (
                        "endpointslice.kubernetes.io/managed-by".to_string(),
                        "sealwright-testenv".to_string(),
                    ),
                ]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        address_type: "IPv4".into(),
        endpoints: vec![Endpoint {
            addresses: vec![ip.to_string()],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                ..EndpointConditions::default()
            }),
            target_ref: Some(target),
            ..Endpoint::default()
        }],
        ports: Some(vec![k8s_openapi::api::discovery::v1::EndpointPort {
            name: port_name.map(Into::into),
            port: Some(port.into()),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
    };
    Api::<EndpointSlice>::namespaced(client.clone(), namespace)
        .create(&pp, &slice)
        .await
        .map_err(TestenvError::kube(format!(
            "create endpointslice {namespace}/{service}-testenv"
        )))?;

    Ok(Exposed {
        namespace: namespace.into(),
        service: service.into(),
        pod: pod_name,
        port_name: port_name.map(Into::into),
        ip,
        port,
    })
}

/// GET through the service proxy; the body on 2xx, the API error otherwise.
pub async fn proxy_get(client: &Client, api_path: &str) -> Result<String, TestenvError> {
    let request =
        http::Request::get(api_path)
            .body(Vec::new())
            .map_err(|e| TestenvError::Parse {
                what: format!("request {api_path}"),
                message: e.to_string(),
            })?;
    client
        .request_text(request)
        .await
        .map_err(TestenvError::kube(format!("GET {api_path}")))
}

/// POST `body` through the service proxy; the response body on 2xx, the API error otherwise.
pub async fn proxy_post(
    client: &Client,
    api_path: &str,
    body: Vec<u8>,
) -> Result<String, TestenvError> {
    let request = http::Request::post(api_path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .map_err(|e| TestenvError::Parse {
            what: format!("request {api_path}"),
            message: e.to_string(),
        })?;
    client
        .request_text(request)
        .await
        .map_err(TestenvError::kube(format!("POST {api_path}")))
}
