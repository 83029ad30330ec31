//! `make bench`: runs each benchmark in every configuration, interleaved
//! and repeated, and prints one table (medians, min–max, ratio to native).
//! Writes `bench/results/latest.md` and `bench/results/latest.json`.
//!
//! `bench [--quick] [--runs N]` (run from the workspace root, after the
//! release builds `make bench` makes).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

struct Config {
    name: &'static str,
    command: Vec<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the workspace")
        .to_path_buf()
}

fn require(p: &Path) -> String {
    if !p.exists() {
        eprintln!(
            "bench: {} is missing: run `make bench`, which builds it",
            p.display()
        );
        std::process::exit(2);
    }
    p.display().to_string()
}

/// Runs one command and parses its `name value unit` lines.
fn measure(cmd: &[String]) -> BTreeMap<String, (f64, String)> {
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cmd[0]));
    if !out.status.success() {
        panic!(
            "{} failed: {}",
            cmd.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (name, value, unit) = (it.next()?, it.next()?, it.next()?);
            Some((name.to_string(), (value.parse().ok()?, unit.to_string())))
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 3 });
    let scale = if quick { "0.1" } else { "1" };
    let r = root();
    let host = require(&r.join("target/release/wasio"));
    let native = require(&r.join("target/release/rt-bench"));
    let wasm = require(&r.join("target/wasm32-wasip1/release/rt-bench.wasm"));
    let configs = [
        Config {
            name: "native",
            command: vec![native, scale.into()],
        },
        Config {
            name: "wasm",
            command: vec![host, "run".into(), wasm, scale.into()],
        },
    ];

    // results[metric][config] = samples
    let mut results: BTreeMap<String, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    for run in 0..runs {
        for c in &configs {
            eprintln!("bench: run {}/{runs}: {}", run + 1, c.name);
            for (metric, (v, unit)) in measure(&c.command) {
                results
                    .entry(metric.clone())
                    .or_default()
                    .entry(c.name)
                    .or_default()
                    .push(v);
                units.insert(metric, unit);
            }
        }
    }

    let mut md = String::new();
    let _ = writeln!(
        md,
        "Runtime internals (`rt-bench`), {runs} run(s){}, medians (min–max)\n",
        if quick { ", quick scale 0.1" } else { "" }
    );
    let _ = writeln!(
        md,
        "| metric | unit | native | wasm under wasio | wasm / native |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    let mut json_rows = Vec::new();
    for (metric, by_config) in &mut results {
        let mut cells = Vec::new();
        let mut meds = BTreeMap::new();
        for c in &configs {
            let v = by_config
                .get_mut(c.name)
                .map(|v| v.as_mut_slice())
                .unwrap_or(&mut []);
            if v.is_empty() {
                cells.push("–".to_string());
                continue;
            }
            let (lo, hi) = (
                v.iter().cloned().fold(f64::INFINITY, f64::min),
                v.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            let m = median(v);
            meds.insert(c.name, m);
            cells.push(format!("{m:.1} ({lo:.1}–{hi:.1})"));
            json_rows.push(json!({
                "metric": metric, "config": c.name, "unit": units[metric],
                "median": m, "min": lo, "max": hi, "samples": v,
            }));
        }
        let ratio = match (meds.get("wasm"), meds.get("native")) {
            (Some(w), Some(n)) if *n != 0.0 => format!("{:.2}", w / n),
            _ => "–".into(),
        };
        let _ = writeln!(
            md,
            "| {metric} | {} | {} | {} | {ratio} |",
            units[metric], cells[0], cells[1]
        );
    }
    print!("{md}");
    let dir = r.join("bench/results");
    std::fs::create_dir_all(&dir).expect("bench/results");
    std::fs::write(dir.join("latest.md"), &md).expect("latest.md");
    std::fs::write(
        dir.join("latest.json"),
        serde_json::to_string_pretty(
            &json!({ "runs": runs, "quick": quick, "results": json_rows }),
        )
        .expect("json"),
    )
    .expect("latest.json");
    eprintln!("bench: wrote {}", dir.join("latest.md").display());
}
