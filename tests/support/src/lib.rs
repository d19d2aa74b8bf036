//! Test support: the local control plane and helpers shared by the integration tests.
//!
//! One control plane serves a whole test run. `scripts/test.sh` starts it with
//! `tests/testenv/up.sh`, runs the tests inside its network namespace and points
//! `SEALWRIGHT_TESTENV` at its env file. Each test then takes its own namespace
//! ([`namespace`]) and its own pod address ([`pool`]), and may spawn a controller
//! ([`controller`]) that the API server's service proxy reaches ([`proxy`]).
//! A missing or unreachable control plane is a test failure, never a skip.
//!
//! It may import any workspace crate (today `sealwright-crypto`, and `sealwright-gocompat` in
//! tests); the CLI and the controller are driven as built binaries. No crate imports it.

pub mod components;
pub mod context;
pub mod controller;
pub mod deployed;
pub mod env;
pub mod error;
pub mod fresh_plane;
pub mod namespace;
pub mod oci;
pub mod pool;
pub mod proxy;
pub mod rbac;
pub mod token;
pub mod wire;

pub use context::{TestContext, eventually};
pub use controller::{ControllerBinary, ControllerOptions, RunningController};
pub use deployed::DeployedPod;
pub use env::Testenv;
pub use error::TestenvError;
pub use fresh_plane::FreshControlPlane;
pub use namespace::create_namespace;
pub use pool::PodIp;
