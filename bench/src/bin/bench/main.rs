//! `make bench`: every scenario in every configuration, interleaved and
//! repeated, the order of the configurations rotating from run to run
//! (A B C, B C A, C A B, ...), medians reported with min–max and the ratio
//! to native tokio. Prints one table per section and writes
//! `bench/results/latest.md` and `bench/results/latest.json`.
//!
//! `bench [--quick] [--runs N] [--profile P] [--only a,b]`, from the
//! workspace root after the builds `make bench` makes (P: the compared
//! programs' cargo profile; the host is always `release`). Servers run on
//! core 0 and the load generator on core 1 (`taskset`) when the machine
//! has two cores or more.
//!
//! - [`plan`]: the command line of every configuration;
//! - [`sections`]: one run of each section;
//! - [`measure`]: running a program and reading its CPU and memory;
//! - `wasio_bench::report`: samples, ratios and tables.

mod measure;
mod plan;
mod sections;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use plan::Plan;
use sections::Results;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the workspace")
        .to_path_buf()
}

/// cargo's target directory: `$CARGO_TARGET_DIR` (as the Makefile passes
/// it, absolute) or the workspace's `target/`.
fn target() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root().join(d),
        None => root().join("target"),
    }
}

/// A built artefact under the target directory, checked to exist.
fn require(rel: &str) -> String {
    let p = target().join(rel);
    if !p.exists() {
        eprintln!(
            "bench: {} is missing: run `make bench`, which builds it",
            p.display()
        );
        std::process::exit(2);
    }
    p.display().to_string()
}

/// The command line.
struct Options {
    /// `--quick`: one short run of fewer rows.
    quick: bool,
    /// `--runs N` (default 5, 1 when quick).
    runs: usize,
    /// `--profile P`: the compared programs' cargo profile (the host is
    /// always `release`); `make bench` passes `release-lto`.
    profile: String,
    /// `--only echo,http,idle`: only the sections and scenarios whose
    /// names start so (runtime, idle, copy, start-up, a server scenario,
    /// workers, tls).
    only: Option<Vec<String>>,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
        };
        let quick = args.iter().any(|a| a == "--quick");
        Options {
            quick,
            runs: value("--runs")
                .and_then(|n| n.parse().ok())
                .unwrap_or(if quick { 1 } else { 5 }),
            profile: value("--profile")
                .cloned()
                .unwrap_or_else(|| "release".into()),
            only: value("--only").map(|o| o.split(',').map(str::to_string).collect()),
        }
    }

    fn wants(&self, section: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| section.starts_with(x.as_str())))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = Options::parse(&args);
    measure::raise_fd_limit();
    let started = Instant::now();
    let plan = Plan::new(opts.quick, &opts.profile);
    let mut results = Results::default();
    for run in 0..opts.runs {
        sections::run_once(&plan, run, opts.runs, &|s| opts.wants(s), &mut results);
    }
    let mut md = preamble(&opts, &plan);
    let mut rows = Vec::new();
    let r = &results;
    let tables = [
        (
            "Network servers",
            &r.net,
            &["wasm", "native", "tokio", "wasip2"][..],
            "tokio",
        ),
        (
            "Files and start-up",
            &r.other,
            &["wasm", "native", "std"],
            "native",
        ),
        (
            "Runtime internals (rt-bench)",
            &r.runtime,
            &["wasm", "native"],
            "native",
        ),
    ];
    for (title, samples, configs, baseline) in tables {
        samples.table(title, configs, baseline, &r.units, &mut md, &mut rows);
    }
    let _ = writeln!(md, "\nTotal time: {:.0} s", started.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&plan.scratch);
    print!("{md}");
    let dir = root().join("bench/results");
    std::fs::create_dir_all(&dir).expect("bench/results");
    std::fs::write(dir.join("latest.md"), &md).expect("latest.md");
    let json = json!({ "runs": opts.runs, "quick": opts.quick, "results": rows });
    std::fs::write(
        dir.join("latest.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("latest.json");
    eprintln!("bench: wrote {}", dir.join("latest.md").display());
}

/// The text above the tables: how the figures were taken.
fn preamble(opts: &Options, plan: &Plan) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## wasio benchmarks\n\n{} run(s){}, interleaved; medians (min–max); a ratio is the \
         median of the per-run ratios (each run measures every configuration back to back, in an order \
         that rotates from run to run). The host is a \
         release build; every compared program (wasm guest, native wasio, tokio) is built with \
         the `{}` profile. Servers on core 0, \
         load generator on core 1. Network: closed-loop connections, {} s each, 64-byte echo \
         messages or keep-alive `GET /`; `cpu_per_req` is the server's CPU time (user + sys) per \
         request. `wasip2`: the same stock tokio program as `tokio` (for echo, the \
         same logic), built for wasm32-wasip2 and run under `wasio run` as a WASI 0.2 component. \
         TLS: a new connection per request (TLS 1.3 handshake, ECDSA P-256 certificate, \
         one byte echoed) from a ring client; the servers use RustCrypto's provider unless the \
         row says ring. `--workers` rows: the server may use every core ({}) and the load \
         generator shares core {}; `conns_worker_N` is how many connections worker N answered.",
        opts.runs,
        if opts.quick { ", quick mode" } else { "" },
        opts.profile,
        plan.secs,
        plan.all_cpus,
        plan.cores - 1
    );
    if !opts.quick && plan.big_idle < 100_000 {
        let _ = writeln!(
            md,
            "\nIdle 100,000 connections: not run here: the hard open-file limit is {} \
             (and cannot be raised in this container), so the largest idle row is {}.",
            plan.fd_max, plan.big_idle
        );
    }
    md
}
