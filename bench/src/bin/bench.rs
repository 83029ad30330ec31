//! `make bench`: every scenario in every configuration, interleaved and
//! repeated, the order of the configurations rotating from run to run
//! (A B C, B C A, C A B, ...), medians reported with min–max and the ratio
//! to native tokio. Prints one table per section and writes
//! `bench/results/latest.md` and `bench/results/latest.json`.
//!
//! `bench [--quick] [--runs N] [--profile P]`, from the workspace root after the
//! builds `make bench` makes (P: the compared programs' cargo profile; the
//! host is always `release`). Servers run on core 0 and the load generator
//! on core 1 (`taskset`) when the machine has two cores or more.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

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

fn pinned(core: usize, argv: &[String]) -> Command {
    pinned_to(&core.to_string(), argv)
}

/// `argv` on the CPUs in `cpus` (a taskset list such as `0` or `0-3`).
fn pinned_to(cpus: &str, argv: &[String]) -> Command {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 2 && Path::new("/usr/bin/taskset").exists() {
        let mut c = Command::new("/usr/bin/taskset");
        c.arg("-c").arg(cpus).args(argv);
        c
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    }
}

/// Parses `name value unit` lines.
fn metrics(text: &str) -> Vec<(String, f64, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (n, v, u) = (it.next()?, it.next()?, it.next()?);
            Some((n.to_string(), v.parse().ok()?, u.to_string()))
        })
        .collect()
}

fn run_to_end(argv: &[String]) -> String {
    let out = pinned(0, argv)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", argv[0]));
    if !out.status.success() {
        panic!(
            "{} failed: {}",
            argv.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts a server on the CPUs `cpus`, waits for `listening on ADDR`, runs
/// the load generator (the last core) against it (`extra`: the HTTP path
/// or the CA file),
/// stops the server. Adds the server's CPU time (user + sys, from /proc)
/// per request, in microseconds, to the load generator's figures.
fn run_load_on(
    cpus: &str,
    server: &[String],
    mode: &str,
    conns: usize,
    secs: f64,
    extra: &str,
    loadgen: &str,
) -> String {
    let mut child = pinned_to(cpus, server)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", server[0]));
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("server output");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{}: unexpected output {line:?}", server.join(" ")))
        .to_string();
    if server.iter().any(|a| a == "--workers") {
        // Every worker binds its own socket: let them all be listening.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let mut argv = vec![
        loadgen.to_string(),
        mode.into(),
        addr,
        conns.to_string(),
        secs.to_string(),
    ];
    if !extra.is_empty() {
        argv.push(extra.to_string());
    }
    let (_, cpu0) = proc_usage(child.id());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let res = pinned(cores - 1, &argv).output().expect("loadgen");
    let (_, cpu1) = proc_usage(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let text = String::from_utf8_lossy(&res.stdout).into_owned();
    let mut kept = String::new();
    let mut requests = 0.0;
    for l in text.lines() {
        match l.strip_prefix("requests ") {
            Some(v) => {
                requests = v
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0.0)
            }
            None => {
                kept.push_str(l);
                kept.push('\n');
            }
        }
    }
    if requests > 0.0 {
        let _ = writeln!(kept, "cpu_per_req {:.2} us", (cpu1 - cpu0) * 1e6 / requests);
    }
    kept
}

/// A process's resident memory (kB) and CPU time (s), from /proc.
fn proc_usage(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (rss_kb, ticks / 100.0)
}

/// Idle cost: `conns` idle connections and a 100 ms timer; CPU use over
/// `secs` and resident memory per connection.
fn run_idle(server: &[String], conns: usize, secs: f64) -> String {
    let mut child = pinned(0, server)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("server output");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .expect("server address");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (rss0, _) = proc_usage(child.id());
    let mut held = Vec::with_capacity(conns);
    for i in 0..conns {
        match connect_from(idle_source(i), addr) {
            Ok(s) => held.push(s),
            Err(e) => {
                eprintln!(
                    "bench: idle: connect from {} failed after {} connections: {e}",
                    idle_source(i),
                    held.len()
                );
                break;
            }
        }
    }
    // One round trip proves the server is alive and has accepted them all.
    if let Some(s) = held.last_mut() {
        use std::io::{Read, Write};
        let _ = s.write_all(b"x");
        let mut b = [0u8; 1];
        let _ = s.read_exact(&mut b);
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (rss1, cpu0) = proc_usage(child.id());
    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
    let (_, cpu1) = proc_usage(child.id());
    let count = held.len();
    let n = count.max(1) as f64;
    drop(held);
    let _ = child.kill();
    let _ = child.wait();
    format!(
        "cpu_pct {:.2} %\nrss_per_conn {:.0} bytes\nheld {} conns\n",
        (cpu1 - cpu0) / secs * 100.0,
        (rss1 - rss0) * 1024.0 / n,
        count
    )
}

/// How many idle connections come from one loopback source address.
/// Connections to one server address need a source port each, and one
/// source address has only the ephemeral range (28,232 ports by default on
/// Linux) — 100,000 connections need several. 10,000 stays well inside
/// that range, and makes the rows this machine can run (1,000 to 19,000)
/// use the same path as the 100,000 one.
const CONNS_PER_SOURCE: usize = 10_000;

/// The loopback address idle connection `i` connects from: 127.0.0.1 for
/// the first [`CONNS_PER_SOURCE`], then 127.0.0.2, and so on (Linux
/// routes all of 127.0.0.0/8 to `lo`).
fn idle_source(i: usize) -> Ipv4Addr {
    let step = u32::try_from(i / CONNS_PER_SOURCE).expect("connection count");
    Ipv4Addr::from(u32::from(Ipv4Addr::LOCALHOST) + step)
}

/// A blocking TCP connection to `to` from `from`. The bind takes only the
/// address (`IP_BIND_ADDRESS_NO_PORT`) and `connect` picks the port, as it
/// does for an unbound socket: a port bound first could match a connection
/// still in `TIME_WAIT` from an earlier row, and `connect` would fail with
/// `EADDRINUSE`.
fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<std::net::TcpStream> {
    use std::os::fd::AsRawFd;

    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let on: libc::c_int = 1;
    // SAFETY: `s` is an open socket; the option value is a live `c_int`
    // of the length passed.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    s.bind(&SocketAddr::from((from, 0)).into())?;
    s.connect(&to.into())?;
    Ok(s.into())
}

/// A CA and a `localhost` / `127.0.0.1` certificate signed by it, with
/// its key, as PEM files in `dir` (`ca.pem`, `cert.pem`, `key.pem`).
fn make_certs(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    std::fs::create_dir_all(dir).expect("certs dir");
    let ca_key = KeyPair::generate().expect("CA key");
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(DnType::CommonName, "wasio bench CA");
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = p.self_signed(&ca_key).expect("CA");
    let key = KeyPair::generate().expect("key");
    let p = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    let cert = p.signed_by(&key, &ca, &ca_key).expect("certificate");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("ca.pem");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("cert.pem");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("key.pem");
}

/// Wall time of one run of a command, in milliseconds.
fn time_ms(argv: &[String]) -> f64 {
    let t = Instant::now();
    let st = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert!(st.success(), "{} failed", argv.join(" "));
    t.elapsed().as_secs_f64() * 1e3
}

fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}

/// (scenario order, scenario, metric) → config → samples.
type Samples = BTreeMap<(usize, String, String), BTreeMap<String, Vec<f64>>>;

fn record(
    s: &mut Samples,
    units: &mut BTreeMap<String, String>,
    scenario: &str,
    config: &str,
    text: &str,
) {
    let order = s
        .keys()
        .find(|(_, sc, _)| sc == scenario)
        .map(|k| k.0)
        .unwrap_or_else(|| s.keys().map(|k| k.0 + 1).max().unwrap_or(0));
    for (metric, v, unit) in metrics(text) {
        units.insert(metric.clone(), unit);
        s.entry((order, scenario.to_string(), metric))
            .or_default()
            .entry(config.to_string())
            .or_default()
            .push(v);
    }
}

/// `items` in the order run `run` measures them: rotated by one place per
/// run, so no configuration always goes first (after the previous
/// scenario's connections, still closing) or always last.
fn rotated<T>(items: impl IntoIterator<Item = T>, run: usize) -> Vec<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    if !v.is_empty() {
        let k = run % v.len();
        v.rotate_left(k);
    }
    v
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// The ratio of `x` to `base` over runs: the median of the per-run ratios
/// when both have one sample per run (run i measured them back to back,
/// so the machine's slow swings cancel), else the ratio of the medians.
fn ratio(x: &[f64], base: &[f64], x_med: f64, base_med: f64) -> Option<f64> {
    if x.len() == base.len() {
        let mut r: Vec<f64> = x
            .iter()
            .zip(base)
            .filter(|(_, b)| **b != 0.0)
            .map(|(a, b)| a / b)
            .collect();
        if r.is_empty() {
            return None;
        }
        return Some(stats(&mut r).0);
    }
    (base_med != 0.0).then(|| x_med / base_med)
}

fn table(
    title: &str,
    configs: &[&str],
    baseline: &str,
    samples: &mut Samples,
    units: &BTreeMap<String, String>,
    md: &mut String,
    rows: &mut Vec<serde_json::Value>,
) {
    let _ = writeln!(md, "\n### {title}\n");
    let _ = write!(md, "| scenario | metric | unit |");
    for c in configs {
        let _ = write!(md, " {c} |");
    }
    for c in configs.iter().filter(|c| **c != baseline) {
        let _ = write!(md, " {c} / {baseline} |");
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "|{}", "---|".repeat(3 + configs.len() * 2 - 1));
    for ((_, scenario, metric), by_config) in samples.iter_mut() {
        let unit = &units[metric];
        let _ = write!(md, "| {scenario} | {metric} | {unit} |");
        let mut med = BTreeMap::new();
        // In run order (stats sorts): the per-run ratios pair them up.
        let in_order: BTreeMap<String, Vec<f64>> = by_config.clone();
        for c in configs {
            match by_config.get_mut(*c) {
                Some(v) if !v.is_empty() => {
                    let (m, lo, hi) = stats(v);
                    med.insert(*c, m);
                    let _ = write!(md, " {m:.1} ({lo:.1}–{hi:.1}) |");
                    rows.push(json!({"scenario": scenario, "metric": metric, "unit": unit,
                        "config": c, "median": m, "min": lo, "max": hi,
                        "samples": in_order[*c]}));
                }
                _ => {
                    let _ = write!(md, " – |");
                }
            }
        }
        for c in configs.iter().filter(|c| **c != baseline) {
            let r = match (med.get(c), med.get(baseline)) {
                (Some(x), Some(b)) => ratio(&in_order[*c], &in_order[baseline], *x, *b),
                _ => None,
            };
            match r {
                Some(r) => {
                    let _ = write!(md, " {r:.2} |");
                }
                None => {
                    let _ = write!(md, " – |");
                }
            }
        }
        let _ = writeln!(md);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 });
    // The profile the compared programs were built with (the host is
    // always `release`): `make bench` passes `release-lto`.
    let profile = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "release".into());
    // `--only echo,http,idle`: only the sections and scenarios whose names
    // start so (runtime, idle, copy, start-up, a server scenario, workers,
    // tls).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|o| o.split(',').map(str::to_string).collect());
    let wants = |section: &str| {
        only.as_ref()
            .is_none_or(|o| o.iter().any(|x| section.starts_with(x.as_str())))
    };
    raise_fd_limit();
    let started = Instant::now();
    let host = require("release/wasio");
    let w = |n: &str| require(&format!("wasm32-wasip1/{profile}/{n}.wasm"));
    let n = |n: &str| require(&format!("{profile}/{n}"));
    // Programs written for stock tokio (guest-p2/), as WASI 0.2 components.
    let p2 = |n: &str| require(&format!("wasm32-wasip2/{profile}/{n}.wasm"));
    let loadgen = n("loadgen");
    let grant = ["--allow-listen".to_string(), "127.0.0.1".to_string()];
    let wasm_server = |name: &str| {
        let mut v = vec![host.clone(), "run".into()];
        v.extend(grant.iter().cloned());
        v.extend([w(name), "127.0.0.1:0".into()]);
        v
    };
    let any = "127.0.0.1:0".to_string();
    let component_server = |name: &str| {
        let mut v = vec![host.clone(), "run".into()];
        v.extend(grant.iter().cloned());
        v.extend([p2(name), "127.0.0.1:0".into()]);
        v
    };

    // Section 1: runtime internals.
    let scale = if quick { "0.1" } else { "1" }.to_string();
    let rt_configs: [(&str, Vec<String>); 2] = [
        ("native", vec![n("rt-bench"), scale.clone()]),
        (
            "wasm",
            vec![host.clone(), "run".into(), w("rt-bench"), scale.clone()],
        ),
    ];
    let mut rt = Samples::new();
    let mut units = BTreeMap::new();

    // Section 2: network servers.
    let scratch = target().join("bench-tmp");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let certs = scratch.join("certs");
    make_certs(&certs);
    let cd = certs.display().to_string();
    let data = scratch.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let wasm_example = |name: &str, pre: &[String], post: &[&str]| {
        let mut v = vec![host.clone(), "run".into()];
        v.extend(grant.iter().cloned());
        v.extend(pre.iter().cloned());
        v.push(w(&format!("examples/{name}")));
        v.push(any.clone());
        v.extend(post.iter().map(|s| s.to_string()));
        v
    };
    let native_example = |name: &str, post: &[String]| {
        let mut v = vec![n(&format!("examples/{name}")), any.clone()];
        v.extend(post.iter().cloned());
        v
    };
    let dir_data = ["--dir".to_string(), format!("{}::/data", data.display())];
    let dir_certs = ["--dir-ro".to_string(), format!("{cd}::/certs")];
    let host_certs = [format!("{cd}/cert.pem"), format!("{cd}/key.pem")];
    // (scenario, load generator mode, config, server argv)
    let servers: Vec<(&str, &str, &str, Vec<String>)> = vec![
        ("echo", "echo", "wasm", wasm_server("echo-tcp")),
        ("echo", "echo", "native", vec![n("echo-tcp"), any.clone()]),
        ("echo", "echo", "tokio", vec![n("tokio-echo"), any.clone()]),
        ("echo", "echo", "wasip2", component_server("p2-echo")),
        ("http", "http", "wasm", wasm_server("http-hello")),
        ("http", "http", "native", vec![n("http-hello"), any.clone()]),
        ("http", "http", "tokio", vec![n("p2-http"), any.clone()]),
        ("http", "http", "wasip2", component_server("p2-http")),
        (
            "hyper hello",
            "http",
            "wasm",
            wasm_example("hyper-hello", &[], &[]),
        ),
        (
            "hyper hello",
            "http",
            "native",
            native_example("hyper-hello", &[]),
        ),
        (
            "hyper hello",
            "http",
            "tokio",
            vec![n("tokio-hyper"), any.clone()],
        ),
        (
            "axum json",
            "http",
            "wasm",
            wasm_example("axum-json", &dir_data, &["/data"]),
        ),
        (
            "axum json",
            "http",
            "native",
            native_example("axum-json", &[data.display().to_string()]),
        ),
        (
            "axum json",
            "http",
            "tokio",
            vec![n("tokio-axum"), any.clone()],
        ),
    ];
    let ca = format!("{cd}/ca.pem");
    let tls_servers: Vec<(&str, &str, Vec<String>)> = vec![
        (
            "tls handshake",
            "wasm",
            wasm_example(
                "tls-echo",
                &dir_certs,
                &["/certs/cert.pem", "/certs/key.pem"],
            ),
        ),
        (
            "tls handshake",
            "native",
            native_example("tls-echo", &host_certs),
        ),
        ("tls handshake", "tokio", {
            let mut v = vec![n("tokio-tls"), any.clone()];
            v.extend(host_certs.iter().cloned());
            v
        }),
        ("tls handshake, ring provider", "tokio", {
            let mut v = vec![n("tokio-tls"), any.clone()];
            v.extend(host_certs.iter().cloned());
            v.push("ring".into());
            v
        }),
    ];
    let tls_conns = 16;
    let conns: &[usize] = if quick { &[1, 50] } else { &[1, 50, 1000] };
    let idle: Vec<(&str, Vec<String>)> = vec![
        ("wasm", {
            let mut v = wasm_server("idle-server");
            v.insert(2, "--max-fds".into());
            v.insert(3, "1000000".into());
            v
        }),
        ("native", vec![n("idle-server"), any.clone()]),
        ("tokio", vec![n("p2-idle"), any.clone()]),
        ("wasip2", {
            let mut v = component_server("p2-idle");
            v.insert(2, "--max-fds".into());
            v.insert(3, "1000000".into());
            v
        }),
    ];
    // 100,000 idle connections need that many fds in the server and in
    // this process: as many as the hard limit allows, saying so.
    let fd_max = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap_or(u64::MAX) as usize;
    let big = 100_000.min(fd_max.saturating_sub(1000) / 1000 * 1000);
    let idle_conns: Vec<usize> = if quick {
        vec![1000]
    } else if big > 10_000 {
        vec![1000, 10_000, big]
    } else {
        vec![1000, 10_000]
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all_cpus = if cores > 1 {
        format!("0-{}", cores - 1)
    } else {
        "0".into()
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let fixed = format!("127.0.0.1:{port}");
    let mut worker_counts = vec![("1".to_string(), 1usize), ("2".to_string(), 2)];
    worker_counts.push((format!("auto ({cores})"), cores));
    let workers_server = |n: usize| {
        let mut v = vec![
            host.clone(),
            "run".into(),
            "--workers".into(),
            n.to_string(),
        ];
        v.extend(grant.iter().cloned());
        v.extend([w("http-hello"), fixed.clone()]);
        v
    };
    let idle_secs = if quick { 2.0 } else { 5.0 };
    let mut other = Samples::new();
    let mib = if quick { 64 } else { 256 };
    {
        use std::io::Write;
        let mut f = std::fs::File::create(scratch.join("src.bin")).expect("src.bin");
        let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
        for _ in 0..mib {
            f.write_all(&chunk).expect("write src.bin");
        }
    }
    let sd = scratch.display().to_string();
    let copies: Vec<(&str, Vec<String>)> = vec![
        (
            "wasm",
            vec![
                host.clone(),
                "run".into(),
                "--dir".into(),
                format!("{sd}::/d"),
                w("fs-copy"),
                "/d/src.bin".into(),
                "/d/dst.bin".into(),
            ],
        ),
        (
            "native",
            vec![
                n("fs-copy"),
                format!("{sd}/src.bin"),
                format!("{sd}/dst.bin"),
            ],
        ),
        (
            "std",
            vec![
                n("std-copy"),
                format!("{sd}/src.bin"),
                format!("{sd}/dst.bin"),
            ],
        ),
    ];
    let cache = scratch.join("cache").display().to_string();
    // Five runs of 3 s rather than three of 5 s: the same load time, and a
    // median of five back-to-back ratios, which one bad minute of a shared
    // machine cannot move the way it moves a median of three.
    let secs = if quick { 1.0 } else { 3.0 };
    let mut net = Samples::new();

    for run in 0..runs {
        for (name, argv) in rotated(&rt_configs, run)
            .into_iter()
            .filter(|_| wants("runtime"))
        {
            eprintln!("bench: run {}/{runs}: rt-bench {name}", run + 1);
            let text = run_to_end(argv);
            record(&mut rt, &mut units, "runtime", name, &text);
        }
        for &c in idle_conns.iter().filter(|_| wants("idle")) {
            for (config, argv) in rotated(&idle, run) {
                eprintln!("bench: run {}/{runs}: idle {c} conns {config}", run + 1);
                let text = run_idle(argv, c, idle_secs);
                record(
                    &mut net,
                    &mut units,
                    &format!("idle {c} conns"),
                    config,
                    &text,
                );
            }
        }
        for (config, argv) in rotated(&copies, run).into_iter().filter(|_| wants("copy")) {
            eprintln!("bench: run {}/{runs}: file copy {config}", run + 1);
            let text = run_to_end(argv);
            record(
                &mut other,
                &mut units,
                &format!("copy {mib} MiB"),
                config,
                &text,
            );
        }
        if wants("start-up") {
            eprintln!("bench: run {}/{runs}: start-up", run + 1);
            let _ = std::fs::remove_dir_all(&cache);
            let guest = w("args-env");
            let first = time_ms(&[
                host.clone(),
                "run".into(),
                "--cache-dir".into(),
                cache.clone(),
                guest.clone(),
            ]);
            let cached: Vec<f64> = (0..5)
                .map(|_| {
                    time_ms(&[
                        host.clone(),
                        "run".into(),
                        "--cache-dir".into(),
                        cache.clone(),
                        guest.clone(),
                    ])
                })
                .collect();
            let native: Vec<f64> = (0..5).map(|_| time_ms(&[n("args-env")])).collect();
            let med = |mut v: Vec<f64>| stats(&mut v).0;
            record(
                &mut other,
                &mut units,
                "start-up, first run (compiles)",
                "wasm",
                &format!("start_ms {first:.2} ms\n"),
            );
            record(
                &mut other,
                &mut units,
                "start-up, cached",
                "wasm",
                &format!("start_ms {:.2} ms\n", med(cached)),
            );
            record(
                &mut other,
                &mut units,
                "start-up, cached",
                "native",
                &format!("start_ms {:.2} ms\n", med(native)),
            );
        }
        for scenario in ["echo", "http", "hyper hello", "axum json"]
            .into_iter()
            .filter(|s| wants(s))
        {
            let wide = !quick && matches!(scenario, "echo" | "http");
            for &c in conns
                .iter()
                .chain(if wide { &[10_000][..] } else { &[][..] })
            {
                let these = servers.iter().filter(|s| s.0 == scenario);
                for (sc, mode, config, argv) in rotated(these, run) {
                    eprintln!("bench: run {}/{runs}: {sc} c={c} {config}", run + 1);
                    let text = run_load_on("0", argv, mode, c, secs, "", &loadgen);
                    record(&mut net, &mut units, &format!("{sc} c={c}"), config, &text);
                }
            }
        }
        for (label, n) in worker_counts.iter().filter(|_| wants("workers")) {
            let c = if quick { 50 } else { 1000 };
            eprintln!(
                "bench: run {}/{runs}: http c={c} --workers {label}",
                run + 1
            );
            let text = run_load_on(
                &all_cpus,
                &workers_server(*n),
                "http",
                c,
                secs,
                "",
                &loadgen,
            );
            record(
                &mut net,
                &mut units,
                &format!("http c={c}, --workers {label}"),
                "wasm",
                &text,
            );
        }
        for (sc, config, argv) in rotated(&tls_servers, run)
            .into_iter()
            .filter(|_| wants("tls"))
        {
            eprintln!("bench: run {}/{runs}: {sc} c={tls_conns} {config}", run + 1);
            let text = run_load_on("0", argv, "tls", tls_conns, secs, &ca, &loadgen);
            record(
                &mut net,
                &mut units,
                &format!("{sc} c={tls_conns}"),
                config,
                &text,
            );
        }
    }

    let mut md = String::new();
    let _ = writeln!(
        md,
        "## wasio benchmarks\n\n{runs} run(s){}, interleaved; medians (min–max); a ratio is the \
         median of the per-run ratios (each run measures every configuration back to back, in an order \
         that rotates from run to run). The host is a \
         release build; every compared program (wasm guest, native wasio, tokio) is built with \
         the `{profile}` profile. Servers on core 0, \
         load generator on core 1. Network: closed-loop connections, {secs} s each, 64-byte echo \
         messages or keep-alive `GET /`; `cpu_per_req` is the server's CPU time (user + sys) per \
         request. `wasip2`: the same stock tokio program as `tokio` (for echo, the \
         same logic), built for wasm32-wasip2 and run under `wasio run` as a WASI 0.2 component. \
         TLS: a new connection per request (TLS 1.3 handshake, ECDSA P-256 certificate, \
         one byte echoed) from a ring client; the servers use RustCrypto's provider unless the \
         row says ring. `--workers` rows: the server may use every core ({all_cpus}) and the load \
         generator shares core {}; `conns_worker_N` is how many connections worker N answered.",
        if quick { ", quick mode" } else { "" },
        cores - 1
    );
    if !quick && big < 100_000 {
        let _ = writeln!(
            md,
            "\nIdle 100,000 connections: not run here: the hard open-file limit is {fd_max} \
             (and cannot be raised in this container), so the largest idle row is {big}."
        );
    }
    let mut rows = Vec::new();
    table(
        "Network servers",
        &["wasm", "native", "tokio", "wasip2"],
        "tokio",
        &mut net,
        &units,
        &mut md,
        &mut rows,
    );
    table(
        "Files and start-up",
        &["wasm", "native", "std"],
        "native",
        &mut other,
        &units,
        &mut md,
        &mut rows,
    );
    table(
        "Runtime internals (rt-bench)",
        &["wasm", "native"],
        "native",
        &mut rt,
        &units,
        &mut md,
        &mut rows,
    );
    let _ = writeln!(md, "\nTotal time: {:.0} s", started.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&scratch);
    print!("{md}");
    let dir = root().join("bench/results");
    std::fs::create_dir_all(&dir).expect("bench/results");
    std::fs::write(dir.join("latest.md"), &md).expect("latest.md");
    let json = json!({ "runs": runs, "quick": quick, "results": rows });
    std::fs::write(
        dir.join("latest.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("latest.json");
    eprintln!("bench: wrote {}", dir.join("latest.md").display());
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::{idle_source, ratio, rotated, CONNS_PER_SOURCE};

    #[test]
    fn each_configuration_takes_each_place_in_turn() {
        let order: Vec<Vec<char>> = (0..4).map(|run| rotated(['a', 'b', 'c'], run)).collect();
        assert_eq!(order[0], ['a', 'b', 'c']);
        assert_eq!(order[1], ['b', 'c', 'a']);
        assert_eq!(order[2], ['c', 'a', 'b']);
        assert_eq!(order[3], order[0]);
        assert!(rotated(Vec::<u8>::new(), 5).is_empty());
    }

    #[test]
    fn ratios_pair_the_runs() {
        // Run 2 caught the baseline in a slow minute: pairing discounts it.
        let x = [10.0, 20.0, 30.0];
        let base = [10.0, 40.0, 15.0];
        assert_eq!(ratio(&x, &base, 20.0, 15.0), Some(1.0));
        // Unpaired (a run is missing) falls back to the ratio of medians.
        assert_eq!(ratio(&x[..2], &base, 15.0, 15.0), Some(1.0));
        assert_eq!(ratio(&[1.0], &[0.0], 1.0, 0.0), None);
    }

    #[test]
    fn idle_connections_spread_over_loopback_sources() {
        assert_eq!(idle_source(0), Ipv4Addr::LOCALHOST);
        assert_eq!(idle_source(CONNS_PER_SOURCE - 1), Ipv4Addr::LOCALHOST);
        assert_eq!(idle_source(CONNS_PER_SOURCE), Ipv4Addr::new(127, 0, 0, 2));
        // 100,000 connections: ten sources, each under the ephemeral range.
        assert_eq!(idle_source(99_999), Ipv4Addr::new(127, 0, 0, 10));
        // Past .255 the count carries into the next octet, still loopback.
        let far = idle_source(300 * CONNS_PER_SOURCE);
        assert_eq!(far, Ipv4Addr::new(127, 0, 1, 45));
        assert!(far.is_loopback());
    }
}
