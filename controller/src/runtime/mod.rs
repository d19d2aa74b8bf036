//! What runs against the API server: watches feeding the cache and the Secret index, the work
//! queue, leader election, the client-side throttle, the Event recorder, the key store and the
//! unsealer pool.

pub mod cache;
pub mod drift_guard;
pub mod events;
pub mod keystore;
pub mod leader;
pub mod namespace;
pub mod secret_index;
pub mod throttle;
pub mod unsealer;
pub mod watchers;
pub mod workqueue;
