//! The places where kubeseal is safer than upstream, and never panics: a closed stdout,
//! non-UTF-8 arguments, a full disk under `--merge-into`, symlinks and devices under `-w`,
//! a certificate server that never answers.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  k: v\n";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cmd/data")
        .join(name)
}

fn command(args: &[&OsStr]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubeseal"));
    cmd.args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd.spawn().expect("spawn kubeseal");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubeseal-safety-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// `kubeseal … | true`: stdout is a pipe whose reader is already gone. A Go program dies of
/// SIGPIPE without a word; so must ours, instead of panicking.
#[test]
fn closed_stdout_ends_quietly_by_sigpipe() {
    for args in [
        &["--help"][..],
        &["--version"][..],
        &["completion", "bash"][..],
        &["man"][..],
        &["help"][..],
        &["--cert", "CERT", "-o", "yaml"][..],
    ] {
        let cert = data("cert.pem");
        let args: Vec<&OsStr> = args
            .iter()
            .map(|a| {
                if *a == "CERT" {
                    cert.as_os_str()
                } else {
                    os(a)
                }
            })
            .collect();
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut cmd = command(&args);
        cmd.stdout(writer);
        let out = run(cmd, SECRET.as_bytes());
        assert_eq!(
            out.status.signal(),
            Some(13),
            "{args:?}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Paths may hold any bytes; names may not, and say so in one line.
#[test]
fn non_utf8_arguments() {
    let dir = scratch("utf8");
    let odd = |name: &[u8]| dir.join(OsStr::from_bytes(name));
    let cert = odd(b"\xff-cert.pem");
    std::fs::copy(data("cert.pem"), &cert).expect("copy cert");
    let input = odd(b"\xfe-secret.yaml");
    std::fs::write(&input, SECRET).expect("input");
    let out = run(
        command(&[
            os("--cert"),
            cert.as_os_str(),
            os("-f"),
            input.as_os_str(),
            os("-o"),
            os("yaml"),
        ]),
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: SealedSecret"));

    let missing = odd(b"\xff-missing.key");
    let out = run(
        command(&[
            os("--recovery-unseal"),
            os("--recovery-private-key"),
            missing.as_os_str(),
            os("-f"),
            data("sealed.yaml").as_os_str(),
        ]),
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no such file or directory"), "{stderr}");

    for flag in ["-n", "--name"] {
        let out = run(
            command(&[
                os("--cert"),
                data("cert.pem").as_os_str(),
                os(flag),
                OsStr::from_bytes(b"bad\xffname"),
            ]),
            SECRET.as_bytes(),
        );
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr,
            format!(
                "error: invalid argument for \"{flag}\": the value is not valid UTF-8 (only file paths may hold other bytes)\n"
            )
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A full disk (here: a file-size limit, with SIGXFSZ ignored so the write fails with EFBIG
/// as on a full filesystem) leaves the `--merge-into` file exactly as it was.
#[test]
fn merge_into_is_atomic_when_the_disk_is_full() {
    let dir = scratch("full");
    let target = dir.join("sealed.yaml");
    let first = run(
        command(&[
            os("--cert"),
            data("cert.pem").as_os_str(),
            os("-o"),
            os("yaml"),
        ]),
        SECRET.as_bytes(),
    );
    assert!(first.status.success());
    std::fs::write(&target, &first.stdout).expect("existing");
    let before = std::fs::read(&target).expect("before");
    // Many items make the rewritten file bigger than the limit; the original fits.
    let mut update =
        String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n");
    for i in 0..40 {
        update.push_str(&format!("  k{i}: value {i}\n"));
    }
    let limit_blocks = before.len().div_ceil(512) + 1;
    let script = format!("trap '' XFSZ; ulimit -f {limit_blocks}; exec \"$0\" \"$@\"");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_kubeseal"))
        .args([
            os("--cert"),
            data("cert.pem").as_os_str(),
            os("-o"),
            os("yaml"),
            os("--merge-into"),
            target.as_os_str(),
        ])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = run(cmd, update.as_bytes());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: write ") && stderr.contains("too large"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&target).expect("after"), before, "untouched");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["sealed.yaml"], "no temporary file left");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-w` onto a symlink writes through it (the link stays a link); onto a device it writes
/// into the device and never replaces the node.
#[test]
fn output_file_symlinks_and_devices() {
    let dir = scratch("links");
    let real = dir.join("real.yaml");
    std::fs::write(&real, "old\n").expect("real");
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink("real.yaml", &link).expect("symlink");
    let out = run(
        command(&[
            os("--cert"),
            data("cert.pem").as_os_str(),
            os("-w"),
            link.as_os_str(),
        ]),
        SECRET.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .expect("real")
            .contains("kind: SealedSecret")
    );

    let out = run(
        command(&[
            os("--cert"),
            data("cert.pem").as_os_str(),
            os("-w"),
            os("/dev/null"),
        ]),
        SECRET.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = std::fs::metadata("/dev/null").expect("/dev/null");
    assert!(!meta.is_file(), "/dev/null is still a device");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A certificate URL that accepts the connection and never answers gives up after
/// `--request-timeout`.
#[test]
fn certificate_url_obeys_the_request_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let url = format!(
        "http://{}/v1/cert.pem",
        listener.local_addr().expect("addr")
    );
    let hold = std::thread::spawn(move || {
        // Accept and keep the connection open without a byte of answer.
        let conn = listener.accept();
        std::thread::sleep(Duration::from_secs(5));
        drop(conn);
    });
    let start = Instant::now();
    let out = run(
        command(&[os("--cert"), os(&url), os("--request-timeout"), os("1s")]),
        SECRET.as_bytes(),
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: Get \"{url}\": ")),
        "{stderr}"
    );
    let _ = hold.join();
}
