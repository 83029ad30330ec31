//! A line-based chat server written for stock tokio: each client first
//! sends its name, then every line it sends goes to all other clients as
//! `NAME: LINE`, and arrivals and departures are announced. `chat [ADDR]`;
//! prints `listening on ADDR` once bound.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::SinkExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};
use tokio_util::codec::{Framed, LinesCodec};

/// Every connected client's outbox.
type Peers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<String>>>>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6142".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let peers = Peers::default();
    loop {
        let (stream, addr) = listener.accept().await?;
        let peers = peers.clone();
        tokio::spawn(async move {
            if let Err(e) = client(peers, stream, addr).await {
                eprintln!("chat: {addr}: {e}");
            }
        });
    }
}

/// Sends `line` to every peer but `from`.
async fn broadcast(peers: &Peers, from: SocketAddr, line: &str) {
    for (addr, tx) in peers.lock().await.iter() {
        if *addr != from {
            let _ = tx.send(line.to_string());
        }
    }
}

async fn client(
    peers: Peers,
    stream: TcpStream,
    addr: SocketAddr,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut lines = Framed::new(stream, LinesCodec::new_with_max_length(4096));
    lines.send("Please enter your username:").await?;
    let Some(Ok(name)) = futures::StreamExt::next(&mut lines).await else {
        return Ok(());
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    peers.lock().await.insert(addr, tx);
    broadcast(&peers, addr, &format!("{name} has joined the chat")).await;
    loop {
        tokio::select! {
            Some(msg) = rx.recv() => lines.send(msg).await?,
            line = futures::StreamExt::next(&mut lines) => match line {
                Some(Ok(line)) => broadcast(&peers, addr, &format!("{name}: {line}")).await,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
        }
    }
    peers.lock().await.remove(&addr);
    broadcast(&peers, addr, &format!("{name} has left the chat")).await;
    Ok(())
}
