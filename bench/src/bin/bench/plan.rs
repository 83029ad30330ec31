//! What `make bench` runs: the command line of every configuration of
//! every scenario, built once before the first run.

use std::path::PathBuf;

use crate::measure::make_certs;
use crate::{require, target};

/// Where the built programs are: the release host, and the compared
/// programs built with the bench's profile.
struct Programs {
    host: String,
    profile: String,
}

/// The grant every server needs: listening on loopback.
const GRANT: [&str; 2] = ["--allow-listen", "127.0.0.1"];
/// The address every server is told to listen on: a free loopback port.
const ANY: &str = "127.0.0.1:0";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Programs {
    /// A wasm32-wasip1 build.
    fn wasm(&self, name: &str) -> String {
        require(&format!("wasm32-wasip1/{}/{name}.wasm", self.profile))
    }

    /// A native build.
    fn native(&self, name: &str) -> String {
        require(&format!("{}/{name}", self.profile))
    }

    /// A stock tokio program (guest-p2/) built as a WASI 0.2 component.
    fn component(&self, name: &str) -> String {
        require(&format!("wasm32-wasip2/{}/{name}.wasm", self.profile))
    }

    /// `wasio run` with the listen grant, `pre` options, `module`, `post`.
    fn run(&self, pre: &[String], module: String, post: &[String]) -> Vec<String> {
        let mut v = vec![self.host.clone(), "run".into()];
        v.extend(strings(&GRANT));
        v.extend(pre.iter().cloned());
        v.push(module);
        v.push(ANY.into());
        v.extend(post.iter().cloned());
        v
    }

    /// A wasm guest server under `wasio run`.
    fn wasm_server(&self, name: &str) -> Vec<String> {
        self.run(&[], self.wasm(name), &[])
    }

    /// A component server under `wasio run`.
    fn component_server(&self, name: &str) -> Vec<String> {
        self.run(&[], self.component(name), &[])
    }

    /// One of guest-examples' examples, built for wasm, under `wasio run`.
    fn wasm_example(&self, name: &str, pre: &[String], post: &[String]) -> Vec<String> {
        self.run(pre, self.wasm(&format!("examples/{name}")), post)
    }

    /// A native server on a free port, then `post`.
    fn native_server(&self, name: &str, post: &[String]) -> Vec<String> {
        let mut v = vec![self.native(name), ANY.into()];
        v.extend(post.iter().cloned());
        v
    }
}

/// One configuration of a load scenario: (scenario, load generator mode,
/// configuration, server command line).
pub(crate) type Server = (&'static str, &'static str, &'static str, Vec<String>);

/// Every configuration `make bench` compares.
pub(crate) struct Plan {
    /// A short smoke run.
    pub(crate) quick: bool,
    /// The number of cores, and all of them as a taskset list.
    pub(crate) cores: usize,
    pub(crate) all_cpus: String,
    /// The hard open-file limit, and the largest idle row it allows.
    pub(crate) fd_max: usize,
    pub(crate) big_idle: usize,
    /// Scratch space (certificates, data, the compile cache).
    pub(crate) scratch: PathBuf,
    pub(crate) host: String,
    pub(crate) loadgen: String,
    /// rt-bench, natively and as wasm.
    pub(crate) runtime: Vec<(&'static str, Vec<String>)>,
    /// Idle servers; the connection counts; how long each is watched.
    pub(crate) idle: Vec<(&'static str, Vec<String>)>,
    pub(crate) idle_conns: Vec<usize>,
    pub(crate) idle_secs: f64,
    /// File copies of `mib` MiB.
    pub(crate) copies: Vec<(&'static str, Vec<String>)>,
    pub(crate) mib: usize,
    /// Start-up: the wasm guest, its native build, the compile cache.
    pub(crate) start_guest: String,
    pub(crate) start_native: String,
    pub(crate) cache: String,
    /// Servers under closed-loop load, at each of `conns`, `secs` each.
    pub(crate) servers: Vec<Server>,
    pub(crate) conns: &'static [usize],
    pub(crate) secs: f64,
    /// `--workers` servers on one fixed port: (label, command line).
    pub(crate) workers: Vec<(String, Vec<String>)>,
    pub(crate) workers_conns: usize,
    /// TLS servers: (scenario, configuration, command line); their
    /// connection count and the CA file the load generator trusts.
    pub(crate) tls: Vec<(&'static str, &'static str, Vec<String>)>,
    pub(crate) tls_conns: usize,
    pub(crate) ca: String,
}

impl Plan {
    /// The plan for programs built with `profile`, checking that each one
    /// exists; makes the scratch directory and what it holds.
    pub(crate) fn new(quick: bool, profile: &str) -> Plan {
        let p = Programs {
            host: require("release/wasio"),
            profile: profile.to_string(),
        };
        let scratch = target().join("bench-tmp");
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let fd_max = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .maximum
            .unwrap_or(u64::MAX) as usize;
        // 100,000 idle connections need that many fds in the server and in
        // the bench: as many as the hard limit allows, saying so.
        let big_idle = 100_000.min(fd_max.saturating_sub(1000) / 1000 * 1000);
        let mib = if quick { 64 } else { 256 };
        write_source_file(&scratch, mib);
        let certs = scratch.join("certs");
        make_certs(&certs);
        let certs = certs.display().to_string();
        let scale = if quick { "0.1" } else { "1" }.to_string();
        Plan {
            quick,
            cores,
            all_cpus: if cores > 1 {
                format!("0-{}", cores - 1)
            } else {
                "0".into()
            },
            fd_max,
            big_idle,
            loadgen: p.native("loadgen"),
            runtime: vec![
                ("native", vec![p.native("rt-bench"), scale.clone()]),
                (
                    "wasm",
                    vec![p.host.clone(), "run".into(), p.wasm("rt-bench"), scale],
                ),
            ],
            idle: idle_servers(&p),
            idle_conns: if quick {
                vec![1000]
            } else if big_idle > 10_000 {
                vec![1000, 10_000, big_idle]
            } else {
                vec![1000, 10_000]
            },
            idle_secs: if quick { 2.0 } else { 5.0 },
            copies: copies(&p, &scratch.display().to_string()),
            mib,
            start_guest: p.wasm("args-env"),
            start_native: p.native("args-env"),
            cache: scratch.join("cache").display().to_string(),
            servers: servers(&p, &scratch),
            conns: if quick { &[1, 50] } else { &[1, 50, 1000] },
            // Five runs of 3 s rather than three of 5 s: the same load
            // time, and a median of five back-to-back ratios, which one
            // bad minute of a shared machine cannot move the way it moves
            // a median of three.
            secs: if quick { 1.0 } else { 3.0 },
            workers: workers_servers(&p, cores),
            workers_conns: if quick { 50 } else { 1000 },
            tls: tls_servers(&p, &certs),
            tls_conns: 16,
            ca: format!("{certs}/ca.pem"),
            host: p.host,
            scratch,
        }
    }
}

/// The file the copy rows copy: `mib` MiB of a repeating pattern.
fn write_source_file(scratch: &std::path::Path, mib: usize) {
    use std::io::Write;
    let mut f = std::fs::File::create(scratch.join("src.bin")).expect("src.bin");
    let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    for _ in 0..mib {
        f.write_all(&chunk).expect("write src.bin");
    }
}

/// The servers of the echo, http, hyper and axum scenarios.
fn servers(p: &Programs, scratch: &std::path::Path) -> Vec<Server> {
    let data = scratch.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let dir_data = vec!["--dir".to_string(), format!("{}::/data", data.display())];
    vec![
        ("echo", "echo", "wasm", p.wasm_server("echo-tcp")),
        ("echo", "echo", "native", p.native_server("echo-tcp", &[])),
        ("echo", "echo", "tokio", p.native_server("tokio-echo", &[])),
        ("echo", "echo", "wasip2", p.component_server("p2-echo")),
        ("http", "http", "wasm", p.wasm_server("http-hello")),
        ("http", "http", "native", p.native_server("http-hello", &[])),
        ("http", "http", "tokio", p.native_server("p2-http", &[])),
        ("http", "http", "wasip2", p.component_server("p2-http")),
        (
            "hyper hello",
            "http",
            "wasm",
            p.wasm_example("hyper-hello", &[], &[]),
        ),
        (
            "hyper hello",
            "http",
            "native",
            p.native_server("examples/hyper-hello", &[]),
        ),
        (
            "hyper hello",
            "http",
            "tokio",
            p.native_server("tokio-hyper", &[]),
        ),
        (
            "axum json",
            "http",
            "wasm",
            p.wasm_example("axum-json", &dir_data, &strings(&["/data"])),
        ),
        (
            "axum json",
            "http",
            "native",
            p.native_server("examples/axum-json", &[data.display().to_string()]),
        ),
        (
            "axum json",
            "http",
            "tokio",
            p.native_server("tokio-axum", &[]),
        ),
    ]
}

/// The TLS echo servers, each given the certificate and key in `certs`.
fn tls_servers(p: &Programs, certs: &str) -> Vec<(&'static str, &'static str, Vec<String>)> {
    let dir_certs = vec!["--dir-ro".to_string(), format!("{certs}::/certs")];
    let host_certs = vec![format!("{certs}/cert.pem"), format!("{certs}/key.pem")];
    let mut ring = host_certs.clone();
    ring.push("ring".into());
    vec![
        (
            "tls handshake",
            "wasm",
            p.wasm_example(
                "tls-echo",
                &dir_certs,
                &strings(&["/certs/cert.pem", "/certs/key.pem"]),
            ),
        ),
        (
            "tls handshake",
            "native",
            p.native_server("examples/tls-echo", &host_certs),
        ),
        (
            "tls handshake",
            "tokio",
            p.native_server("tokio-tls", &host_certs),
        ),
        (
            "tls handshake, ring provider",
            "tokio",
            p.native_server("tokio-tls", &ring),
        ),
    ]
}

/// The idle servers; under `wasio run` with room for every connection.
fn idle_servers(p: &Programs) -> Vec<(&'static str, Vec<String>)> {
    let room = strings(&["--max-fds", "1000000"]);
    vec![
        ("wasm", p.run(&room, p.wasm("idle-server"), &[])),
        ("native", p.native_server("idle-server", &[])),
        ("tokio", p.native_server("p2-idle", &[])),
        ("wasip2", p.run(&room, p.component("p2-idle"), &[])),
    ]
}

/// The file copies: wasio under `wasio run`, wasio natively, std.
fn copies(p: &Programs, sd: &str) -> Vec<(&'static str, Vec<String>)> {
    let (src, dst) = (format!("{sd}/src.bin"), format!("{sd}/dst.bin"));
    vec![
        (
            "wasm",
            vec![
                p.host.clone(),
                "run".into(),
                "--dir".into(),
                format!("{sd}::/d"),
                p.wasm("fs-copy"),
                "/d/src.bin".into(),
                "/d/dst.bin".into(),
            ],
        ),
        (
            "native",
            vec![p.native("fs-copy"), src.clone(), dst.clone()],
        ),
        ("std", vec![p.native("std-copy"), src, dst]),
    ]
}

/// http-hello under `--workers 1`, `2` and one per core, all on one fixed
/// port (the workers share it).
fn workers_servers(p: &Programs, cores: usize) -> Vec<(String, Vec<String>)> {
    let port = std::net::TcpListener::bind(ANY)
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let fixed = format!("127.0.0.1:{port}");
    let server = |n: usize| {
        let mut v = vec![
            p.host.clone(),
            "run".into(),
            "--workers".into(),
            n.to_string(),
        ];
        v.extend(strings(&GRANT));
        v.extend([p.wasm("http-hello"), fixed.clone()]);
        v
    };
    vec![
        ("1".to_string(), server(1)),
        ("2".to_string(), server(2)),
        (format!("auto ({cores})"), server(cores)),
    ]
}
