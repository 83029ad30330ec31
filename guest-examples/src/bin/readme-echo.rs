//! The guest the README shows ("Writing a guest with the `wasio`
//! runtime"), line for line: an echo server on the listener the host
//! hands over (`wasio run --tcplisten ADDR`), or on 127.0.0.1:7000
//! natively, with a timer beside it. `tests/tests/readme.rs` checks that
//! the README and this file agree, and runs it.

use std::time::Duration;
use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpListener;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    // Under `wasio run --tcplisten ADDR` the host hands us the listener;
    // natively we bind it ourselves.
    let listener = match TcpListener::from_preopened()? {
        Some(l) => l,
        None => TcpListener::bind("127.0.0.1:7000").await?,
    };
    wasio::spawn(async {
        let mut every = wasio::time::interval(Duration::from_secs(30));
        loop {
            every.tick().await; // a timer costs nothing while it waits
        }
    });
    loop {
        let (mut conn, _) = listener.accept().await?;
        wasio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = conn.read(&mut buf).await {
                if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}
