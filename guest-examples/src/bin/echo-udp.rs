//! `echo-udp ADDR [N]`: echoes datagrams back to their sender.
//!
//! Under wasio: `wasio run --allow-udp-bind 127.0.0.1 --allow-udp-send 127.0.0.1
//! echo-udp.wasm 127.0.0.1:7001`. With N, exits after N datagrams. A failed
//! receive or send is logged, never fatal.

use wasio::net::UdpSocket;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let sock = UdpSocket::bind(addr.as_str()).await?;
    println!("listening on {}", sock.local_addr()?);
    let mut buf = vec![0u8; 65536];
    let (mut count, mut bytes) = (0usize, 0usize);
    while limit.is_none_or(|l| count < l) {
        // One bad datagram or one unreachable sender must not stop the
        // server: log it and serve the next.
        let (n, from) = match sock.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                eprintln!("recv_from: {e}");
                continue;
            }
        };
        if let Err(e) = sock.send_to(&buf[..n], from).await {
            eprintln!("send_to {from}: {e}");
        }
        count += 1;
        bytes += n;
    }
    println!("{count} datagrams, {bytes} bytes echoed");
    Ok(())
}
