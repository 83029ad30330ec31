//! A TCP echo server written for stock tokio (current-thread): every
//! connection gets back what it sends, until it shuts down its side.
//! `p2-echo [ADDR]` (default 127.0.0.1:8080); prints `listening on ADDR`
//! once bound. `make bench` runs it as a WASI 0.2 component against the
//! same logic natively (`bench/src/bin/tokio-echo.rs`).

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut conn, _) = listener.accept().await?;
        let _ = conn.set_nodelay(true);
        tokio::spawn(async move {
            let (mut r, mut w) = conn.split();
            tokio::io::copy(&mut r, &mut w).await?;
            w.shutdown().await
        });
    }
}
