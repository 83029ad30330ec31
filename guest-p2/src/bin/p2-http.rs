//! An HTTP/1.1 keep-alive "Hello, world!" server written for stock tokio
//! (current-thread): `make bench`'s reference, natively and as a WASI 0.2
//! component. It is the `http-hello` example's logic line for line — the
//! same request parsing (request line, headers lowercased, `Connection`, a
//! `Content-Length` body discarded) and the same two timeouts per request
//! (idle before it, 5 s; the request itself, 10 s) — so `make bench`
//! compares runtimes, not programs. `p2-http [ADDR]`; prints
//! `listening on ADDR` once bound.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::timeout;

const BODY: &str = "Hello, world!";
const REQUEST: Duration = Duration::from_millis(10_000);
const IDLE: Duration = Duration::from_millis(5_000);

/// One request's head, its body discarded: `Some(close)`, or `None` if
/// the client went away first.
async fn read_request<R>(r: &mut BufReader<R>, line: &mut String) -> std::io::Result<Option<bool>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    line.clear();
    if r.read_line(line).await? == 0 {
        return Ok(None);
    }
    let mut close = line.trim_end().ends_with("HTTP/1.0");
    let mut body_len = 0usize;
    loop {
        line.clear();
        if r.read_line(line).await? == 0 {
            return Ok(None);
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
    let mut left = body_len;
    while left > 0 {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let n = buf.len().min(left);
        r.consume(n);
        left -= n;
    }
    Ok(Some(close))
}

async fn serve(conn: tokio::net::TcpStream) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    loop {
        match timeout(IDLE, r.fill_buf()).await {
            Err(_) | Ok(Ok([])) => return Ok(()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
        }
        let close = match timeout(REQUEST, read_request(&mut r, &mut line)).await {
            Err(_) => {
                let _ = w
                    .write_all(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return Ok(());
            }
            Ok(Ok(Some(close))) => close,
            Ok(Ok(None)) => return Ok(()),
            Ok(Err(e)) => return Err(e),
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n{BODY}",
            BODY.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        w.write_all(response.as_bytes()).await?;
        if close {
            return w.shutdown().await;
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (conn, _) = listener.accept().await?;
        tokio::spawn(serve(conn));
    }
}
