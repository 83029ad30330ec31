//! `echo-unix PATH [N]`: an echo server on a Unix socket.
//!
//! Under wasio the path is the guest's view of a preopened directory:
//! `wasio run --dir /run/app::/sock echo-unix.wasm /sock/echo.sock`.

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::UnixListener;
use wasio_examples::server::{accept_retrying, Tally};

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "echo.sock".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let listener = UnixListener::bind(&path)?;
    println!("listening on {path}");
    let tasks = Tally::new();
    while limit.is_none_or(|l| tasks.spawned() < l) {
        let (mut conn, _) = accept_retrying(|| listener.accept()).await;
        tasks.spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut total = 0u64;
            while let Ok(n) = conn.read(&mut buf).await {
                if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                total += n as u64;
            }
            total
        });
    }
    let total = tasks.finish().await;
    println!("{} connections, {total} bytes echoed", limit.unwrap_or(0));
    wasio::fs::remove_file(&path).await?;
    Ok(())
}
