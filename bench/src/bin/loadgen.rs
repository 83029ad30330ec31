//! The load generator of `make bench` (tokio, current-thread: one core).
//!
//! `loadgen echo|http ADDR CONNECTIONS SECONDS`
//!
//! Every connection runs closed-loop: it sends a request (64 bytes for
//! echo, a keep-alive `GET` for http), waits for the whole answer, and
//! records the round trip. Prints `name value unit` lines: requests per
//! second, p50 and p99 latency in microseconds, and errors.

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

async fn http_conn(addr: String, until: Instant) -> std::io::Result<Vec<u32>> {
    let s = TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    let mut lat = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        w.write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
            .await?;
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse().unwrap_or(0);
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
    let [mode, addr, conns, secs] = &a[..] else {
        eprintln!("usage: loadgen echo|http ADDR CONNECTIONS SECONDS");
        std::process::exit(2);
    };
    let conns: usize = conns.parse().expect("connections");
    let secs: f64 = secs.parse().expect("seconds");
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let addr = addr.clone();
            match mode.as_str() {
                "echo" => tokio::spawn(echo_conn(addr, until)),
                "http" => tokio::spawn(http_conn(addr, until)),
                _ => panic!("mode must be echo or http"),
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
}
