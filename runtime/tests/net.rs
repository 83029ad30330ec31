//! TCP, UDP and Unix sockets and name resolution. Under wasm the cargo
//! runner grants 127.0.0.1 and preopens a scratch dir as /tmp.

mod common;

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
                    w.shutdown().await.unwrap();
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
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
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

#[wasio::test]
async fn split_halves_work_from_two_tasks() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = wasio::spawn(async move {
        let (c, peer) = listener.accept().await.unwrap();
        assert!(peer.ip().is_loopback());
        let (mut r, mut w) = c.into_split();
        let mut buf = vec![0u8; 10_000];
        r.read_exact(&mut buf).await.unwrap();
        w.write_all(&buf).await.unwrap();
    });
    let mut s = TcpStream::connect(("127.0.0.1", addr.port()))
        .await
        .unwrap();
    assert_eq!(s.peer_addr().unwrap(), addr);
    assert!(s.local_addr().unwrap().ip().is_loopback());
    s.set_nodelay(true).unwrap();
    assert!(s.nodelay().unwrap());
    let (mut r, mut w) = s.split();
    let writer = async { w.write_all(&[5u8; 10_000]).await.unwrap() };
    let mut back = vec![0u8; 10_000];
    let reader = async { r.read_exact(&mut back).await.unwrap() };
    wasio::join!(writer, reader);
    assert!(back.iter().all(|&b| b == 5));
    server.await.unwrap();
}

#[wasio::test]
async fn udp_send_to_and_recv_from() {
    use wasio::net::UdpSocket;
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    assert_eq!(a.send_to(b"hello", ba).await.unwrap(), 5);
    let mut buf = [0u8; 64];
    let (n, from) = b.peek_from(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"hello"[..], aa));
    let (n, from) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"hello"[..], aa));
    b.connect(aa).await.unwrap();
    assert_eq!(b.peer_addr().unwrap(), aa);
    b.send(b"back").await.unwrap();
    let n = a.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"back");
    // A datagram longer than the buffer is cut to it.
    a.send_to(&[1u8; 100], ba).await.unwrap();
    let mut small = [0u8; 10];
    assert_eq!(b.recv(&mut small).await.unwrap(), 10);
    b.set_ttl(7).unwrap();
    assert_eq!(b.ttl().unwrap(), 7);
    b.set_broadcast(true).unwrap();
    assert!(b.broadcast().unwrap());
}

/// tokio's UDP shapes: the `poll_*` calls, `peek_sender`, the `recv_buf`
/// family, and the multicast getters.
#[wasio::test]
async fn udp_has_tokios_poll_and_buf_shapes() {
    use std::future::poll_fn;
    use wasio::io::ReadBuf;
    use wasio::net::UdpSocket;
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());

    poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
    let n = poll_fn(|cx| a.poll_send_to(cx, b"one", ba)).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(b.peek_sender().await.unwrap(), aa);
    poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
    assert_eq!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), aa);
    let mut storage = [0u8; 16];
    let mut buf = ReadBuf::new(&mut storage);
    let from = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
    assert_eq!((buf.filled(), from), (&b"one"[..], aa));
    let mut buf = ReadBuf::new(&mut storage);
    let from = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
    assert_eq!((buf.filled(), from), (&b"one"[..], aa));
    assert_eq!(
        b.try_peek_sender().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );

    a.send_to(b"two", ba).await.unwrap();
    let mut v = Vec::with_capacity(16);
    let (n, from) = b.recv_buf_from(&mut v).await.unwrap();
    assert_eq!((n, &v[..], from), (3, &b"two"[..], aa));

    a.connect(ba).await.unwrap();
    b.connect(aa).await.unwrap();
    poll_fn(|cx| a.poll_send(cx, b"three")).await.unwrap();
    let mut buf = ReadBuf::new(&mut storage);
    poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    assert_eq!(buf.filled(), b"three");
    a.send(b"four").await.unwrap();
    let mut v = Vec::with_capacity(16);
    assert_eq!(b.recv_buf(&mut v).await.unwrap(), 4);
    assert_eq!(v, b"four");
    let mut v = Vec::with_capacity(16);
    assert_eq!(
        b.try_recv_buf(&mut v).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );

    a.set_multicast_ttl_v4(9).unwrap();
    assert_eq!(a.multicast_ttl_v4().unwrap(), 9);
    a.set_multicast_loop_v4(false).unwrap();
    assert!(!a.multicast_loop_v4().unwrap());
}

/// `try_io`/`async_io` run a caller's own operation under the reactor's
/// readiness: not ready, `WouldBlock` without calling it; a `WouldBlock`
/// from it clears the readiness, and `async_io` waits for the next.
#[wasio::test]
async fn try_io_and_async_io_follow_readiness() {
    use wasio::io::Interest;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (c, s) = wasio::join!(TcpStream::connect(addr), l.accept());
    let (mut c, s) = (c.unwrap(), s.unwrap().0);
    let calls = std::cell::Cell::new(0);
    let mut buf = [0u8; 8];
    // Accepted: assumed readable, so the operation runs, and blocks.
    let r = s.try_io(Interest::READABLE, || {
        calls.set(calls.get() + 1);
        s.try_read(&mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    // Not ready now: refused without a call.
    let r = s.try_io(Interest::READABLE, || {
        calls.set(calls.get() + 1);
        Ok(())
    });
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    assert_eq!(calls.get(), 1);
    c.write_all(b"data").await.unwrap();
    let n = wasio::time::timeout(
        Duration::from_secs(5),
        s.async_io(Interest::READABLE, || s.try_read(&mut buf)),
    )
    .await
    .expect("async_io missed the data")
    .unwrap();
    assert_eq!(&buf[..n], b"data");
}

/// Once its runtime is dropped, a socket made under it fails to wait with
/// the runtime-shutdown error instead of hanging, and no new socket can
/// be made under the dropped runtime.
#[test]
fn sockets_report_their_runtimes_shutdown() {
    use wasio::runtime::{is_rt_shutdown_err, Builder, Handle};
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let guard = rt.enter();
    drop(guard);
    drop(rt);
    let rt2 = Builder::new_current_thread().enable_all().build().unwrap();
    let err = rt2
        .block_on(async {
            wasio::time::timeout(Duration::from_secs(5), listener.accept())
                .await
                .expect("accept hung instead of reporting shutdown")
        })
        .unwrap_err();
    assert!(is_rt_shutdown_err(&err), "{err}");

    let rt3 = Builder::new_current_thread().enable_all().build().unwrap();
    let _entered = rt3.enter();
    rt3.shutdown_background();
    let err = Handle::current()
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .unwrap_err();
    assert!(is_rt_shutdown_err(&err), "{err}");
    assert!(!is_rt_shutdown_err(&std::io::Error::other("other")));
}

#[wasio::test]
async fn unix_stream_and_datagram() {
    use wasio::net::{UnixDatagram, UnixListener, UnixStream};
    let dir = common::scratch("unix");
    let path = dir.join("s.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let p2 = path.clone();
    let client = wasio::spawn(async move {
        let mut c = UnixStream::connect(&p2).await.unwrap();
        c.write_all(b"over unix").await.unwrap();
        c.shutdown().await.unwrap();
        let mut back = String::new();
        c.read_to_string(&mut back).await.unwrap();
        back
    });
    let (mut conn, addr) = listener.accept().await.unwrap();
    assert!(addr.is_unnamed());
    let mut got = Vec::new();
    conn.read_to_end(&mut got).await.unwrap();
    conn.write_all(&got).await.unwrap();
    drop(conn);
    assert_eq!(client.await.unwrap(), "over unix");

    let dpath = dir.join("d.sock");
    let server = UnixDatagram::bind(&dpath).unwrap();
    let c = UnixDatagram::unbound().unwrap();
    c.connect(&dpath).unwrap();
    c.send(b"dgram").await.unwrap();
    let mut buf = [0u8; 16];
    let n = server.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"dgram");
    let _ = std::fs::remove_dir_all(&dir);
}

/// tokio's Unix shapes: synchronous `bind`, `UnixSocket`, datagrams to
/// and from paths, pairs, and addresses that name their paths (natively;
/// under `wasio run` paths are not carried back and pairs and `send_to`
/// say `Unsupported`).
#[wasio::test]
async fn unix_sockets_have_tokios_shapes() {
    use wasio::net::{UnixDatagram, UnixSocket, UnixStream};
    let dir = common::scratch("unix-shapes");
    let native = cfg!(not(target_os = "wasi"));

    // A listener made through UnixSocket, and its address.
    let lpath = dir.join("l.sock");
    let s = UnixSocket::new_stream().unwrap();
    s.bind(&lpath).unwrap();
    let listener = s.listen(16).unwrap();
    let named = listener.local_addr().unwrap();
    assert_eq!(named.as_pathname(), native.then_some(lpath.as_path()));
    let c = UnixSocket::new_stream().unwrap().connect(&lpath);
    let (client, accepted) = wasio::join!(c, listener.accept());
    let (mut client, (mut server, _)) = (client.unwrap(), accepted.unwrap());
    client.write_all(b"via UnixSocket").await.unwrap();
    drop(client);
    let mut got = String::new();
    server.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "via UnixSocket");
    let wrong = UnixSocket::new_datagram().unwrap().listen(1).unwrap_err();
    assert_eq!(wrong.kind(), std::io::ErrorKind::InvalidInput);

    // Datagrams between two bound sockets, each told where the other is.
    let (apath, bpath) = (dir.join("a.sock"), dir.join("b.sock"));
    let a = UnixDatagram::bind(&apath).unwrap();
    let b = UnixDatagram::bind(&bpath).unwrap();
    let sent = a.send_to(b"to b", &bpath).await;
    if native {
        assert_eq!(sent.unwrap(), 4);
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"to b");
        assert_eq!(from.as_pathname(), Some(apath.as_path()));
        let mut v = Vec::with_capacity(16);
        a.try_send_to(b"again", &bpath).unwrap();
        b.readable().await.unwrap();
        let (n, from) = b.try_recv_buf_from(&mut v).unwrap();
        assert_eq!(
            (&v[..n], from.as_pathname()),
            (&b"again"[..], Some(apath.as_path()))
        );
    } else {
        assert_eq!(sent.unwrap_err().kind(), std::io::ErrorKind::Unsupported);
        // A connected socket still reaches it; the sender is unnamed.
        a.connect(&bpath).unwrap();
        a.send(b"to b").await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"to b");
        assert!(from.is_unnamed());
    }

    // Pairs.
    match UnixStream::pair() {
        Ok((mut x, mut y)) => {
            assert!(native);
            x.write_all(b"pair").await.unwrap();
            let mut buf = [0u8; 4];
            y.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pair");
            assert!(x.peer_addr().unwrap().is_unnamed());
        }
        Err(e) => {
            assert!(!native, "{e}");
            assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
        }
    }
    match UnixDatagram::pair() {
        Ok((x, y)) => {
            x.send(b"dgram pair").await.unwrap();
            let mut buf = [0u8; 16];
            let n = y.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"dgram pair");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[wasio::test]
async fn lookup_of_literals_and_localhost() {
    let v: Vec<_> = wasio::net::lookup_host("127.0.0.1:8080")
        .await
        .unwrap()
        .collect();
    assert_eq!(
        v,
        ["127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap()]
    );
    let v: Vec<_> = wasio::net::lookup_host(("localhost", 9))
        .await
        .unwrap()
        .collect();
    assert!(
        v.iter().any(|a| a.ip().is_loopback() && a.port() == 9),
        "{v:?}"
    );
    assert!(wasio::net::lookup_host("no-port").await.is_err());
}
