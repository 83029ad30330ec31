//! Sends each chunk of stdin as a datagram to a UDP server and prints the
//! datagrams that come back — the shape of tokio's
//! `examples/connect-udp.rs`.
//!
//! `wasio run --allow-udp-bind 127.0.0.1 --allow-udp-send 127.0.0.1
//! connect-udp.wasm ADDR`

use std::env;
use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio_util::codec::{BytesCodec, FramedRead, FramedWrite};
use wasio::io;
use wasio::net::UdpSocket;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = env::args().skip(1).collect::<Vec<_>>();
    let addr = args
        .first()
        .ok_or("this program requires at least one argument")?;
    let addr = addr.parse::<SocketAddr>()?;

    let stdin = FramedRead::new(io::stdin(), BytesCodec::new());
    let stdin = stdin.map(|i| i.map(|bytes| bytes.freeze()));
    let stdout = FramedWrite::new(io::stdout(), BytesCodec::new());

    connect(&addr, stdin, stdout).await?;

    Ok(())
}

async fn connect(
    addr: &SocketAddr,
    stdin: impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
    stdout: impl Sink<Bytes, Error = std::io::Error> + Unpin,
) -> Result<(), Box<dyn Error>> {
    // We'll bind our UDP socket to a local IP/port, but for now we
    // basically let the OS pick both of those.
    let bind_addr = if addr.ip().is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::]:0"
    };

    let socket = UdpSocket::bind(&bind_addr).await?;
    socket.connect(addr).await?;

    wasio::try_join!(send(stdin, &socket), recv(stdout, &socket))?;

    Ok(())
}

async fn send(
    mut stdin: impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
    writer: &UdpSocket,
) -> Result<(), std::io::Error> {
    while let Some(item) = stdin.next().await {
        let buf = item?;
        writer.send(&buf[..]).await?;
    }

    Ok(())
}

async fn recv(
    mut stdout: impl Sink<Bytes, Error = std::io::Error> + Unpin,
    reader: &UdpSocket,
) -> Result<(), std::io::Error> {
    loop {
        let mut buf = vec![0; 1024];
        let n = reader.recv(&mut buf[..]).await?;

        if n > 0 {
            buf.truncate(n);
            stdout.send(Bytes::from(buf)).await?;
        }
    }
}
