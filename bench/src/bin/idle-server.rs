//! Idle-cost server for `make bench` (wasio runtime, wasm and native): an
//! echo server whose connections mostly sit idle, plus one timer firing
//! every 100 ms. Prints `listening on ADDR`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpListener;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    let ticks = Rc::new(Cell::new(0u64));
    let t = ticks.clone();
    wasio::spawn(async move {
        let mut every = wasio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            t.set(t.get() + 1);
        }
    });
    loop {
        let (mut conn, _) = listener.accept().await?;
        wasio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok(n) = conn.read(&mut buf).await {
                if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}
