//! Running the measured programs: pinned to cores, to the end or under
//! load, and reading their CPU time and memory from /proc.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use wasio_bench::sources::idle_source;

/// `argv` on core `core`.
pub(crate) fn pinned(core: usize, argv: &[String]) -> Command {
    pinned_to(&core.to_string(), argv)
}

/// `argv` on the CPUs in `cpus` (a taskset list such as `0` or `0-3`).
pub(crate) fn pinned_to(cpus: &str, argv: &[String]) -> Command {
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

/// Runs `argv` on core 0 to its end: its stdout (a failure ends the bench).
pub(crate) fn run_to_end(argv: &[String]) -> String {
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
pub(crate) fn run_load_on(
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
pub(crate) fn proc_usage(pid: u32) -> (f64, f64) {
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
pub(crate) fn run_idle(server: &[String], conns: usize, secs: f64) -> String {
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

/// A blocking TCP connection to `to` from `from`. The bind takes only the
/// address (`IP_BIND_ADDRESS_NO_PORT`) and `connect` picks the port, as it
/// does for an unbound socket: a port bound first could match a connection
/// still in `TIME_WAIT` from an earlier row, and `connect` would fail with
/// `EADDRINUSE`.
pub(crate) fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<std::net::TcpStream> {
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
pub(crate) fn make_certs(dir: &Path) {
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
pub(crate) fn time_ms(argv: &[String]) -> f64 {
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

/// Raises the soft open-file limit to the hard one.
pub(crate) fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}
