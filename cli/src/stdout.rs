//! Everything kubeseal prints on stdout goes through here. A reader that goes away early
//! (`kubeseal --help | head -1`) ends the process the way it ends a Go program: by SIGPIPE,
//! silently, instead of a panic or an error message.

use std::io::Write;

/// Writes `bytes` to stdout and flushes; any other write error is returned.
pub fn write(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => broken_pipe(),
        other => other,
    }
}

/// `print!` that never panics: a failure other than a closed pipe is reported on stderr.
pub fn print(args: std::fmt::Arguments<'_>) {
    if let Err(e) = write(args.to_string().as_bytes()) {
        eprintln!("error: write /dev/stdout: {e}");
        std::process::exit(1);
    }
}

/// Dies of SIGPIPE, with the signal's default action, as Go does for a closed stdout.
pub fn broken_pipe() -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGPIPE);
    // Only reached where the signal cannot be raised.
    std::process::exit(141)
}

/// A writer for stdout that dies quietly on a closed pipe (for renderers that stream).
#[derive(Debug, Default)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::io::stdout().lock().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => broken_pipe(),
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().lock().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => broken_pipe(),
            other => other,
        }
    }
}

/// `println!` through [`print`].
#[macro_export]
macro_rules! outln {
    () => { $crate::stdout::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`print`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::print(format_args!($($arg)*)) };
}
