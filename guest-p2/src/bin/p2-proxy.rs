//! A TCP proxy written for stock tokio: each connection to LISTEN is
//! joined to a new connection to SERVER, both ways, until either side
//! closes. `proxy LISTEN SERVER`; prints `listening on ADDR` once bound.

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8081".into());
    let server = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut inbound, _) = listener.accept().await?;
        let server = server.clone();
        tokio::spawn(async move {
            match TcpStream::connect(&server).await {
                Ok(mut outbound) => {
                    let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                }
                Err(e) => eprintln!("proxy: cannot connect to {server}: {e}"),
            }
        });
    }
}
