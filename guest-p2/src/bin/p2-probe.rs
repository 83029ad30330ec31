//! A sandbox probe written for stock tokio and std: each argument is one
//! action, tried in order, and prints one line, `ACTION TARGET: ok` or
//! `ACTION TARGET: error KIND`. Actions: `connect=ADDR`, `listen=ADDR`,
//! `udp-bind=ADDR`, `udp-send=ADDR` (from a socket bound by the system),
//! `resolve=NAME` (std's `to_socket_addrs`), `read=PATH`, `write=PATH`,
//! `list=DIR`, `env=NAME`, `alloc=BYTES` (holds a buffer that large),
//! `sleep=MS`, `print=MIB` (writes that much to stdout), `exit=STATUS`,
//! `panic`, `sockets=N` (makes up to N TCP sockets and holds them; prints
//! `made K` first), `serve-bytes=ADDR` (listens on ADDR, writes 8 MiB of
//! `i % 251` to the first connection, and closes it at once),
//! `busy-echo=ADDR` (listens on ADDR and prints `listening on ADDR`
//! while another task yields in a loop and never waits, then echoes one
//! line from the first connection), `busy-udp-echo=ADDR` (the same with
//! one datagram on a UDP socket bound to ADDR).

use std::net::ToSocketAddrs;

use tokio::net::{TcpListener, TcpStream, UdpSocket};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for arg in std::env::args().skip(1) {
        let (action, target) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        let result = run(action, target).await;
        match result {
            Ok(()) => println!("{action} {target}: ok"),
            Err(e) => println!("{action} {target}: error {:?}", e.kind()),
        }
    }
}

async fn run(action: &str, target: &str) -> std::io::Result<()> {
    match action {
        "connect" => TcpStream::connect(target).await.map(drop),
        "listen" => TcpListener::bind(target).await.map(drop),
        "udp-bind" => UdpSocket::bind(target).await.map(drop),
        "udp-send" => {
            let any = if target.starts_with('[') {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            };
            let s = UdpSocket::bind(any).await?;
            s.send_to(b"probe", target).await.map(drop)
        }
        "resolve" => (target, 0).to_socket_addrs().map(drop),
        "serve-bytes" => {
            use tokio::io::AsyncWriteExt;
            let listener = TcpListener::bind(target).await?;
            let (mut conn, _) = listener.accept().await?;
            let bytes: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
            conn.write_all(&bytes).await?;
            // Dropped with no flush or shutdown: what the host holds must
            // still reach the peer.
            drop(conn);
            Ok(())
        }
        "busy-echo" => {
            use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
            let listener = TcpListener::bind(target).await?;
            println!("listening on {}", listener.local_addr()?);
            // Always runnable: the runtime only ever asks the host what is
            // ready now (a zero timeout), never waits.
            let spinner = tokio::spawn(async {
                loop {
                    tokio::task::yield_now().await;
                }
            });
            let (conn, _) = listener.accept().await?;
            let mut conn = BufReader::new(conn);
            let mut line = String::new();
            conn.read_line(&mut line).await?;
            conn.get_mut().write_all(line.as_bytes()).await?;
            spinner.abort();
            Ok(())
        }
        "busy-udp-echo" => {
            let socket = UdpSocket::bind(target).await?;
            println!("listening on {}", socket.local_addr()?);
            let spinner = tokio::spawn(async {
                loop {
                    tokio::task::yield_now().await;
                }
            });
            let mut buf = [0u8; 512];
            let (n, from) = socket.recv_from(&mut buf).await?;
            socket.send_to(&buf[..n], from).await?;
            spinner.abort();
            Ok(())
        }
        "sockets" => {
            let n: usize = target.parse().map_err(std::io::Error::other)?;
            let mut held = Vec::new();
            let mut result = Ok(());
            while held.len() < n {
                match tokio::net::TcpSocket::new_v4() {
                    Ok(s) => held.push(s),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            println!("made {}", held.len());
            result
        }
        // tokio::fs hands each call to a thread, which WASI 0.2 has not.
        "read" => std::fs::read(target).map(drop),
        "write" => std::fs::write(target, b"probe"),
        "list" => std::fs::read_dir(target).map(drop),
        "env" => std::env::var(target)
            .map(|v| println!("{target}={v}"))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e)),
        "alloc" => {
            let n: usize = target.parse().map_err(std::io::Error::other)?;
            let v = vec![1u8; n];
            println!("held {}", v.iter().map(|&b| b as usize).sum::<usize>());
            Ok(())
        }
        "sleep" => {
            let ms = target.parse().map_err(std::io::Error::other)?;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(())
        }
        "print" => {
            use std::io::Write;
            let mib: usize = target.parse().map_err(std::io::Error::other)?;
            let line = [b'x'; 1024];
            let mut out = std::io::stdout().lock();
            for _ in 0..mib * 1024 {
                out.write_all(&line)?;
            }
            out.flush()
        }
        "exit" => std::process::exit(target.parse().map_err(std::io::Error::other)?),
        "panic" => panic!("the probe was asked to panic"),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("unknown action `{action}`"),
        )),
    }
}
