//! What the controller serves: upstream's HTTP API, `/readyz`, and the metrics endpoint.

pub mod api;
pub mod exposition;
pub mod instruments;
pub mod metrics;
pub mod pool;
pub mod process_metrics;
pub mod readiness;
pub mod request_body;
pub mod server;
pub mod yaml_reader;
