//! An async TCP echo server on the wasio runtime: a task per connection.
//!
//! Under `wasio run --tcplisten ADDR` it serves the preopened listener;
//! natively it binds the first argument. With a second argument it stops
//! after that many connections have finished, and prints a summary.

use std::cell::Cell;
use std::rc::Rc;

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::TcpListener;
use wasio_examples::server::{accept_retrying, Tally};

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7002".into());
    let limit: Option<usize> = std::env::args()
        .nth(2)
        .map(|n| n.parse().expect("connection count"));
    let listener = match TcpListener::from_preopened()? {
        Some(l) => l,
        None => TcpListener::bind(&addr).await?,
    };
    println!("listening");
    let bytes = Rc::new(Cell::new(0u64));
    let open = Rc::new(Cell::new(0usize));
    // Housekeeping: a long timer next to the connections' pending reads.
    let (b, o) = (bytes.clone(), open.clone());
    let stats = wasio::spawn(async move {
        let mut every = wasio::time::interval(std::time::Duration::from_secs(30));
        every.tick().await;
        loop {
            every.tick().await;
            eprintln!("{} connections open, {} bytes echoed", o.get(), b.get());
        }
    });
    let tasks = Tally::<u64>::new();
    while limit.is_none_or(|l| tasks.spawned() < l) {
        let (mut conn, _) = accept_retrying(|| listener.accept()).await;
        let bytes = bytes.clone();
        let open = open.clone();
        open.set(open.get() + 1);
        tasks.spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut echoed = 0;
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                bytes.set(bytes.get() + n as u64);
                echoed += n as u64;
            }
            open.set(open.get() - 1);
            echoed
        });
    }
    let n = tasks.spawned();
    tasks.finish().await;
    stats.abort();
    println!("{n} connections, {} bytes echoed", bytes.get());
    Ok(())
}
