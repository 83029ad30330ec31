//! A TCP proxy: every connection to the listen address is relayed to the
//! server address with `copy_bidirectional` — the shape of tokio's
//! `examples/proxy.rs`.
//!
//! `wasio run --allow-listen 127.0.0.1 --allow-connect 127.0.0.1
//! proxy.wasm [LISTEN] [SERVER]` (defaults `127.0.0.1:8081` and
//! `127.0.0.1:8080`).

use std::env;
use std::error::Error;

use futures::FutureExt;
use wasio::io::copy_bidirectional;
use wasio::net::TcpListener;
use wasio::net::TcpStream;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let listen_addr = env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_string());
    let server_addr = env::args()
        .nth(2)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());

    println!("Listening on: {listen_addr}");
    println!("Proxying to: {server_addr}");

    let listener = TcpListener::bind(listen_addr).await?;

    while let Ok((mut inbound, _)) = listener.accept().await {
        let mut outbound = TcpStream::connect(server_addr.clone()).await?;

        wasio::spawn(async move {
            copy_bidirectional(&mut inbound, &mut outbound)
                .map(|r| {
                    if let Err(e) = r {
                        println!("Failed to transfer; error={e}");
                    }
                })
                .await
        });
    }

    Ok(())
}
