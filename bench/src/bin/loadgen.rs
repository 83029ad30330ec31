//! The load generator of `make bench` (tokio, current-thread: one core).
//!
//! `loadgen echo|http|tls ADDR CONNECTIONS SECONDS [PATH|CA_FILE]`
//!
//! Every connection runs closed-loop: it sends a request (64 bytes for
//! echo, a keep-alive `GET PATH` for http, default `/`), waits for the
//! whole answer, and records the round trip. In `tls` mode every round
//! is a new connection: TCP connect, a TLS 1.3 handshake trusting
//! CA_FILE, one byte echoed, close — a handshake each. Prints
//! `name value unit` lines: requests per second, p50 and p99 latency in
//! microseconds, errors, the number of requests, and for servers run with
//! `wasio run --workers` how many connections each worker answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn echo_conn(addr: String, until: Instant) -> std::io::Result<Vec<u32>> {
    let mut s = TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let msg = [0x5au8; 64];
    let mut back = [0u8; 64];
    let mut lat = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        s.write_all(&msg).await?;
        s.read_exact(&mut back).await?;
        lat.push(t.elapsed().as_micros() as u32);
    }
    Ok(lat)
}

async fn tls_conn(
    addr: String,
    until: Instant,
    connector: tokio_rustls::TlsConnector,
) -> std::io::Result<Vec<u32>> {
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut lat = Vec::new();
    let mut b = [0u8; 1];
    while Instant::now() < until {
        let t = Instant::now();
        let tcp = TcpStream::connect(&addr).await?;
        tcp.set_nodelay(true)?;
        let mut s = connector.connect(name.clone(), tcp).await?;
        s.write_all(b"x").await?;
        s.read_exact(&mut b).await?;
        s.shutdown().await?;
        lat.push(t.elapsed().as_micros() as u32);
    }
    Ok(lat)
}

/// A TLS 1.3 client on ring trusting the CA certificates in `ca_file`.
fn tls_connector(ca_file: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in wasio::tls::load_certs(ca_file).expect("CA file") {
        roots.add(c).expect("CA certificate");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .expect("TLS 1.3")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Which `--workers` instance answered each connection (its first
/// response's `X-Wasio-Worker`), counted.
type Workers = std::collections::BTreeMap<String, usize>;

async fn http_conn(
    addr: String,
    until: Instant,
    path: Arc<str>,
    workers: Arc<std::sync::Mutex<Workers>>,
) -> std::io::Result<Vec<u32>> {
    let s = TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    let mut lat = Vec::new();
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    while Instant::now() < until {
        let t = Instant::now();
        w.write_all(request.as_bytes()).await?;
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, v)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                } else if lat.is_empty() && name.eq_ignore_ascii_case("x-wasio-worker") {
                    *workers
                        .lock()
                        .unwrap()
                        .entry(v.trim().to_string())
                        .or_default() += 1;
                }
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await?;
        lat.push(t.elapsed().as_micros() as u32);
    }
    Ok(lat)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize] as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (mode, addr, conns, secs, extra) = match &a[..] {
        [m, a, c, s] => (m, a, c, s, None),
        [m, a, c, s, x] => (m, a, c, s, Some(x.as_str())),
        _ => {
            eprintln!("usage: loadgen echo|http|tls ADDR CONNECTIONS SECONDS [PATH|CA_FILE]");
            std::process::exit(2);
        }
    };
    let path: Arc<str> = extra.unwrap_or("/").into();
    let workers = Arc::new(std::sync::Mutex::new(Workers::new()));
    let connector = (mode == "tls").then(|| tls_connector(extra.expect("tls needs CA_FILE")));
    let conns: usize = conns.parse().expect("connections");
    let secs: f64 = secs.parse().expect("seconds");
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let addr = addr.clone();
            match mode.as_str() {
                "echo" => tokio::spawn(echo_conn(addr, until)),
                "http" => tokio::spawn(http_conn(addr, until, path.clone(), workers.clone())),
                "tls" => tokio::spawn(tls_conn(addr, until, connector.clone().expect("connector"))),
                _ => panic!("mode must be echo, http or tls"),
            }
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(l) => all.extend(l),
            Err(_) => errors += 1,
        }
    }
    let el = start.elapsed().as_secs_f64();
    all.sort_unstable();
    println!("rps {:.1} req/s", all.len() as f64 / el);
    println!("p50 {:.1} us", pct(&all, 0.50));
    println!("p99 {:.1} us", pct(&all, 0.99));
    println!("errors {errors} conns");
    println!("requests {} count", all.len());
    for (w, n) in workers.lock().unwrap().iter() {
        println!("conns_worker_{w} {n} conns");
    }
}
