//! One run of every section the bench was asked for, each configuration
//! in the order the run rotates to.

use wasio_bench::report::{rotated, stats, Samples, Units};

use crate::measure::{run_idle, run_load_on, run_to_end, time_ms};
use crate::plan::Plan;

/// Everything measured so far: a table's samples each, and the units.
#[derive(Default)]
pub(crate) struct Results {
    /// Network servers: idle, load, `--workers`, TLS.
    pub(crate) net: Samples,
    /// File copies and start-up.
    pub(crate) other: Samples,
    /// rt-bench.
    pub(crate) runtime: Samples,
    pub(crate) units: Units,
}

/// Run `run` (0-based) of `runs`: each section `wants` names.
pub(crate) fn run_once(
    plan: &Plan,
    run: usize,
    runs: usize,
    wants: &dyn Fn(&str) -> bool,
    r: &mut Results,
) {
    let say = |what: &str| eprintln!("bench: run {}/{runs}: {what}", run + 1);
    if wants("runtime") {
        runtime(plan, run, &say, r);
    }
    if wants("idle") {
        idle(plan, run, &say, r);
    }
    if wants("copy") {
        copy(plan, run, &say, r);
    }
    if wants("start-up") {
        start_up(plan, &say, r);
    }
    for scenario in ["echo", "http", "hyper hello", "axum json"] {
        if wants(scenario) {
            load(plan, scenario, run, &say, r);
        }
    }
    if wants("workers") {
        workers(plan, &say, r);
    }
    if wants("tls") {
        tls(plan, run, &say, r);
    }
}

fn runtime(plan: &Plan, run: usize, say: &dyn Fn(&str), r: &mut Results) {
    for (name, argv) in rotated(&plan.runtime, run) {
        say(&format!("rt-bench {name}"));
        let text = run_to_end(argv);
        r.runtime.record(&mut r.units, "runtime", name, &text);
    }
}

fn idle(plan: &Plan, run: usize, say: &dyn Fn(&str), r: &mut Results) {
    for &c in &plan.idle_conns {
        for (config, argv) in rotated(&plan.idle, run) {
            say(&format!("idle {c} conns {config}"));
            let text = run_idle(argv, c, plan.idle_secs);
            r.net
                .record(&mut r.units, &format!("idle {c} conns"), config, &text);
        }
    }
}

fn copy(plan: &Plan, run: usize, say: &dyn Fn(&str), r: &mut Results) {
    for (config, argv) in rotated(&plan.copies, run) {
        say(&format!("file copy {config}"));
        let text = run_to_end(argv);
        let scenario = format!("copy {} MiB", plan.mib);
        r.other.record(&mut r.units, &scenario, config, &text);
    }
}

/// The first run (which compiles), then five runs from the cache, and
/// five of the native build.
fn start_up(plan: &Plan, say: &dyn Fn(&str), r: &mut Results) {
    say("start-up");
    let _ = std::fs::remove_dir_all(&plan.cache);
    let wasm = [
        plan.host.clone(),
        "run".into(),
        "--cache-dir".into(),
        plan.cache.clone(),
        plan.start_guest.clone(),
    ];
    let first = time_ms(&wasm);
    let cached: Vec<f64> = (0..5).map(|_| time_ms(&wasm)).collect();
    let native: Vec<f64> = (0..5)
        .map(|_| time_ms(std::slice::from_ref(&plan.start_native)))
        .collect();
    let ms = |v: f64| format!("start_ms {v:.2} ms\n");
    let (u, o) = (&mut r.units, &mut r.other);
    o.record(u, "start-up, first run (compiles)", "wasm", &ms(first));
    o.record(u, "start-up, cached", "wasm", &ms(stats(&cached).0));
    o.record(u, "start-up, cached", "native", &ms(stats(&native).0));
}

/// One load scenario at every connection count (echo and http also at
/// 10,000 in a full run).
fn load(plan: &Plan, scenario: &str, run: usize, say: &dyn Fn(&str), r: &mut Results) {
    let wide = !plan.quick && matches!(scenario, "echo" | "http");
    let extra: &[usize] = if wide { &[10_000] } else { &[] };
    for &c in plan.conns.iter().chain(extra) {
        let these = plan.servers.iter().filter(|s| s.0 == scenario);
        for (sc, mode, config, argv) in rotated(these, run) {
            say(&format!("{sc} c={c} {config}"));
            let text = run_load_on("0", argv, mode, c, plan.secs, "", &plan.loadgen);
            r.net
                .record(&mut r.units, &format!("{sc} c={c}"), config, &text);
        }
    }
}

/// http under `--workers`, the server on every core.
fn workers(plan: &Plan, say: &dyn Fn(&str), r: &mut Results) {
    let c = plan.workers_conns;
    for (label, argv) in &plan.workers {
        say(&format!("http c={c} --workers {label}"));
        let text = run_load_on(
            &plan.all_cpus,
            argv,
            "http",
            c,
            plan.secs,
            "",
            &plan.loadgen,
        );
        let scenario = format!("http c={c}, --workers {label}");
        r.net.record(&mut r.units, &scenario, "wasm", &text);
    }
}

/// TLS handshakes: a new connection per request.
fn tls(plan: &Plan, run: usize, say: &dyn Fn(&str), r: &mut Results) {
    let c = plan.tls_conns;
    for (sc, config, argv) in rotated(&plan.tls, run) {
        say(&format!("{sc} c={c} {config}"));
        let text = run_load_on("0", argv, "tls", c, plan.secs, &plan.ca, &plan.loadgen);
        r.net
            .record(&mut r.units, &format!("{sc} c={c}"), config, &text);
    }
}
