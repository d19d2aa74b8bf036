//! The standard `process_*` metrics from `/proc/self` (Linux), as the Go client exposes them.

use std::sync::OnceLock;

fn page_size() -> u64 {
    4096
}

fn clock_ticks() -> f64 {
    100.0
}

fn boot_time() -> Option<u64> {
    static BOOT: OnceLock<Option<u64>> = OnceLock::new();
    *BOOT.get_or_init(|| {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        stat.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// The text lines; empty when `/proc` is unavailable.
pub fn render() -> String {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return String::new();
    };
    // Fields after the parenthesised command name, which may itself contain spaces.
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return String::new();
    };
    let f: Vec<&str> = after.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // `after` starts at field 3 (state), so field n is f[n - 3].
    let cpu = (num(14 - 3) + num(15 - 3)) as f64 / clock_ticks();
    let start = boot_time().map(|b| b as f64 + num(22 - 3) as f64 / clock_ticks());
    let vsize = num(23 - 3);
    let rss = num(24 - 3) * page_size();
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0);
    let max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|x| x.starts_with("Max open files"))
                .and_then(|x| {
                    x.split_whitespace()
                        .nth(3)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .unwrap_or(0);
    let mut out = String::new();
    let mut push = |name: &str, kind: &str, help: &str, value: String| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    };
    push(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        format!("{cpu}"),
    );
    push(
        "process_max_fds",
        "gauge",
        "Maximum number of open file descriptors.",
        max_fds.to_string(),
    );
    push(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
        fds.to_string(),
    );
    push(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        rss.to_string(),
    );
    if let Some(start) = start {
        push(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            format!("{start}"),
        );
    }
    push(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        vsize.to_string(),
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_on_linux() {
        let text = super::render();
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(text.contains("# TYPE process_resident_memory_bytes gauge"));
            assert!(text.contains("process_open_fds "));
        }
    }
}
