//! The example servers under ordinary abuse: the fd limit reached, slow
//! and idle clients, and long churn under a small memory limit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wasio_tests::*;

const LOCAL: &[&str] = &["--allow-listen", "127.0.0.1"];

/// One echo round trip on `s`.
fn echo_once(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(msg)?;
    let mut back = vec![0; msg.len()];
    s.read_exact(&mut back)?;
    assert_eq!(back, msg);
    Ok(())
}

/// Sends the server's stderr lines to a channel.
fn stderr_lines(srv: &mut Server) -> mpsc::Receiver<String> {
    let err = srv.child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// echo-tcp under `--max-fds 24` with 30 idle clients: accept hits
/// EMFILE, which is logged and retried, and once the idle clients leave
/// the server serves again (it used to exit on the first EMFILE).
#[test]
fn echo_tcp_outlives_the_fd_limit() {
    let mut c = wasio_run();
    c.args(["--max-fds", "24"])
        .args(LOCAL)
        .arg(wasm("echo-tcp"))
        .arg("127.0.0.1:0")
        .stderr(Stdio::piped());
    let mut srv = Server::spawn("echo-tcp", c);
    let errors = stderr_lines(&mut srv);
    let addr = srv.sock();
    let mut idle: Vec<TcpStream> = (0..30).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // The first clients were accepted and are served.
    echo_once(&mut idle[0], b"first").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut logged = None;
    while logged.is_none() && Instant::now() < deadline {
        if let Ok(line) = errors.recv_timeout(Duration::from_millis(100)) {
            if line.starts_with("accept:") {
                logged = Some(line);
            }
        }
    }
    let logged = logged.expect("the server never reported the failed accept");
    assert!(logged.contains("retrying"), "{logged}");
    drop(idle);
    // Served again once descriptors are free: a new client, then several.
    for i in 0..10 {
        let mut s = TcpStream::connect(addr).unwrap();
        echo_once(&mut s, format!("again {i}").as_bytes()).unwrap();
    }
    assert!(srv.child.try_wait().unwrap().is_none(), "the server exited");
}

/// A slow client: the request line and a header arrive, then one byte
/// every 50 ms, never finishing the head. `true` if the server closed the
/// connection (or answered) within `within`.
fn trickle_is_cut_off(addr: SocketAddr, within: Duration) -> bool {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    if s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .is_err()
    {
        return true;
    }
    let end = Instant::now() + within;
    let mut buf = [0u8; 256];
    while Instant::now() < end {
        if s.write_all(b"a").is_err() {
            return true;
        }
        match s.read(&mut buf) {
            Ok(_) => return true, // 408, or end of stream
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true, // reset
        }
    }
    false
}

/// http-hello with a 400 ms request timeout and a 300 ms idle timeout:
/// trickling (slowloris) and silent clients are cut off, and a good client
/// is served all along. Both builds.
#[test]
fn http_hello_cuts_off_slow_and_idle_clients() {
    for wasm_build in [true, false] {
        let envs = [
            ("HTTP_HEADER_TIMEOUT_MS", "400"),
            ("HTTP_IDLE_TIMEOUT_MS", "300"),
        ];
        let srv = if wasm_build {
            let mut c = wasio_run();
            for (k, v) in envs {
                c.arg("--env").arg(format!("{k}={v}"));
            }
            c.args(LOCAL).arg(wasm("http-hello")).arg("127.0.0.1:0");
            Server::spawn("http-hello", c)
        } else {
            let mut c = std::process::Command::new(native("http-hello"));
            c.envs(envs).arg("127.0.0.1:0");
            Server::spawn("http-hello", c)
        };
        let addr = srv.sock();
        let slow: Vec<_> = (0..20)
            .map(|_| std::thread::spawn(move || trickle_is_cut_off(addr, Duration::from_secs(10))))
            .collect();
        // Silent clients: closed after the idle timeout.
        let silent: Vec<_> = (0..20)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let mut buf = Vec::new();
                    s.read_to_end(&mut buf).map(|_| buf.len())
                })
            })
            .collect();
        // Meanwhile a good client gets its answers on one connection.
        let mut good = TcpStream::connect(addr).unwrap();
        good.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut r = BufReader::new(good.try_clone().unwrap());
        for _ in 0..5 {
            good.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut status = String::new();
            r.read_line(&mut status).unwrap();
            assert_eq!(status, "HTTP/1.1 200 OK\r\n", "wasm={wasm_build}");
            let mut line = String::new();
            while line != "\r\n" {
                line.clear();
                r.read_line(&mut line).unwrap();
            }
            let mut body = [0u8; 13];
            r.read_exact(&mut body).unwrap();
            assert_eq!(&body, b"Hello, world!");
        }
        for t in slow {
            assert!(
                t.join().unwrap(),
                "wasm={wasm_build}: a slowloris client was held"
            );
        }
        for t in silent {
            assert_eq!(
                t.join().unwrap().unwrap(),
                0,
                "wasm={wasm_build}: idle client"
            );
        }
    }
}

/// 100,000 connections one after another (four clients at a time) under
/// `--max-memory 8M` (half the 16 MiB the issue asked for): a server that
/// kept ~150 bytes per finished connection needs 15 MB for them and runs
/// out before the end (under 16M it died after 99,394 in release). That
/// is `make soak`'s form; `make test`'s is 20,000 under 2M, which the same
/// server would outgrow by half.
#[test]
fn echo_tcp_churns_connections_in_bounded_memory() {
    let (conns, memory) = stress((20_000, "2M"), (100_000, "8M"));
    const CLIENTS: usize = 4;
    let mut c = wasio_run();
    c.args(["--max-memory", memory])
        .args(LOCAL)
        .arg(wasm("echo-tcp"))
        .args(["127.0.0.1:0", &conns.to_string()]);
    let srv = Server::spawn("echo-tcp", c);
    let addr = srv.sock();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..conns / CLIENTS {
                    let mut s = TcpStream::connect(addr).unwrap();
                    echo_once(&mut s, b"churn!!\n").unwrap();
                }
            })
        })
        .collect();
    for t in clients {
        t.join().unwrap();
    }
    let rest = srv.finish();
    assert_eq!(
        rest,
        format!("{conns} connections, {} bytes echoed\n", conns * 8)
    );
}

/// Reads one response's status line from `s`, then what follows until the
/// server closes (at most a few KiB): `(status line, closed)`.
fn status_then_close(s: &mut TcpStream) -> (String, bool) {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    let _ = r.read_line(&mut status);
    let mut rest = Vec::new();
    // A reset is a close too: the server closed with our bytes unread.
    let closed = match r.take(1 << 20).read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    (status, closed)
}

/// http-hello caps what a client can make it hold: a request line that
/// never ends gets `400` once it passes 8 KiB, header fields past 16 KiB
/// get `431`, each connection is closed, and the server goes on serving
/// (it used to grow the line until `capacity overflow` killed it). Under
/// `--max-memory 8M` on wasm, and natively.
#[test]
fn http_hello_caps_request_lines_and_headers() {
    for wasm_build in [true, false] {
        let srv = if wasm_build {
            let mut c = wasio_run();
            c.args(["--max-memory", "8M"])
                .args(LOCAL)
                .arg(wasm("http-hello"))
                .arg("127.0.0.1:0");
            Server::spawn("http-hello", c)
        } else {
            let mut c = std::process::Command::new(native("http-hello"));
            c.arg("127.0.0.1:0");
            Server::spawn("http-hello", c)
        };
        let addr = srv.sock();
        // An endless request line: 64 MiB with no newline, written while
        // the server lets it (it stops reading after the cap).
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        let chunk = vec![b'a'; 1 << 20];
        let mut w = s.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(b"GET /");
            for _ in 0..64 {
                if w.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let (status, closed) = status_then_close(&mut s);
        assert_eq!(status, "HTTP/1.1 400 Bad Request\r\n", "wasm={wasm_build}");
        assert!(closed, "wasm={wasm_build}");
        writer.join().unwrap();
        // Header fields without end.
        let mut s = TcpStream::connect(addr).unwrap();
        let mut head = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..2000 {
            head.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(20)).as_bytes());
        }
        let _ = s.write_all(&head);
        let (status, closed) = status_then_close(&mut s);
        assert_eq!(
            status, "HTTP/1.1 431 Request Header Fields Too Large\r\n",
            "wasm={wasm_build}"
        );
        assert!(closed, "wasm={wasm_build}");
        // And the server is still there for everyone else.
        let mut good = TcpStream::connect(addr).unwrap();
        good.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (status, _) = status_then_close(&mut good);
        assert_eq!(status, "HTTP/1.1 200 OK\r\n", "wasm={wasm_build}");
    }
}
