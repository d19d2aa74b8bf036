//! The sealed-secrets controller: unseals `SealedSecret`s into `Secret`s, manages sealing keys and
//! serves upstream's HTTP API. Pure modules (flags, keyring, desired, status, ratelimit, workqueue,
//! renewal) carry the decisions; the others do the Kubernetes and network I/O.

// Tests may unwrap: a panic is the failure report there.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod cache;
pub mod controller;
pub mod desired;
pub mod digest;
pub mod drift;
pub mod drift_guard;
pub mod error;
pub mod events;
pub mod flags;
pub mod goduration;
pub mod http_pool;
pub mod http_server;
pub mod keyring;
pub mod keystore;
pub mod leader;
pub mod logging;
pub mod metrics;
pub mod namespace;
pub mod process_metrics;
pub mod ratelimit;
pub mod readiness;
pub mod reconcile;
pub mod renewal;
pub mod request_body;
pub mod run;
pub mod secret_index;
pub mod slog_format;
pub mod status;
pub mod throttle;
pub mod unsealer;
pub mod workqueue;
pub mod yaml_reader;
