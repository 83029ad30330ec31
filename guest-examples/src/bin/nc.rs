//! `nc HOST:PORT`: connects and pipes stdin to the socket and the socket
//! to stdout, like netcat. When stdin ends, the write half is shut down;
//! the program ends when the peer closes.
//!
//! `wasio run --allow-connect 127.0.0.1:7000 nc.wasm 127.0.0.1:7000`
//! (a host name also needs `--allow-dns`).

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpStream;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: nc HOST:PORT");
        std::process::exit(2);
    };
    let conn = match TcpStream::connect(addr.as_str()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nc: cannot connect to {addr}: {e}");
            std::process::exit(1);
        }
    };
    let (mut from_net, mut to_net) = conn.into_split();
    let upload = wasio::spawn(async move {
        let n = wasio::io::copy(&mut wasio::io::stdin(), &mut to_net).await?;
        to_net.shutdown().await?;
        Ok::<u64, std::io::Error>(n)
    });
    let mut out = wasio::io::stdout();
    let mut buf = vec![0u8; 16 * 1024];
    let mut down = 0u64;
    loop {
        let n = from_net.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).await?;
        down += n as u64;
    }
    out.flush().await?;
    let up = upload.await??;
    eprintln!("nc: sent {up} bytes, received {down} bytes");
    Ok(())
}
