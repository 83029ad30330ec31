//! TCP natively (bind/connect need the socket extension on wasm; the
//! preopened-listener path is tested end to end under `wasio run`).
#![cfg(not(target_os = "wasi"))]

use std::time::Duration;

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::{TcpListener, TcpStream};

#[wasio::test]
async fn echo_with_many_clients() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = wasio::spawn(async move {
        for _ in 0..20 {
            let (mut c, _) = listener.accept().await.unwrap();
            wasio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = c.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    c.write_all(&buf[..n]).await.unwrap();
                }
            });
        }
    });
    let clients: Vec<_> = (0..20u8)
        .map(|i| {
            wasio::spawn(async move {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let msg = vec![i; 50_000];
                let (mut r, mut w) = wasio::io::split(s);
                let writer = wasio::spawn(async move {
                    w.write_all(&msg).await.unwrap();
                    w.close().await.unwrap();
                });
                let mut back = Vec::new();
                r.read_to_end(&mut back).await.unwrap();
                writer.await.unwrap();
                assert_eq!(back, vec![i; 50_000]);
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    server.await.unwrap();
}

#[wasio::test]
async fn connect_refused_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = wasio::time::timeout(
        Duration::from_secs(5),
        TcpStream::connect(("127.0.0.1", port)),
    )
    .await;
    assert_eq!(
        r.unwrap().unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
}

#[wasio::test]
async fn peek_does_not_consume() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = wasio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"peekaboo").await.unwrap();
        s
    });
    let (server_side, _) = listener.accept().await.unwrap();
    let _client = client.await.unwrap();
    let mut buf = [0u8; 4];
    server_side.readable().await.unwrap();
    assert_eq!(server_side.peek(&mut buf).await.unwrap(), 4);
    let mut all = [0u8; 8];
    let mut s = server_side;
    s.read_exact(&mut all).await.unwrap();
    assert_eq!(&all, b"peekaboo");
}
