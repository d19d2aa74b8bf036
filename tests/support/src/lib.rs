//! Test support: the local control plane and helpers shared by the integration tests.
