//! `echo-tcp ADDR [N]`: a TCP echo server that binds its own socket.
//!
//! Under wasio: `wasio run --allow-listen 127.0.0.1 echo-tcp.wasm 127.0.0.1:7000`.
//! Prints `listening on ADDR` (the real port when ADDR ends in `:0`); with
//! N, exits after N connections have finished. Accept errors (such as
//! EMFILE at the fd limit) are logged and retried; finished connections
//! leave nothing behind.

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpListener;
use wasio_examples::server::{accept_retrying, Tally};

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    let tasks = Tally::new();
    while limit.is_none_or(|l| tasks.spawned() < l) {
        let (mut conn, _) = accept_retrying(|| listener.accept()).await;
        conn.set_nodelay(true)?;
        tasks.spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut total = 0u64;
            loop {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if conn.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        total += n as u64;
                    }
                }
            }
            total
        });
    }
    let total = tasks.finish().await;
    println!("{} connections, {total} bytes echoed", limit.unwrap_or(0));
    Ok(())
}
