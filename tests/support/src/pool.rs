//! Pod addresses from the pool on the namespace's `lo`, one per controller instance.
//! Held through a lock file, so parallel test processes (cargo test, nextest) never share one.

use std::fs::{File, OpenOptions, TryLockError};
use std::net::Ipv4Addr;

use crate::env::Testenv;
use crate::error::TestenvError;

/// An address of the pool, reserved until dropped (or until the process exits).
#[derive(Debug)]
pub struct PodIp {
    ip: Ipv4Addr,
    _lock: File,
}

impl PodIp {
    /// Reserves the first free address of the pool.
    pub fn allocate(env: &Testenv) -> Result<PodIp, TestenvError> {
        std::fs::create_dir_all(&env.ip_locks).map_err(TestenvError::io(&env.ip_locks))?;
        for n in u32::from(env.pod_ip_first)..=u32::from(env.pod_ip_last) {
            let ip = Ipv4Addr::from(n);
            let path = env.ip_locks.join(format!("{ip}.lock"));
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(TestenvError::io(&path))?;
            match file.try_lock() {
                Ok(()) => return Ok(PodIp { ip, _lock: file }),
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(e)) => return Err(TestenvError::io(&path)(e)),
            }
        }
        Err(TestenvError::PoolExhausted {
            range: format!("{}-{}", env.pod_ip_first, env.pod_ip_last),
            locks: env.ip_locks.clone(),
        })
    }

    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }
}
