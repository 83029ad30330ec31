//! Prints every packet a client sends, with tokio-util's `BytesCodec` on
//! a wasio `TcpStream` — the shape of tokio's
//! `examples/print_each_packet.rs`.
//!
//! `wasio run --allow-listen 127.0.0.1 print_each_packet.wasm [ADDR]`
//! (default `127.0.0.1:8080`).

use std::env;
use std::error::Error;

use futures::StreamExt;
use tokio_util::codec::{BytesCodec, Decoder};
use wasio::net::TcpListener;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());

    let listener = TcpListener::bind(&addr).await?;
    println!("Listening on: {}", listener.local_addr()?);

    loop {
        // Asynchronously wait for an inbound socket.
        let (socket, _) = listener.accept().await?;

        wasio::spawn(async move {
            // We're parsing each socket with the `BytesCodec` included in `tokio::codec`.
            let mut framed = BytesCodec::new().framed(socket);

            // We loop while there are messages coming from the Stream `framed`.
            // The stream will return None once the client disconnects.
            while let Some(message) = framed.next().await {
                match message {
                    Ok(bytes) => println!("bytes: {bytes:?}"),
                    Err(err) => println!("Socket closed with error: {err:?}"),
                }
            }
            println!("Socket received FIN packet and closed connection");
        });
    }
}
