//! `http-hello ADDR [N]`: a small HTTP/1.1 server with keep-alive that
//! answers every request with `Hello, world!`.
//!
//! `wasio run --allow-listen 127.0.0.1 http-hello.wasm 127.0.0.1:8080`

use wasio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wasio::net::{TcpListener, TcpStream};

const BODY: &str = "Hello, world!";

/// Serves one connection; returns how many requests it answered.
async fn serve(conn: TcpStream) -> std::io::Result<u64> {
    conn.set_nodelay(true)?;
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    let mut answered = 0;
    loop {
        // Request line.
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(answered);
        }
        let http10 = line.trim_end().ends_with("HTTP/1.0");
        let mut close = http10;
        let mut body_len = 0usize;
        // Headers.
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(answered);
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                let (name, value) = (
                    name.trim().to_ascii_lowercase(),
                    value.trim().to_ascii_lowercase(),
                );
                match name.as_str() {
                    "connection" if value == "close" => close = true,
                    "connection" if value == "keep-alive" => close = false,
                    "content-length" => body_len = value.parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        // Discard a request body.
        let mut left = body_len;
        while left > 0 {
            let buf = r.fill_buf().await?;
            if buf.is_empty() {
                return Ok(answered);
            }
            let n = buf.len().min(left);
            r.consume_unpin(n);
            left -= n;
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n{BODY}",
            BODY.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        w.write_all(response.as_bytes()).await?;
        answered += 1;
        if close {
            w.close().await?;
            return Ok(answered);
        }
    }
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    let mut tasks = Vec::new();
    while limit.is_none_or(|l| tasks.len() < l) {
        let (conn, _) = listener.accept().await?;
        tasks.push(wasio::spawn(serve(conn)));
    }
    let mut requests = 0;
    for t in tasks {
        requests += t.await?.unwrap_or(0);
    }
    println!("{} connections, {requests} requests", limit.unwrap_or(0));
    Ok(())
}
