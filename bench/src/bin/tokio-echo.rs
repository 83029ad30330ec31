//! The reference echo server on stock tokio (current-thread runtime).
//!
//! Natively it binds the address given as first argument. Built for
//! wasm32-wasip1 (tokio needs `--cfg tokio_unstable` there, set in
//! `.cargo/config.toml`) it serves the socket preopened by
//! `wasio run --tcplisten`: the "stock tokio under a preview1 host" case.
//! The optional second argument stops it after that many connections.

use tokio::io::AsyncWriteExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let limit: Option<usize> = std::env::args()
        .nth(2)
        .map(|n| n.parse().expect("connection count"));
    let std_listener = wasio_examples::preopened_listener(&addr)?;
    std_listener.set_nonblocking(true)?;
    let local = std_listener.local_addr();
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    match local {
        Ok(a) => println!("listening on {a}"),
        Err(_) => println!("listening on the preopened socket"),
    }
    let mut tasks = Vec::new();
    let mut accepted = 0;
    while limit.is_none_or(|l| accepted < l) {
        let (mut conn, _) = listener.accept().await?;
        let _ = conn.set_nodelay(true);
        accepted += 1;
        tasks.push(tokio::spawn(async move {
            let (mut r, mut w) = conn.split();
            let n = tokio::io::copy(&mut r, &mut w).await?;
            w.shutdown().await?;
            Ok::<u64, std::io::Error>(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task panicked")?;
    }
    println!("{accepted} connections, {total} bytes echoed");
    Ok(())
}
