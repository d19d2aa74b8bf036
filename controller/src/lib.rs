//! The sealed-secrets controller: unseals `SealedSecret`s into `Secret`s, manages sealing keys and
//! serves upstream's HTTP API.
//!
//! `logic` carries the decisions and does no I/O; `runtime` talks to the API server (watches,
//! queue, Events, keys, leases); `http` serves the API and metrics. `reconcile` carries out one
//! pass as `logic::plan` decides it, `workers` runs passes off the queue, and `run` wires
//! everything together at startup. Imports point down only: `runtime` never reaches back up.
//!
//! Its one job is running in the cluster. It may import `sealwright-gocompat` and
//! `sealwright-crypto`, never the CLI. The unseal path is drawn in `docs/ARCHITECTURE.md`.

// Tests may unwrap: a panic is the failure report there.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod flags;
pub mod goduration;
pub mod http;
pub mod logging;
pub mod logic;
pub mod reconcile;
pub mod run;
pub mod runtime;
pub mod slog_format;
pub mod workers;
