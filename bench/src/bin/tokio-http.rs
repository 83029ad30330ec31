//! The reference HTTP/1.1 keep-alive "Hello, world!" server on stock
//! tokio (current-thread), the counterpart of `http-hello` for `make bench`.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (conn, _) = listener.accept().await?;
        conn.set_nodelay(true)?;
        tokio::spawn(async move {
            let (r, mut w) = conn.into_split();
            let mut r = BufReader::new(r);
            let mut line = String::new();
            loop {
                // Request line and headers, up to the blank line.
                loop {
                    line.clear();
                    match r.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                if w.write_all(RESPONSE).await.is_err() {
                    return;
                }
            }
        });
    }
}
