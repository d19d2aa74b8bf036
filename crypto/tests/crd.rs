//! The generated CRD keeps upstream's schema where it matters to the API server.

use kube::CustomResourceExt;
use sealwright_crypto::SealedSecret;
use serde_json::{Value, json};

fn schema() -> Value {
    let crd = serde_json::to_value(SealedSecret::crd()).expect("crd json");
    assert_eq!(crd["metadata"]["name"], "sealedsecrets.bitnami.com");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(
        crd["spec"]["versions"][0]["subresources"]["status"],
        json!({})
    );
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

#[test]
fn spec_schema_matches_upstream() {
    let root = schema();
    assert_eq!(root["required"], json!(["spec"]));
    let spec = &root["properties"]["spec"];
    assert_eq!(spec["required"], json!(["encryptedData"]));
    let enc = &spec["properties"]["encryptedData"];
    assert_eq!(enc["type"], "object");
    assert_eq!(enc["additionalProperties"], json!({"type": "string"}));
    assert_eq!(enc["x-kubernetes-preserve-unknown-fields"], true);
    assert!(enc.get("default").is_none());
    assert_eq!(spec["properties"]["data"]["format"], "byte");
    let template = &spec["properties"]["template"];
    assert!(
        template.get("default").is_none(),
        "no default injected by the API server"
    );
    let meta = &template["properties"]["metadata"];
    assert_eq!(
        (
            meta["nullable"].clone(),
            meta["x-kubernetes-preserve-unknown-fields"].clone()
        ),
        (json!(true), json!(true))
    );
    let mut fields: Vec<&String> = meta["properties"]
        .as_object()
        .expect("props")
        .keys()
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["annotations", "finalizers", "labels", "name", "namespace"]
    );
    assert_eq!(template["properties"]["data"]["nullable"], true);
    assert_eq!(template["properties"]["immutable"]["type"], "boolean");
}

#[test]
fn status_schema_matches_upstream() {
    let status = &schema()["properties"]["status"];
    let condition = &status["properties"]["conditions"]["items"];
    let mut required: Vec<String> =
        serde_json::from_value(condition["required"].clone()).expect("required");
    required.sort();
    assert_eq!(required, ["status", "type"]);
    assert_eq!(
        status["properties"]["observedGeneration"]["format"],
        "int64"
    );
}
