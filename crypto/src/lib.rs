//! The Sealed Secrets format, shared by `kubeseal` and the controller.
//!
//! Pure logic only: no Kubernetes client, no async runtime, no I/O beyond the
//! bytes handed in. Everything here must stay byte-compatible with upstream
//! Sealed Secrets (see the compatibility notes on each module).
//!
//! Its one job is the sealing core: the hybrid RSA-OAEP + AES-GCM primitive, scopes and their
//! labels, keys and certificates, the `SealedSecret` model, seal and unseal, the one key-file
//! reader, re-sealing for the newest key and which key seals. It may import `sealwright-gocompat`
//! and no other workspace crate; `kubeseal`, the controller and the tests build on it. See
//! `docs/ARCHITECTURE.md` for where it sits on the seal and unseal paths.

pub mod b64;
pub mod cert;
pub mod fingerprint;
pub mod gojson;
pub mod goobject;
pub mod hybrid;
pub mod item;
pub mod keyfile;
pub mod keys;
pub mod model;
pub mod open;
pub mod recovery;
pub mod redact;
pub mod rotate;
pub mod scope;
pub mod seal;
pub mod sealing;
pub mod template;
pub mod unseal;
pub mod yaml;

pub use hybrid::{KeySet, SealError};
pub use model::{
    SealedSecret, SealedSecretCondition, SealedSecretSpec, SealedSecretStatus, SecretTemplateSpec,
};
/// The `rsa` key types under their long-standing names (`rsa` 0.10 deprecates the aliases).
pub use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
pub use scope::Scope;
