//! The per-item cost of unsealing, the floor of any controller's catch-up: seals one short value
//! to the key in PEM file `KEY`, opens it `COUNT` times on one thread and prints the median
//! seconds per item. `tests/bench/controller.sh` runs it (release build) before its clocks start.
//!
//! Usage: cargo run --release -p sealwright-crypto --example unseal_cost -- KEY [COUNT]

use std::time::Instant;

use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::keys::private_key_from_pem;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: unseal_cost KEY [COUNT]")?;
    let count: usize = match args.next() {
        Some(n) => n.parse().map_err(|e| format!("COUNT {n:?}: {e}"))?,
        None => 40,
    };
    let pem = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let key = private_key_from_pem(&pem).map_err(|e| format!("{path}: {e}"))?;
    let public = key.to_public_key();
    let label = b"namespace/name";
    let blob = hybrid::seal(&public, label, b"value-0-0-0123456789abcdef")
        .map_err(|e| format!("seal: {e}"))?;
    let keys = KeySet::new(vec![key]);
    let mut times: Vec<f64> = (0..count.max(1))
        .map(|_| {
            let t = Instant::now();
            let opened = hybrid::unseal(&keys, label, &blob);
            let elapsed = t.elapsed().as_secs_f64();
            opened.map(|_| elapsed).map_err(|e| format!("unseal: {e}"))
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    println!("{:.6}", times[times.len() / 2]);
    Ok(())
}
