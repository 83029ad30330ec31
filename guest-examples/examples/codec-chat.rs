//! `codec-chat ADDR`: a chat room on tokio-util's `Framed<TcpStream,
//! LinesCodec>` straight on a wasio `TcpStream`, split into a sink and a
//! stream, with one tokio `broadcast` channel for the room (where tokio's
//! `chat` example keeps a map of per-peer channels).
//!
//! The first line a client sends is its name; then every line goes to
//! everyone else as `name: line`; joins and leaves are announced.
//!
//! `wasio run --allow-listen 127.0.0.1 codec-chat.wasm 127.0.0.1:7300`

use std::error::Error;

use futures::{SinkExt, StreamExt};
use tokio_util::codec::{Framed, LinesCodec};
use wasio::net::{TcpListener, TcpStream};
use wasio::sync::broadcast;

/// A line said in the room, and by which connection.
#[derive(Clone, Debug)]
struct Said {
    from: u64,
    line: String,
}

async fn client(
    stream: TcpStream,
    me: u64,
    room: broadcast::Sender<Said>,
) -> Result<(), Box<dyn Error>> {
    let (mut sink, mut lines) = Framed::new(stream, LinesCodec::new_with_max_length(4096)).split();
    sink.send("Please enter your username:".to_string()).await?;
    let Some(Ok(name)) = lines.next().await else {
        return Ok(());
    };
    let mut inbox = room.subscribe();
    let joined = format!("{name} has joined the chat");
    println!("{joined}");
    let _ = room.send(Said {
        from: me,
        line: joined,
    });
    loop {
        wasio::select! {
            heard = inbox.recv() => match heard {
                Ok(s) if s.from != me => sink.send(s.line).await?,
                Ok(_) => {}
                // A slow reader misses lines rather than stalling the room.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            line = lines.next() => match line {
                Some(Ok(line)) => {
                    let _ = room.send(Said { from: me, line: format!("{name}: {line}") });
                }
                // Too long a line, or the client went away.
                Some(Err(_)) | None => break,
            },
        }
    }
    let _ = room.send(Said {
        from: me,
        line: format!("{name} has left the chat"),
    });
    Ok(())
}

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7300".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("server running on {}", listener.local_addr()?);
    let (room, _) = broadcast::channel(1024);
    let mut next = 0;
    loop {
        let (stream, _) = listener.accept().await?;
        next += 1;
        let room = room.clone();
        wasio::spawn(async move {
            if let Err(e) = client(stream, next, room).await {
                eprintln!("codec-chat: client {next}: {e}");
            }
        });
    }
}
