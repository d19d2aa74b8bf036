//! `kubeseal edit` keeps the plaintext private: a 0600 file in a fresh 0700 directory under
//! `$XDG_RUNTIME_DIR`, removed after a save, and also when SIGINT or SIGTERM ends the command
//! while the editor is open (the SealedSecret file is then left as it was).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cmd/data")
        .join(name)
}

/// A copy of the test SealedSecret, the runtime directory, and an editor script that records
/// the file it was given (and its modes) in `log`, then runs `then`.
struct Setup {
    _tmp: tempfile::TempDir,
    file: PathBuf,
    runtime: PathBuf,
    log: PathBuf,
    editor: String,
}

fn setup(then: &str) -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("db.yaml");
    std::fs::copy(data("commented-sealed.yaml"), &file).expect("copy");
    let runtime = tmp.path().join("runtime");
    std::fs::create_dir(&runtime).expect("mkdir");
    let log = tmp.path().join("editor.log");
    let script = tmp.path().join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "printf '%s %s %s\\n' \"$1\" \"$(stat -c %a \"$1\")\" \"$(stat -c %a \"$(dirname \"$1\")\")\" > {log}.part\nmv {log}.part {log}\n{then}\n",
            log = log.display()
        ),
    )
    .expect("write script");
    Setup {
        editor: format!("sh {}", script.display()),
        _tmp: tmp,
        file,
        runtime,
        log,
    }
}

fn command(s: &Setup) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubeseal"));
    cmd.args(["edit", "--recovery-private-key"])
        .arg(data("cert.key"))
        .arg("--cert")
        .arg(data("cert.pem"))
        .arg(&s.file)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("HOME", "/nonexistent")
        .env("XDG_RUNTIME_DIR", &s.runtime)
        .env("EDITOR", &s.editor)
        .env_remove("VISUAL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The edited file's path and the file's and directory's modes, as the editor saw them.
fn editor_saw(log: &Path) -> (PathBuf, String, String) {
    let text = std::fs::read_to_string(log).expect("editor log");
    let mut parts = text.split_whitespace();
    let path = PathBuf::from(parts.next().expect("path"));
    let file_mode = parts.next().expect("file mode").to_string();
    let dir_mode = parts.next().expect("dir mode").to_string();
    (path, file_mode, dir_mode)
}

#[test]
fn private_temporary_file_removed_after_saving() {
    let s = setup("sed -i 's/^  password: .*/  password: changed/' \"$1\"");
    let before = std::fs::read(&s.file).expect("read");
    let out = command(&s).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (path, file_mode, dir_mode) = editor_saw(&s.log);
    assert!(path.starts_with(&s.runtime), "{}", path.display());
    assert_eq!((file_mode.as_str(), dir_mode.as_str()), ("600", "700"));
    assert!(!path.exists(), "the plaintext file is gone");
    assert_eq!(
        std::fs::read_dir(&s.runtime).expect("ls").count(),
        0,
        "and its directory"
    );
    let after = std::fs::read(&s.file).expect("read");
    assert_ne!(before, after, "the password was sealed again");
}

#[test]
fn a_signal_while_editing_removes_the_plaintext_and_changes_nothing() {
    for signal in ["INT", "TERM"] {
        let s = setup("exec sleep 30");
        let before = std::fs::read(&s.file).expect("read");
        let child = command(&s).spawn().expect("spawn");
        let started = Instant::now();
        while !s.log.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the editor never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let (path, _, _) = editor_saw(&s.log);
        assert!(path.exists(), "plaintext file present while editing");
        let killed = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wait");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "SIG{signal} did not end the edit"
        );
        assert_eq!(out.status.code(), Some(1), "SIG{signal}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("interrupted"), "SIG{signal}: {stderr}");
        assert!(!path.exists(), "SIG{signal}: plaintext file removed");
        assert_eq!(std::fs::read_dir(&s.runtime).expect("ls").count(), 0);
        assert_eq!(std::fs::read(&s.file).expect("read"), before);
    }
}
