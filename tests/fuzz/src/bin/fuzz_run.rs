//! Runs fuzz targets on the stable toolchain: every seed of the corpus once, then random
//! mutations of the corpus until the time is up. Deterministic for a given `--seed` (printed),
//! so a failure can be replayed. A failing input is written next to the corpus and named.
//!
//!   fuzz-run [--seconds N] [--seed S] [--corpus DIR] [TARGET...]   (default: every target)
//!   fuzz-run --replay TARGET FILE
//!   fuzz-run --write-seeds DIR

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use sealwright_fuzz::mutate::{dictionary, mutate};
use sealwright_fuzz::targets::TEMPLATE_MEMORY_LIMIT;
use sealwright_fuzz::{TARGETS, seeds, target};

struct Options {
    seconds: u64,
    seed: u64,
    corpus: PathBuf,
    targets: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--write-seeds") => match args.get(1) {
            Some(dir) => write_seeds(Path::new(dir)),
            None => Err("--write-seeds needs a directory".into()),
        },
        Some("--replay") => match (args.get(1), args.get(2)) {
            (Some(t), Some(file)) => replay(t, Path::new(file)),
            _ => Err("--replay needs a target and a file".into()),
        },
        _ => parse(&args).and_then(|o| run_all(&o)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fuzz-run: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        seconds: 20,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
        corpus: seeds::repo_root().join("tests/fuzz/corpus"),
        targets: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                options.seconds = value("--seconds")?
                    .parse()
                    .map_err(|_| "--seconds: not a number")?
            }
            "--seed" => {
                options.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed: not a number")?
            }
            "--corpus" => options.corpus = value("--corpus")?.into(),
            name if target(name).is_some() => options.targets.push(name.to_string()),
            other => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown argument {other:?} (targets: {})",
                    names.join(", ")
                ));
            }
        }
    }
    if options.targets.is_empty() {
        options.targets = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    }
    Ok(options)
}

fn run_all(options: &Options) -> Result<(), String> {
    eprintln!(
        "fuzz-run: seed {} ({}s per target; replay with --seed {})",
        options.seed, options.seconds, options.seed
    );
    // The panic message is printed by the default hook; the runner adds the input's file.
    for name in &options.targets {
        run_one(name, options)?;
    }
    Ok(())
}

fn load_corpus(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect()
}

fn run_one(name: &str, options: &Options) -> Result<(), String> {
    let run = target(name).ok_or(format!("no target {name}"))?;
    let corpus = load_corpus(&options.corpus.join(name))?;
    if corpus.is_empty() {
        return Err(format!("{name}: empty seed corpus"));
    }
    let dict = dictionary(name);
    let mut rng = SmallRng::seed_from_u64(options.seed ^ fnv(name.as_bytes()));
    // Inputs that were slow or large stay in the pool: they are the likeliest to grow into a
    // budget hole.
    let mut pool = corpus.clone();
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let mut runs = 0u64;
    let mut slowest = Duration::ZERO;
    let mut peak_growth = 0u64;
    let check_memory = name == "template" && memory::available();
    let mut index = 0usize;
    loop {
        let input = if index < corpus.len() {
            corpus[index].clone()
        } else if Instant::now() >= deadline {
            break;
        } else {
            let base = &pool[rng.random_range(0..pool.len())];
            mutate(&mut rng, base, &pool, dict)
        };
        index += 1;
        let before = if check_memory {
            memory::reset_peak()
        } else {
            0
        };
        let t0 = Instant::now();
        let outcome = std::panic::catch_unwind(|| run(&input));
        let took = t0.elapsed();
        let growth = if check_memory {
            memory::peak().saturating_sub(before)
        } else {
            0
        };
        runs += 1;
        let failure = match outcome {
            Err(_) => Some("panicked".to_string()),
            Ok(()) if growth > TEMPLATE_MEMORY_LIMIT => Some(format!(
                "used {} MiB (limit {} MiB)",
                growth >> 20,
                TEMPLATE_MEMORY_LIMIT >> 20
            )),
            Ok(()) => None,
        };
        if let Some(what) = failure {
            let path = save_failure(name, &input)?;
            return Err(format!(
                "{name}: input {} {what}; replay: fuzz-run --replay {name} {}",
                path.display(),
                path.display()
            ));
        }
        if took > slowest {
            slowest = took;
            if pool.len() < corpus.len() + 256 {
                pool.push(input);
            }
        }
        peak_growth = peak_growth.max(growth);
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    eprintln!(
        "fuzz-run: {name}: {runs} runs ({:.0}/s) from {} seeds, no failure; slowest run {slowest:?}{}",
        runs as f64 / secs,
        corpus.len(),
        if check_memory {
            format!(", peak memory growth {} KiB", peak_growth >> 10)
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Writes a failing input to `$TMPDIR/sealwright-fuzz-failures/NAME-HASH`, for `--replay`.
fn save_failure(name: &str, input: &[u8]) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("sealwright-fuzz-failures");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}-{:016x}", fnv(input)));
    std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn replay(name: &str, file: &Path) -> Result<(), String> {
    let run = target(name).ok_or(format!("no target {name}"))?;
    let input = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let t0 = Instant::now();
    run(&input);
    eprintln!(
        "fuzz-run: {name}: {} passes in {:?}",
        file.display(),
        t0.elapsed()
    );
    Ok(())
}

fn write_seeds(dir: &Path) -> Result<(), String> {
    for (name, inputs) in seeds::seeds()? {
        let target_dir = dir.join(name);
        std::fs::create_dir_all(&target_dir)
            .map_err(|e| format!("{}: {e}", target_dir.display()))?;
        for input in &inputs {
            let path = target_dir.join(format!("{:016x}", fnv(input)));
            std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        eprintln!("fuzz-run: {name}: {} seeds", inputs.len());
    }
    Ok(())
}

/// FNV-1a: a stable name for an input, and a per-target RNG stream.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Peak resident memory of this process, per run: Linux resets the high-water mark when `5` is
/// written to `/proc/self/clear_refs`, and reports it as `VmHWM` in `/proc/self/status`.
mod memory {
    pub fn available() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok() && peak() > 0
    }

    /// Resets the high-water mark; returns the resident size it starts from.
    pub fn reset_peak() -> u64 {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        peak()
    }

    /// `VmHWM` in bytes (0 when unreadable).
    pub fn peak() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or(0, |kib| kib << 10)
    }
}
