//! A TCP client written for stock tokio: connects to ADDR, writes
//! `hello world`, and prints the first reply it reads. `hello-world ADDR`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6142".into());
    let mut stream = TcpStream::connect(&addr).await?;
    stream.write_all(b"hello world\n").await?;
    let mut buf = [0; 1024];
    let n = stream.read(&mut buf).await?;
    println!("got: {}", String::from_utf8_lossy(&buf[..n]).trim_end());
    Ok(())
}
