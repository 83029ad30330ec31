//! `http-hello ADDR [N]`: a small HTTP/1.1 server with keep-alive that
//! answers every request with `Hello, world!`.
//!
//! `wasio run --allow-listen 127.0.0.1 http-hello.wasm 127.0.0.1:8080`
//!
//! It holds up against slow and idle clients: a request's head (and body)
//! must arrive within `HTTP_HEADER_TIMEOUT_MS` (default 10 s) of its first
//! byte, or the client gets `408` and is closed; a keep-alive connection
//! with no request for `HTTP_IDLE_TIMEOUT_MS` (default 5 s) is closed.
//! A request line over 8 KiB gets `400`, header fields over 16 KiB get
//! `431`, and the connection is closed: no client makes the server hold
//! more than that per connection.
//! Accept errors are retried; finished connections leave nothing behind.

use std::time::Duration;

use wasio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wasio::net::{TcpListener, TcpStream};
use wasio::time::timeout;
use wasio_examples::server::{accept_retrying, Tally};

const BODY: &str = "Hello, world!";

/// How long a client may take.
#[derive(Clone, Copy)]
struct Timeouts {
    /// From a request's first byte to the end of its body.
    request: Duration,
    /// Between requests on a keep-alive connection (and before the first).
    idle: Duration,
}

impl Timeouts {
    fn from_env() -> Self {
        let ms = |var: &str, default: u64| {
            let v = std::env::var(var).ok().map(|v| v.parse().expect(var));
            Duration::from_millis(v.unwrap_or(default))
        };
        Self {
            request: ms("HTTP_HEADER_TIMEOUT_MS", 10_000),
            idle: ms("HTTP_IDLE_TIMEOUT_MS", 5_000),
        }
    }
}

/// Longest request line (method, target, version) the server reads.
const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Most bytes of header fields one request may send.
const MAX_HEADERS: usize = 16 * 1024;

/// Why a request was not read.
enum Refused {
    /// The client went away first.
    Gone,
    /// The request line passed [`MAX_REQUEST_LINE`]: `400`.
    LineTooLong,
    /// The header fields passed [`MAX_HEADERS`]: `431`.
    HeadersTooLarge,
}

/// Appends one line (up to and including `\n`) to `line`, reading no more
/// than `max` bytes in all into it: `Ok(false)` at end of input, `Err` past
/// the cap. The reader's buffer is the only other memory used.
async fn read_line_capped<R>(
    r: &mut BufReader<R>,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Result<bool, ()>>
where
    R: wasio::io::AsyncRead + Unpin,
{
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Ok(false));
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > max {
            return Ok(Err(()));
        }
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            return Ok(Ok(true));
        }
    }
}

/// Reads one request's head and discards its body. `Ok(close)` when a
/// whole request arrived (`close`: the client asked to close). The
/// request line and the header fields are capped, so no client can make
/// the server hold more than those caps per connection.
async fn read_request<R>(
    r: &mut BufReader<R>,
    line: &mut Vec<u8>,
) -> std::io::Result<Result<bool, Refused>>
where
    R: wasio::io::AsyncRead + Unpin,
{
    // Request line.
    line.clear();
    match read_line_capped(r, line, MAX_REQUEST_LINE).await? {
        Ok(true) => {}
        Ok(false) => return Ok(Err(Refused::Gone)),
        Err(()) => return Ok(Err(Refused::LineTooLong)),
    }
    let mut close = line.trim_ascii_end().ends_with(b"HTTP/1.0");
    let mut body_len = 0usize;
    // Headers.
    let mut header_bytes = 0;
    loop {
        line.clear();
        match read_line_capped(r, line, MAX_HEADERS - header_bytes).await? {
            Ok(true) => header_bytes += line.len(),
            Ok(false) => return Ok(Err(Refused::Gone)),
            Err(()) => return Ok(Err(Refused::HeadersTooLarge)),
        }
        let h = String::from_utf8_lossy(line.trim_ascii_end());
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
            return Ok(Err(Refused::Gone));
        }
        let n = buf.len().min(left);
        r.consume(n);
        left -= n;
    }
    Ok(Ok(close))
}

/// Serves one connection; returns how many requests it answered.
async fn serve(conn: TcpStream, limits: Timeouts) -> std::io::Result<u64> {
    conn.set_nodelay(true)?;
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    let mut answered = 0;
    loop {
        // Wait for the next request to begin.
        match timeout(limits.idle, r.fill_buf()).await {
            Err(_idle) => return Ok(answered),
            Ok(Ok([])) => return Ok(answered),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
        }
        let close = match timeout(limits.request, read_request(&mut r, &mut line)).await {
            Err(_slow) => {
                let _ = w
                    .write_all(
                        b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                    )
                    .await;
                return Ok(answered);
            }
            Ok(Ok(Ok(close))) => close,
            Ok(Ok(Err(Refused::Gone))) => return Ok(answered),
            Ok(Ok(Err(refused))) => {
                let status = match refused {
                    Refused::HeadersTooLarge => "431 Request Header Fields Too Large",
                    _ => "400 Bad Request",
                };
                let head =
                    format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                let _ = w.write_all(head.as_bytes()).await;
                let _ = w.shutdown().await;
                return Ok(answered);
            }
            Ok(Err(e)) => return Err(e),
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}{BODY}",
            BODY.len(),
            head_end(close)
        );
        w.write_all(response.as_bytes()).await?;
        answered += 1;
        if close {
            w.shutdown().await?;
            return Ok(answered);
        }
    }
}

/// The rest of a response's head after `Content-Length`: `X-Wasio-Worker:
/// N` under `wasio run --workers` (which sets `WASIO_WORKER`), so a client
/// can tell which instance answered; `Connection: close` when closing; the
/// blank line. Made once, so a response formats no more than the tokio
/// reference server's does.
fn head_end(close: bool) -> &'static str {
    static ENDS: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    let [keep, last] = ENDS.get_or_init(|| {
        let worker = match std::env::var("WASIO_WORKER") {
            Ok(w) => format!("X-Wasio-Worker: {w}\r\n"),
            Err(_) => String::new(),
        };
        [
            format!("{worker}\r\n"),
            format!("{worker}Connection: close\r\n\r\n"),
        ]
    });
    if close {
        last
    } else {
        keep
    }
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let limits = Timeouts::from_env();
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    let tasks = Tally::new();
    while limit.is_none_or(|l| tasks.spawned() < l) {
        let (conn, _) = accept_retrying(|| listener.accept()).await;
        tasks.spawn(async move { serve(conn, limits).await.unwrap_or(0) });
    }
    let requests = tasks.finish().await;
    println!("{} connections, {requests} requests", limit.unwrap_or(0));
    Ok(())
}
