//! A TCP echo server, the shape of tokio's `examples/echo.rs` with
//! `tokio::` renamed to `wasio::`.
//!
//! `wasio run --allow-listen 127.0.0.1 echo.wasm [ADDR]` (default
//! `127.0.0.1:8080`), then `nc 127.0.0.1 8080`.

use std::env;
use std::error::Error;

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpListener;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());

    let listener = TcpListener::bind(&addr).await?;
    println!("Listening on: {}", listener.local_addr()?);

    loop {
        let (mut socket, _) = listener.accept().await?;

        wasio::spawn(async move {
            let mut buf = vec![0; 1024];

            loop {
                let n = socket
                    .read(&mut buf)
                    .await
                    .expect("failed to read data from socket");

                if n == 0 {
                    return;
                }

                socket
                    .write_all(&buf[0..n])
                    .await
                    .expect("failed to write data to socket");
            }
        });
    }
}
