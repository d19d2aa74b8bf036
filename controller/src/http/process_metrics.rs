//! The process families the Go client exposes (its process collector, read from `/proc`, Linux),
//! with the same names, HELP and units; and the two Go runtime families a Rust process has an
//! honest equivalent for. Upstream's other `go_*` families describe Go's garbage collector, heap
//! and toolchain (`go_gc_*`, `go_memstats_*`, `go_info`, `go_build_info`,
//! `go_sched_gomaxprocs_threads`) and are left out rather than filled with made-up values.

use std::sync::OnceLock;

/// The Go client assumes these too (procfs: `os.Getpagesize()`, `userHZ`).
const PAGE_SIZE: f64 = 4096.0;
const CLOCK_TICKS: f64 = 100.0;

fn boot_time() -> Option<f64> {
    static BOOT: OnceLock<Option<f64>> = OnceLock::new();
    *BOOT.get_or_init(|| {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        stat.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Fields of `/proc/self/stat`, numbered as in proc(5) (1 = pid).
struct Stat(Vec<String>);

impl Stat {
    fn read() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name (field 2) is parenthesised and may hold spaces; field 3 follows it.
        let after = &text[text.rfind(')')? + 1..];
        Some(Self(after.split_whitespace().map(str::to_string).collect()))
    }

    fn field(&self, n: usize) -> Option<f64> {
        self.0.get(n.checked_sub(3)?)?.parse().ok()
    }
}

/// The soft limit of a `/proc/self/limits` row; "unlimited" is the largest u64, as procfs reads it.
fn soft_limit(limits: &str, row: &str) -> Option<f64> {
    let rest = limits.lines().find_map(|l| l.strip_prefix(row))?;
    match rest.split_whitespace().next()? {
        "unlimited" => Some(u64::MAX as f64),
        v => v.parse().ok(),
    }
}

/// `IpExt` `InOctets`/`OutOctets` of `/proc/self/net/netstat`: the bytes of the process's
/// network namespace, which is what the Go client reports too.
fn net_octets() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/self/net/netstat").ok()?;
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        if !names.starts_with("IpExt:") {
            continue;
        }
        let pairs: Vec<(&str, &str)> = names
            .split_whitespace()
            .zip(values.split_whitespace())
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .and_then(|(_, v)| v.parse().ok())
        };
        return Some((get("InOctets")?, get("OutOctets")?));
    }
    None
}

/// One family with one unlabelled sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub name: &'static str,
    pub kind: &'static str,
    pub help: &'static str,
    pub value: f64,
}

/// The families, each present only when its source could be read.
pub fn readings() -> Vec<Reading> {
    let mut out = Vec::new();
    let mut gauge = |name, help, value: Option<f64>| {
        if let Some(value) = value {
            out.push(Reading {
                name,
                kind: "gauge",
                help,
                value,
            });
        }
    };
    let stat = Stat::read();
    let stat_field = |n| stat.as_ref().and_then(|s| s.field(n));
    gauge(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        stat_field(23),
    );
    gauge(
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        stat_field(24).map(|pages| pages * PAGE_SIZE),
    );
    gauge(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        boot_time()
            .zip(stat_field(22))
            .map(|(boot, ticks)| boot + ticks / CLOCK_TICKS),
    );
    gauge(
        "process_open_fds",
        "Number of open file descriptors.",
        std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64),
    );
    let limits = std::fs::read_to_string("/proc/self/limits").ok();
    let limit = |row| limits.as_deref().and_then(|l| soft_limit(l, row));
    gauge(
        "process_max_fds",
        "Maximum number of open file descriptors.",
        limit("Max open files"),
    );
    gauge(
        "process_virtual_memory_max_bytes",
        "Maximum amount of virtual memory available in bytes.",
        limit("Max address space"),
    );
    // Go counts the OS threads its runtime created (it rarely ends one); ours are the threads
    // alive now: tokio workers, blocking-pool threads (RSA work) and the main thread.
    gauge(
        "go_threads",
        "Number of OS threads created.",
        stat_field(20),
    );
    // Go's goroutines are its lightweight tasks; ours are tokio tasks. Only available on the
    // runtime's threads (the metrics handler runs there).
    gauge(
        "go_goroutines",
        "Number of goroutines that currently exist.",
        tokio::runtime::Handle::try_current()
            .ok()
            .map(|h| h.metrics().num_alive_tasks() as f64),
    );
    let counter = |name, help, value| Reading {
        name,
        kind: "counter",
        help,
        value,
    };
    if let Some(cpu) = stat_field(14).zip(stat_field(15)) {
        out.push(counter(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            (cpu.0 + cpu.1) / CLOCK_TICKS,
        ));
    }
    if let Some((rx, tx)) = net_octets() {
        out.push(counter(
            "process_network_receive_bytes_total",
            "Number of bytes received by the process over the network.",
            rx,
        ));
        out.push(counter(
            "process_network_transmit_bytes_total",
            "Number of bytes sent by the process over the network.",
            tx,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_rows() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n\
                      Max address space         unlimited            unlimited            bytes     \n";
        assert_eq!(soft_limit(limits, "Max open files"), Some(1024.0));
        assert_eq!(
            soft_limit(limits, "Max address space"),
            Some(18446744073709551615.0)
        );
        assert_eq!(soft_limit(limits, "Max processes"), None);
    }

    #[tokio::test]
    async fn reads_proc_on_linux() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let names: Vec<&str> = readings().into_iter().map(|r| r.name).collect();
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
            "process_virtual_memory_bytes",
            "process_virtual_memory_max_bytes",
            "go_threads",
            "go_goroutines",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
    }
}
