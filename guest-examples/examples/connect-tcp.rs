//! Pipes stdin to a TCP server and what it sends back to stdout, with
//! tokio-util codecs on wasio's stdin, stdout and `TcpStream` — the shape
//! of tokio's `examples/connect-tcp.rs`.
//!
//! `wasio run --allow-connect 127.0.0.1 connect-tcp.wasm ADDR`

use std::env;
use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::{future, Sink, SinkExt, Stream, StreamExt};
use tokio_util::codec::{BytesCodec, FramedRead, FramedWrite};
use wasio::io;
use wasio::net::TcpStream;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Parse what address we're going to connect to
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
    mut stdin: impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
    mut stdout: impl Sink<Bytes, Error = std::io::Error> + Unpin,
) -> Result<(), Box<dyn Error>> {
    let mut stream = TcpStream::connect(addr).await?;
    let (r, w) = stream.split();
    let mut sink = FramedWrite::new(w, BytesCodec::new());
    // filter map Result<BytesMut, Error> stream into just a Bytes stream to match stdout Sink
    // on the event of an Error, log the error and end the stream
    let mut stream = FramedRead::new(r, BytesCodec::new())
        .filter_map(|i| match i {
            //BytesMut into Bytes
            Ok(i) => future::ready(Some(i.freeze())),
            Err(e) => {
                eprintln!("failed to read from socket; error={e}");
                future::ready(None)
            }
        })
        .map(Ok);

    match future::join(sink.send_all(&mut stdin), stdout.send_all(&mut stream)).await {
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
        _ => Ok(()),
    }
}
