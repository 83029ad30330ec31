//! `proxy LISTEN UPSTREAM [N]`: accepts connections and relays each to
//! UPSTREAM, both ways.
//!
//! `wasio run --allow-listen 127.0.0.1 --allow-connect 127.0.0.1:7000
//! proxy.wasm 127.0.0.1:7100 127.0.0.1:7000`

use wasio::io::AsyncWriteExt;
use wasio::net::{TcpListener, TcpStream};
use wasio_examples::server::{accept_retrying, Tally};

/// Bytes relayed each way.
#[derive(Clone, Copy, Default)]
struct Relayed {
    up: u64,
    down: u64,
}

impl std::ops::AddAssign for Relayed {
    fn add_assign(&mut self, o: Self) {
        self.up += o.up;
        self.down += o.down;
    }
}

async fn relay(client: TcpStream, upstream: String) -> std::io::Result<(u64, u64)> {
    let server = TcpStream::connect(upstream.as_str()).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = wasio::spawn(async move {
        let n = wasio::io::copy(&mut cr, &mut sw).await?;
        sw.shutdown().await?;
        Ok::<u64, std::io::Error>(n)
    });
    let down = wasio::io::copy(&mut sr, &mut cw).await?;
    cw.shutdown().await?;
    Ok((up.await??, down))
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: proxy LISTEN UPSTREAM [N]");
        std::process::exit(2);
    };
    let limit: Option<usize> = args.next().map(|n| n.parse().expect("count"));
    let listener = TcpListener::bind(listen.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    let tasks = Tally::<Relayed>::new();
    while limit.is_none_or(|l| tasks.spawned() < l) {
        let (client, _) = accept_retrying(|| listener.accept()).await;
        let upstream = upstream.clone();
        tasks.spawn(async move {
            match relay(client, upstream).await {
                Ok((up, down)) => Relayed { up, down },
                Err(e) => {
                    eprintln!("proxy: {e}");
                    Relayed::default()
                }
            }
        });
    }
    let Relayed { up, down } = tasks.finish().await;
    println!("relayed {up} bytes up, {down} bytes down");
    Ok(())
}
