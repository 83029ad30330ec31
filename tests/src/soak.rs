//! Soak probes: the example servers under abuse, watched from outside.
//!
//! Each probe starts one example under `wasio run`, measures the host
//! process (open fds, RSS), puts it under one kind of load for a while
//! with a good client working alongside, then checks that the server is
//! alive, that the good client was served, and that the host's fds come
//! back to where they started. `make soak` runs each for minutes
//! (`tests/src/bin/soak.rs`); `make test` runs each for seconds
//! (`tests/tests/soak.rs`).

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{component, wasio_run, wasm, Server};

/// What one probe saw.
#[derive(Debug, Clone)]
pub struct Report {
    /// The probe's name.
    pub probe: &'static str,
    /// How much load it put on the server, in words.
    pub load: String,
    /// Host fds before the load and after it settled.
    pub fds: (usize, usize),
    /// Host RSS in KiB before and after.
    pub rss_kib: (u64, u64),
    /// Good-client operations that succeeded and that failed.
    pub good: (u64, u64),
    /// The server was still running at the end.
    pub alive: bool,
    /// What else this probe found wrong.
    pub issues: Vec<String>,
}

impl Report {
    /// The checks every probe must pass: alive, fds back to baseline, a
    /// good client served without errors (UDP may lose datagrams under a
    /// flood: there the check is that most replies came).
    pub fn problems(&self) -> Vec<String> {
        let mut p = self.issues.clone();
        if !self.alive {
            p.push("the server died".into());
        }
        if self.fds.1 > self.fds.0 {
            p.push(format!("host fds {} -> {}", self.fds.0, self.fds.1));
        }
        let (ok, bad) = self.good;
        if ok == 0 {
            p.push("the good client was never served".into());
        }
        // Under a UDP flood the kernel drops datagrams, the good client's
        // too; that probe checks recovery separately.
        if self.probe != "udp-flood" && bad > 0 {
            p.push(format!("the good client saw {bad} failures ({ok} ok)"));
        }
        p
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "soak {:<18} {}; host fds {} -> {}; rss {:.1} -> {:.1} MiB; good client {} ok / {} failed; server {}",
            self.probe,
            self.load,
            self.fds.0,
            self.fds.1,
            self.rss_kib.0 as f64 / 1024.0,
            self.rss_kib.1 as f64 / 1024.0,
            self.good.0,
            self.good.1,
            if self.alive { "alive" } else { "DEAD" }
        )
    }
}

/// The probes, by name.
pub const PROBES: &[&str] = &[
    "disconnect-storm",
    "slowloris",
    "10k-concurrent",
    "churn",
    "udp-flood",
    "large-posts",
    "poison-requests",
    "component-disconnect-storm",
    "component-churn",
];

/// Runs probe `name` with load lasting about `secs`.
pub fn run_probe(name: &str, secs: f64) -> Report {
    raise_own_fd_limit();
    let d = Duration::from_secs_f64(secs);
    match name {
        "disconnect-storm" => disconnect_storm(d, module_echo(), "disconnect-storm"),
        "slowloris" => slowloris(d),
        "10k-concurrent" => concurrent(d, 10_000),
        "churn" => churn(d, module_echo(), "churn"),
        "udp-flood" => udp_flood(d),
        "large-posts" => large_posts(d),
        "poison-requests" => poison_requests(d),
        // The same loads on a stock tokio echo server built for
        // wasm32-wasip2 (wasio's own TCP, streams and wait).
        "component-disconnect-storm" => {
            disconnect_storm(d, component_echo(), "component-disconnect-storm")
        }
        "component-churn" => churn(d, component_echo(), "component-churn"),
        _ => panic!("no probe `{name}`; probes: {PROBES:?}"),
    }
}

/// The host process under test and what it started with.
struct Target {
    srv: Server,
    fds: usize,
    rss: u64,
}

impl Target {
    fn start(name: &str, flags: &[&str], args: &[&str]) -> Target {
        Self::start_module(name, &wasm(name), flags, args)
    }

    fn start_module(name: &str, module: &std::path::Path, flags: &[&str], args: &[&str]) -> Target {
        let mut c = wasio_run();
        c.args(flags).arg(module).args(args);
        c.stderr(std::process::Stdio::null());
        let srv = Server::spawn(name, c);
        let pid = srv.child.id();
        // Let the server settle (first accept armed) before the baseline.
        std::thread::sleep(Duration::from_millis(200));
        Target {
            fds: proc_fds(pid),
            rss: proc_rss_kib(pid),
            srv,
        }
    }

    fn pid(&self) -> u32 {
        self.srv.child.id()
    }

    /// Waits (up to 10 s) for the fd count to come back, then reports.
    fn finish(mut self, probe: &'static str, load: String, good: (u64, u64)) -> Report {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut fds = proc_fds(self.pid());
        while fds > self.fds && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            fds = proc_fds(self.pid());
        }
        let alive = self.srv.child.try_wait().ok().flatten().is_none();
        Report {
            probe,
            load,
            fds: (self.fds, fds),
            rss_kib: (self.rss, proc_rss_kib(self.pid())),
            good,
            alive,
            issues: Vec::new(),
        }
    }
}

/// A client that does one echo round trip on a fresh connection every
/// 10 ms until `stop`, counting successes and failures.
fn good_echo_client(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(u64, u64)> {
    std::thread::spawn(move || {
        let (mut ok, mut bad) = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            match echo_round_trip(addr, b"good client\n") {
                Ok(()) => ok += 1,
                Err(_) => bad += 1,
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        (ok, bad)
    })
}

fn echo_round_trip(addr: SocketAddr, msg: &[u8]) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(msg)?;
    let mut back = vec![0; msg.len()];
    s.read_exact(&mut back)?;
    if back == msg {
        Ok(())
    } else {
        Err(std::io::Error::other("echo mismatch"))
    }
}

/// Closes `s` with a reset (`SO_LINGER` 0) instead of a FIN.
fn reset(s: TcpStream) {
    let _ = rustix::net::sockopt::set_socket_linger(&s, Some(Duration::ZERO));
    drop(s);
}

const TCP: &[&str] = &["--allow-listen", "127.0.0.1"];

/// wasio's echo example, a preview1 module.
fn module_echo() -> Target {
    Target::start("echo-tcp", TCP, &["127.0.0.1:0"])
}

/// `guest-p2`'s stock tokio echo server, a WASI 0.2 component.
fn component_echo() -> Target {
    Target::start_module("p2-echo", &component("p2-echo"), TCP, &["127.0.0.1:0"])
}

/// Clients that connect, send part of a message and vanish (reset, or
/// close mid-transfer), as fast as they can, against `t`.
fn disconnect_storm(d: Duration, t: Target, label: &'static str) -> Report {
    let addr = t.srv.sock();
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_echo_client(addr, stop.clone());
    let n = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + d;
    let storm: Vec<_> = (0..4)
        .map(|i| {
            let n = n.clone();
            std::thread::spawn(move || {
                let payload = vec![b'x'; 64 * 1024];
                let mut k = 0u64;
                while Instant::now() < end {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        continue;
                    };
                    // Half the clients write a burst and reset; the others
                    // write and close without reading the echo.
                    let _ = s.write_all(&payload[..1024 * (1 + (k as usize % 64))]);
                    if (k + i).is_multiple_of(2) {
                        reset(s);
                    } else {
                        drop(s);
                    }
                    k += 1;
                    n.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for s in storm {
        let _ = s.join();
    }
    stop.store(true, Ordering::Relaxed);
    let good = good.join().unwrap_or((0, 1));
    let load = format!(
        "{} abrupt disconnects in {:.1} s",
        n.load(Ordering::Relaxed),
        d.as_secs_f64()
    );
    t.finish(label, load, good)
}

/// 1,000 clients that trickle a request head one byte at a time and never
/// finish it; the server (with a 1 s request timeout) must cut them off
/// and keep answering a good client.
fn slowloris(d: Duration) -> Report {
    let flags = [
        "--allow-listen",
        "127.0.0.1",
        "--env",
        "HTTP_HEADER_TIMEOUT_MS=1000",
        "--env",
        "HTTP_IDLE_TIMEOUT_MS=1000",
    ];
    let t = Target::start("http-hello", &flags, &["127.0.0.1:0"]);
    let addr = t.srv.sock();
    let end = Instant::now() + d;
    let cut = Arc::new(AtomicU64::new(0));
    let held = Arc::new(AtomicU64::new(0));
    // 10 threads, each trickling into 100 connections.
    let slow: Vec<_> = (0..10)
        .map(|_| {
            let (cut, held) = (cut.clone(), held.clone());
            std::thread::spawn(move || {
                while Instant::now() < end {
                    let mut conns: Vec<Option<TcpStream>> = (0..100)
                        .map(|_| {
                            let mut s = TcpStream::connect(addr).ok()?;
                            s.set_nonblocking(true).ok()?;
                            s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").ok()?;
                            Some(s)
                        })
                        .collect();
                    // Trickle for up to 3 s or until the probe ends.
                    let full_round = Instant::now() + Duration::from_secs(3);
                    let round_end = full_round.min(end);
                    while Instant::now() < round_end && conns.iter().any(Option::is_some) {
                        for c in conns.iter_mut() {
                            let Some(s) = c else { continue };
                            let mut buf = [0u8; 512];
                            let gone = match s.read(&mut buf) {
                                Ok(_) => true,
                                Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                            } || s.write_all(b"a").is_err();
                            if gone {
                                cut.fetch_add(1, Ordering::Relaxed);
                                *c = None;
                            }
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    if round_end == full_round {
                        let left = conns.iter().filter(|c| c.is_some()).count();
                        held.fetch_add(left as u64, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // The good client: keep-alive requests on one connection, a new
    // connection whenever the server closes an idle one.
    let mut good = (0u64, 0u64);
    while Instant::now() < end {
        match http_get(addr) {
            Ok(()) => good.0 += 1,
            Err(_) => good.1 += 1,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for s in slow {
        let _ = s.join();
    }
    let held = held.load(Ordering::Relaxed);
    let load = format!(
        "1000 trickling clients at a time for {:.1} s: {} cut off by the server, {held} still held when their round ended",
        d.as_secs_f64(),
        cut.load(Ordering::Relaxed),
    );
    let mut r = t.finish("slowloris", load, good);
    if held > 0 {
        r.issues
            .push(format!("{held} slow clients were held past 3 s"));
    }
    r
}

fn http_get(addr: SocketAddr) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    if resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.ends_with("Hello, world!") {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("bad response {resp:?}")))
    }
}

/// Two waves of `n` connections open at once, each echoing once, held for
/// half of `d`, then closed together. A wasm memory never shrinks, so the
/// RSS after the first wave is the server's high-water mark; the second
/// wave must not raise it (what the guest freed is reused).
fn concurrent(d: Duration, n: usize) -> Report {
    let t = Target::start("echo-tcp", TCP, &["127.0.0.1:0"]);
    let addr = t.srv.sock();
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_echo_client(addr, stop.clone());
    let (w1, peak1) = wave(t.pid(), addr, n, d / 2);
    let rss1 = proc_rss_kib(t.pid());
    let (w2, peak2) = wave(t.pid(), addr, n, d / 2);
    let rss2 = proc_rss_kib(t.pid());
    stop.store(true, Ordering::Relaxed);
    let mut good = good.join().unwrap_or((0, 1));
    // Connections that could not be made or served count against it.
    good.1 += ((n - w1) + (n - w2)) as u64;
    let load = format!(
        "2 waves of {n} connections held at once ({w1} and {w2} echoed; host fds at peak {peak1} and {peak2}; rss after each {:.1} and {:.1} MiB)",
        rss1 as f64 / 1024.0,
        rss2 as f64 / 1024.0
    );
    let mut r = t.finish("10k-concurrent", load, good);
    if rss2 > rss1 + rss1 / 10 + 4096 {
        r.issues.push(format!(
            "rss grew from {rss1} to {rss2} KiB on the second wave"
        ));
    }
    r
}

/// One wave: `n` connections, one echo each, held for `d`; returns how
/// many echoed and the host's fd count at the peak.
fn wave(pid: u32, addr: SocketAddr, n: usize, d: Duration) -> (usize, usize) {
    let start = Instant::now();
    let mut conns: Vec<TcpStream> = (0..n)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    // Every held connection is served: one round trip each.
    let mut echoed = 0;
    for s in conns.iter_mut() {
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let mut b = [0u8; 4];
        if s.write_all(b"ping").is_ok() && s.read_exact(&mut b).is_ok() && &b == b"ping" {
            echoed += 1;
        }
    }
    let peak = proc_fds(pid);
    let rest = d.saturating_sub(start.elapsed());
    std::thread::sleep(rest);
    drop(conns);
    (echoed, peak)
}

/// Connect, echo, close, as fast as four clients go.
fn churn(d: Duration, t: Target, label: &'static str) -> Report {
    let addr = t.srv.sock();
    let end = Instant::now() + d;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let (mut ok, mut bad) = (0u64, 0u64);
                while Instant::now() < end {
                    match echo_round_trip(addr, b"churn\n") {
                        Ok(()) => ok += 1,
                        Err(_) => bad += 1,
                    }
                }
                (ok, bad)
            })
        })
        .collect();
    let mut good = (0, 0);
    for w in workers {
        let (o, b) = w.join().unwrap_or((0, 1));
        good.0 += o;
        good.1 += b;
    }
    let load = format!(
        "{} connections in {:.1} s ({:.0}/s)",
        good.0 + good.1,
        d.as_secs_f64(),
        (good.0 + good.1) as f64 / d.as_secs_f64()
    );
    t.finish(label, load, good)
}

/// Four sockets sending datagrams as fast as they can (never reading the
/// echoes), while a good client asks and waits for its answers.
fn udp_flood(d: Duration) -> Report {
    let flags = [
        "--allow-udp-bind",
        "127.0.0.1",
        "--allow-udp-send",
        "127.0.0.1",
    ];
    let t = Target::start("echo-udp", &flags, &["127.0.0.1:0"]);
    let addr = t.srv.sock();
    let end = Instant::now() + d;
    let sent = Arc::new(AtomicU64::new(0));
    let flood: Vec<_> = (0..4)
        .map(|_| {
            let sent = sent.clone();
            std::thread::spawn(move || {
                let s = UdpSocket::bind("127.0.0.1:0").expect("udp");
                let payload = [0x55u8; 512];
                while Instant::now() < end {
                    if s.send_to(&payload, addr).is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let good_sock = UdpSocket::bind("127.0.0.1:0").expect("udp");
    good_sock
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut good = (0u64, 0u64);
    let mut buf = [0u8; 64];
    while Instant::now() < end {
        let msg = format!("good {}", good.0 + good.1);
        let _ = good_sock.send_to(msg.as_bytes(), addr);
        // The reply may queue behind flood echoes to other sockets.
        match good_sock.recv_from(&mut buf) {
            Ok((n, _)) if &buf[..n] == msg.as_bytes() => good.0 += 1,
            _ => good.1 += 1,
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    for f in flood {
        let _ = f.join();
    }
    // Once the flood stops, every request is answered again.
    std::thread::sleep(Duration::from_millis(200));
    good_sock
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut after = 0;
    for i in 0..10 {
        let msg = format!("after {i}");
        let _ = good_sock.send_to(msg.as_bytes(), addr);
        // Skip late echoes of requests that timed out during the flood.
        loop {
            match good_sock.recv_from(&mut buf) {
                Ok((n, _)) if &buf[..n] == msg.as_bytes() => {
                    after += 1;
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
    }
    let load = format!(
        "{} datagrams flooded in {:.1} s; good client answered {} of {} during it, {after} of 10 after",
        sent.load(Ordering::Relaxed),
        d.as_secs_f64(),
        good.0,
        good.0 + good.1
    );
    let mut r = t.finish("udp-flood", load, good);
    if after < 10 {
        r.issues
            .push(format!("only {after} of 10 answered after the flood"));
    }
    r
}

/// One HTTP/1.1 request on a fresh connection: the status code.
fn http_status(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> std::io::Result<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    // A refused body is not read to its end: the status comes first.
    let _ = s.write_all(body);
    let mut status = [0u8; 12];
    s.read_exact(&mut status)?;
    std::str::from_utf8(&status[9..12])
        .ok()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))
}

/// axum-json under `--max-memory 32M`, four clients posting 1.9 MB notes
/// (refused, `413`) and small ones (kept until the cap, then `507`) as
/// fast as they can, while a good client reads `/stats`: the host's
/// memory must stay where the caps put it.
fn large_posts(d: Duration) -> Report {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = format!("{}::/data", data.path().display());
    let module = crate::wasm_example("examples/axum-json");
    let t = Target::start_module(
        "axum-json",
        &module,
        &[
            "--max-memory",
            "32M",
            "--allow-listen",
            "127.0.0.1",
            "--dir",
            dir.as_str(),
        ],
        &["127.0.0.1:0", "/data"],
    );
    let addr = t.srv.sock();
    let end = Instant::now() + d;
    let big = Arc::new(format!(r#"{{"text":"{}"}}"#, "n".repeat(1_900_000)).into_bytes());
    let posters: Vec<_> = (0..4)
        .map(|i| {
            let big = big.clone();
            std::thread::spawn(move || {
                let (mut sent, mut unexpected) = (0u64, 0u64);
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let (body, ok): (Vec<u8>, &[u16]) = if n.is_multiple_of(2) {
                        (big.to_vec(), &[413])
                    } else {
                        (
                            format!(r#"{{"text":"note {i} {n}"}}"#).into_bytes(),
                            &[201, 507],
                        )
                    };
                    match http_status(addr, "POST", "/notes", &body) {
                        Ok(code) if ok.contains(&code) => sent += 1,
                        _ => unexpected += 1,
                    }
                }
                (sent, unexpected)
            })
        })
        .collect();
    let (mut good, mut peak) = ((0u64, 0u64), 0u64);
    while Instant::now() < end {
        match http_status(addr, "GET", "/stats", b"") {
            Ok(200) => good.0 += 1,
            _ => good.1 += 1,
        }
        peak = peak.max(proc_rss_kib(t.pid()));
        std::thread::sleep(Duration::from_millis(20));
    }
    let (mut posts, mut odd) = (0, 0);
    for p in posters {
        let (s, u) = p.join().unwrap_or((0, 1));
        posts += s;
        odd += u;
    }
    let base = t.rss;
    let load = format!(
        "{posts} posts from 4 clients, half of them 1.9 MB ({odd} unexpected answers); peak rss {:.1} MiB",
        peak as f64 / 1024.0
    );
    let mut r = t.finish("large-posts", load, good);
    if odd > 0 {
        r.issues
            .push(format!("{odd} posts got an unexpected answer"));
    }
    // The guest may fill its 32 MiB; the host may add its 1 MiB reserve.
    if peak > base + 34 * 1024 {
        r.issues.push(format!(
            "rss rose from {base} to {peak} KiB under a 32 MiB limit"
        ));
    }
    r
}

/// crash-server under `--workers 2`, a client sending a request that
/// traps the instance every 50 ms while a good client asks on: each
/// trapped instance is replaced, and the good client is answered (a
/// request whose connection ended unanswered, on the instance that
/// trapped, is asked again, up to 5 times).
fn poison_requests(d: Duration) -> Report {
    let port = crate::free_port().to_string();
    let addr_s = format!("127.0.0.1:{port}");
    let t = Target::start(
        "crash-server",
        &["--workers", "2", "--allow-listen", "127.0.0.1"],
        &[addr_s.as_str()],
    );
    let addr: SocketAddr = addr_s.parse().expect("address");
    let ask = move |line: &[u8]| -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(line)?;
        let mut a = String::new();
        s.read_to_string(&mut a)
            .or_else(|e| if a.is_empty() { Err(e) } else { Ok(0) })?;
        Ok(a)
    };
    let end = Instant::now() + d;
    let poison = std::thread::spawn(move || {
        let mut n = 0u64;
        while Instant::now() < end {
            let _ = ask(b"crash\n");
            n += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        n
    });
    let mut good = (0u64, 0u64);
    let mut retries = 0u64;
    while Instant::now() < end {
        let mut answered = false;
        for _ in 0..5 {
            let mut s = match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                Ok(s) => s,
                Err(_) => continue,
            };
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let mut line = String::new();
            if s.write_all(b"hello\n").is_ok()
                && std::io::BufRead::read_line(&mut std::io::BufReader::new(&s), &mut line).is_ok()
                && line.starts_with("ok ")
            {
                answered = true;
                break;
            }
            retries += 1;
        }
        if answered {
            good.0 += 1;
        } else {
            good.1 += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let poisoned = poison.join().unwrap_or(0);
    let load =
        format!("{poisoned} requests that trap an instance; {retries} good requests asked again");
    t.finish("poison-requests", load, good)
}

/// Open fds of process `pid`.
pub fn proc_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Resident set size of process `pid`, in KiB.
pub fn proc_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The probes open thousands of client sockets: take the hard limit.
fn raise_own_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        },
    );
}
