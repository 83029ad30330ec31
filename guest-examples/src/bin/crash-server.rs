//! `crash-server ADDR`: a line server that answers every line with
//! `ok WORKER` (`WASIO_WORKER`, or `-`), except `crash`, on which it
//! indexes an empty `Vec`: a panic, which aborts the instance on wasm
//! (a trap, status 134) — a service with one bad route.
//!
//! `wasio run --workers 2 --allow-listen 127.0.0.1 crash-server.wasm
//! 127.0.0.1:8080`: each crash ends one worker, and the host starts it
//! again while the other goes on serving.

use wasio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use wasio::net::{TcpListener, TcpStream};
use wasio_examples::server::accept_retrying;

/// Longest line read (the rest of a longer one is the next line).
const MAX_LINE: u64 = 1024;

async fn serve(conn: TcpStream, worker: &str) -> std::io::Result<()> {
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    loop {
        line.clear();
        if (&mut r).take(MAX_LINE).read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if line.trim() == "crash" {
            let empty: Vec<u8> = Vec::new();
            let at = line.len();
            // The bug this server stands for: an index never checked.
            w.write_all(&[empty[at]]).await?;
        }
        w.write_all(format!("ok {worker}\n").as_bytes()).await?;
    }
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let worker: &'static str = std::env::var("WASIO_WORKER")
        .map(|w| &*w.leak())
        .unwrap_or("-");
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (conn, _) = accept_retrying(|| listener.accept()).await;
        wasio::spawn(async move {
            let _ = serve(conn, worker).await;
        });
    }
}
