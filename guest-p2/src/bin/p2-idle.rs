//! The stock tokio counterpart of `idle-server` (current-thread): holds
//! every connection it accepts, idle. `make bench` runs it natively and as
//! a WASI 0.2 component. `p2-idle [ADDR]`; prints `listening on ADDR`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    tokio::spawn(async {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
        }
    });
    loop {
        let (mut conn, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok(n) = conn.read(&mut buf).await {
                if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}
