//! `chat ADDR [N]`: a line-based chat room. Every line a client sends is
//! broadcast to all other clients as `<id>: line`. Tasks and channels:
//! one reader task per client feeding a broadcast channel, one writer task
//! per client draining it. With N, exits after N clients have left.
//!
//! `wasio run --allow-listen 127.0.0.1 chat.wasm 127.0.0.1:7200`

use wasio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wasio::net::TcpListener;
use wasio::sync::broadcast;
use wasio_examples::server::{accept_retrying, Tally};

#[derive(Clone, Debug)]
struct Line {
    from: usize,
    text: String,
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7200".into());
    let limit: Option<usize> = std::env::args().nth(2).map(|n| n.parse().expect("count"));
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    // The sender lives here, so the channel stays open between clients.
    let (tx, _) = broadcast::channel::<Line>(1024);
    let sessions = Tally::new();
    let mut id = 0;
    while limit.is_none_or(|l| sessions.spawned() < l) {
        let (conn, _) = accept_retrying(|| listener.accept()).await;
        id += 1;
        let me = id;
        let (r, mut w) = conn.into_split();
        let mut inbox = tx.subscribe();
        let writer = wasio::spawn(async move {
            w.write_all(format!("welcome, you are {me}\n").as_bytes())
                .await?;
            loop {
                let line = match inbox.recv().await {
                    Ok(line) => line,
                    // A slow client misses lines rather than stalling others.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if line.from != me {
                    w.write_all(format!("{}: {}\n", line.from, line.text).as_bytes())
                        .await?;
                }
            }
            Ok::<(), std::io::Error>(())
        });
        let tx = tx.clone();
        sessions.spawn(async move {
            let mut lines = BufReader::new(r).lines();
            let mut said = 0;
            while let Ok(Some(text)) = lines.next_line().await {
                said += 1;
                // No receiver at all is no error here: nobody else is in.
                let _ = tx.send(Line { from: me, text });
            }
            writer.abort();
            said
        });
    }
    let total = sessions.finish().await;
    println!("{} clients said {total} lines", limit.unwrap_or(0));
    Ok(())
}
