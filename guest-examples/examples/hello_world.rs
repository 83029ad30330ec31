//! Connects to a server and writes "hello world", the shape of tokio's
//! `examples/hello_world.rs`.
//!
//! `wasio run --allow-connect 127.0.0.1 hello_world.wasm [ADDR]` (default
//! `127.0.0.1:6142`).

use std::error::Error;

use wasio::io::AsyncWriteExt;
use wasio::net::TcpStream;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6142".to_string());
    // Open a TCP stream to the socket address.
    let mut stream = TcpStream::connect(&addr).await?;
    println!("created stream");

    let result = stream.write_all(b"hello world\n").await;
    println!("wrote to stream; success={:?}", result.is_ok());

    Ok(())
}
