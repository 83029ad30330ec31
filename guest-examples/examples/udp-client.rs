//! Sends what it reads from stdin to a UDP server and prints the reply,
//! the shape of tokio's `examples/udp-client.rs`.
//!
//! `echo hi | wasio run --allow-udp-bind 127.0.0.1 --allow-udp-send
//! 127.0.0.1 udp-client.wasm [ADDR]` (default `127.0.0.1:8080`).

use std::env;
use std::error::Error;
use std::io::{stdin, Read};
use std::net::SocketAddr;

use wasio::net::UdpSocket;

fn get_stdin_data() -> Result<Vec<u8>, Box<dyn Error>> {
    let mut buf = Vec::new();
    stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let remote_addr: SocketAddr = env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into())
        .parse()?;

    // We use port 0 to let the operating system allocate an available port for us.
    let local_addr: SocketAddr = if remote_addr.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::]:0"
    }
    .parse()?;

    let socket = UdpSocket::bind(local_addr).await?;
    const MAX_DATAGRAM_SIZE: usize = 65_507;
    socket.connect(&remote_addr).await?;
    let data = get_stdin_data()?;
    socket.send(&data).await?;
    let mut data = vec![0u8; MAX_DATAGRAM_SIZE];
    let len = socket.recv(&mut data).await?;
    println!(
        "Received {} bytes:\n{}",
        len,
        String::from_utf8_lossy(&data[..len])
    );

    Ok(())
}
