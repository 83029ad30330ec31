//! A blocking std TCP echo server, one connection at a time.
//!
//! Under wasio it serves the listener preopened with `--tcplisten`;
//! natively it binds the address given as first argument. The optional
//! second argument stops it after that many connections.
//!
//! `wasio run --tcplisten 127.0.0.1:7000 echo-blocking.wasm`

use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let limit: Option<usize> = std::env::args()
        .nth(2)
        .map(|n| n.parse().expect("connection count"));
    let listener = wasio_examples::preopened_listener(&addr)?;
    // std on wasm32-wasip1 cannot ask a socket for its address; the host
    // logs it (`RUST_LOG=wasio_host=info`).
    match listener.local_addr() {
        Ok(a) => println!("listening on {a}"),
        Err(_) => println!("listening on the preopened socket"),
    }
    let mut served = 0;
    while limit.is_none_or(|l| served < l) {
        let (mut conn, _) = listener.accept()?;
        let mut buf = [0u8; 16 * 1024];
        let mut total = 0;
        loop {
            let n = match conn.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("read: {e}");
                    break;
                }
            };
            if let Err(e) = conn.write_all(&buf[..n]) {
                eprintln!("write: {e}");
                break;
            }
            total += n;
        }
        served += 1;
        println!("connection {served}: echoed {total} bytes");
    }
    Ok(())
}
