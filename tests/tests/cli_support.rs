//! Shared helpers for the `cli_*` tests: locating our and upstream's kubeseal, running them
//! hermetically (no kubeconfig, no `SEALED_SECRETS_*` from the caller), and masking ciphertexts.
//! Included by each `cli_*` test with `#[path]`; on its own it holds no tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/upstream")
}

/// Our kubeseal: `$SEALWRIGHT_KUBESEAL_BIN`, else `kubeseal` in this test's target profile
/// directory (`cargo test --workspace` builds it). Missing is a failure, never a skip.
pub fn ours() -> PathBuf {
    if let Some(p) = std::env::var_os("SEALWRIGHT_KUBESEAL_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test> → target/<profile>/kubeseal
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let bin = profile_dir.join("kubeseal");
    assert!(
        bin.exists(),
        "our kubeseal is not built at {} (run `cargo build -p sealwright-cli` or `cargo test --workspace`)",
        bin.display()
    );
    bin
}

/// Upstream's kubeseal, built (or found in the cache) by `tests/upstream/build.sh`.
pub fn upstream() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if let Some(p) = std::env::var_os("SEALWRIGHT_UPSTREAM_BIN") {
            return PathBuf::from(p);
        }
        let script = repo().join("tests/upstream/build.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            out.status
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        PathBuf::from(
            stdout
                .lines()
                .last()
                .expect("build.sh prints the binary directory")
                .trim(),
        )
    });
    let bin = dir.join("kubeseal");
    assert!(
        bin.exists(),
        "upstream kubeseal missing at {}",
        bin.display()
    );
    bin
}

/// A scratch directory removed on drop.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sealwright-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write scratch file");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a kubeseal with `args` and `stdin`, in an environment with no kubeconfig and no
/// `SEALED_SECRETS_*` variables (plus `env`).
pub fn run(bin: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let home = std::env::temp_dir().join("sealwright-cli-empty-home");
    std::fs::create_dir_all(&home).expect("empty home");
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("SEALED_SECRETS_") || k == "KUBECONFIG" || k.starts_with("KUBERNETES_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", &home)
        .env("KUBECONFIG", home.join("no-such-kubeconfig"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Replaces every ciphertext (a base64 run of 300+ characters) with `<ciphertext>`.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 300 {
            out.push_str("<ciphertext>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

pub fn cert(bits: u32) -> PathBuf {
    fixtures().join(format!("keys/rsa-{bits}.crt"))
}

pub fn key(bits: u32) -> PathBuf {
    fixtures().join(format!("keys/rsa-{bits}.key"))
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A small deterministic generator (xorshift), so a printed seed reproduces a failure.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Where two texts part: the line number and a few lines of each around it.
pub fn first_difference(u: &str, o: &str) -> String {
    let line = u
        .lines()
        .zip(o.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| u.lines().count().min(o.lines().count()));
    let window = |t: &str| {
        t.lines()
            .skip(line.saturating_sub(2))
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {line}\nupstream:\n{}\nours:\n{}",
        window(u),
        window(o)
    )
}
