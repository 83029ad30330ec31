//! The socket examples under `wasio run` (with the grants they need) and
//! natively, driven from the test process; and the network policy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);
const LOCAL: &[&str] = &[
    "--allow-listen",
    "127.0.0.1",
    "--allow-connect",
    "127.0.0.1",
    "--allow-udp-bind",
    "127.0.0.1",
    "--allow-udp-send",
    "127.0.0.1",
];

fn timed(s: TcpStream) -> TcpStream {
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s
}

#[test]
fn echo_tcp_binds_its_own_socket() {
    for wasm_build in [true, false] {
        let srv = Server::start("echo-tcp", wasm_build, LOCAL, &["127.0.0.1:0", "30"]);
        let addr = srv.sock();
        assert_ne!(addr.port(), 0);
        let clients: Vec<_> = (0..30u8)
            .map(|i| {
                std::thread::spawn(move || {
                    let mut s = timed(TcpStream::connect(addr).unwrap());
                    let msg = vec![i; 20_000];
                    let mut w = s.try_clone().unwrap();
                    let m = msg.clone();
                    let t = std::thread::spawn(move || {
                        w.write_all(&m).unwrap();
                        w.shutdown(Shutdown::Write).unwrap();
                    });
                    let mut back = Vec::new();
                    s.read_to_end(&mut back).unwrap();
                    t.join().unwrap();
                    assert!(back == msg, "client {i}");
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        assert_eq!(srv.finish(), "30 connections, 600000 bytes echoed\n");
    }
}

#[test]
fn echo_udp() {
    for wasm_build in [true, false] {
        let srv = Server::start("echo-udp", wasm_build, LOCAL, &["127.0.0.1:0", "20"]);
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for i in 0..20u8 {
            let msg = vec![i; 100 + i as usize];
            client.send_to(&msg, srv.sock()).unwrap();
            let mut buf = [0u8; 2048];
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!(from, srv.sock());
            assert_eq!(&buf[..n], &msg[..]);
        }
        let bytes: usize = (0..20).map(|i| 100 + i).sum();
        assert_eq!(
            srv.finish(),
            format!("20 datagrams, {bytes} bytes echoed\n")
        );
    }
}

#[test]
fn echo_unix_under_a_preopened_dir() {
    for wasm_build in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let host_path = dir.path().join("echo.sock");
        let (grants, arg) = if wasm_build {
            (
                vec![
                    "--dir".to_string(),
                    format!("{}::/sock", dir.path().display()),
                ],
                "/sock/echo.sock".to_string(),
            )
        } else {
            (vec![], host_path.display().to_string())
        };
        let grants: Vec<&str> = grants.iter().map(String::as_str).collect();
        let srv = Server::start("echo-unix", wasm_build, &grants, &[&arg, "2"]);
        assert!(host_path.exists(), "the socket file is in the host dir");
        for round in 0..2 {
            let mut s = std::os::unix::net::UnixStream::connect(&host_path).unwrap();
            s.set_read_timeout(Some(LIMIT)).unwrap();
            let msg = format!("round {round} over a unix socket");
            s.write_all(msg.as_bytes()).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            let mut back = String::new();
            s.read_to_string(&mut back).unwrap();
            assert_eq!(back, msg);
        }
        let expected: usize = (0..2)
            .map(|r| format!("round {r} over a unix socket").len())
            .sum();
        assert_eq!(
            srv.finish(),
            format!("2 connections, {expected} bytes echoed\n")
        );
        assert!(!host_path.exists(), "the guest removed its socket file");
    }
}

fn http_get(s: &mut BufReader<TcpStream>, close: bool) -> String {
    let req = format!(
        "GET / HTTP/1.1\r\nHost: test\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    );
    s.get_mut().write_all(req.as_bytes()).unwrap();
    let mut head = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        s.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.trim().parse().unwrap();
        }
        head.push_str(&line);
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    format!("{head}\n{}", String::from_utf8(body).unwrap())
}

#[test]
fn http_hello_keep_alive() {
    for wasm_build in [true, false] {
        let srv = Server::start("http-hello", wasm_build, LOCAL, &["127.0.0.1:0", "3"]);
        for conn in 0..3 {
            let mut s = BufReader::new(timed(TcpStream::connect(srv.sock()).unwrap()));
            for req in 0..5 {
                let r = http_get(&mut s, req == 4);
                assert!(
                    r.starts_with("HTTP/1.1 200 OK\r\n"),
                    "conn {conn} req {req}: {r}"
                );
                assert!(r.ends_with("\nHello, world!"), "{r}");
            }
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty(), "closed after Connection: close");
        }
        assert_eq!(srv.finish(), "3 connections, 15 requests\n");
    }
}

/// A std echo server in the test process, for client examples.
fn std_echo(conns: usize) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        for _ in 0..conns {
            let (mut s, _) = l.accept().unwrap();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (addr, t)
}

#[test]
fn nc_pipes_stdin_to_a_server_and_back() {
    let input = "line one\nline two\nünïcødé\n".repeat(100);
    for wasm_build in [true, false] {
        let (addr, server) = std_echo(1);
        let mut cmd = if wasm_build {
            let mut c = wasio_run();
            c.arg("--allow-connect")
                .arg(addr.to_string())
                .arg(wasm("nc"));
            c
        } else {
            Command::new(native("nc"))
        };
        let out = run_with_input(cmd.arg(addr.to_string()), input.as_bytes(), LIMIT);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), input);
        assert!(stderr(&out).contains(&format!(
            "sent {} bytes, received {} bytes",
            input.len(),
            input.len()
        )));
        server.join().unwrap();
    }
}

#[test]
fn proxy_relays_both_ways() {
    for wasm_build in [true, false] {
        let (upstream, server) = std_echo(4);
        let grants = [
            "--allow-listen",
            "127.0.0.1",
            "--allow-connect",
            &upstream.to_string(),
        ]
        .map(String::from);
        let grants: Vec<&str> = grants.iter().map(String::as_str).collect();
        let srv = Server::start(
            "proxy",
            wasm_build,
            &grants,
            &["127.0.0.1:0", &upstream.to_string(), "4"],
        );
        let clients: Vec<_> = (0..4u8)
            .map(|i| {
                let a = srv.sock();
                std::thread::spawn(move || {
                    let mut s = timed(TcpStream::connect(a).unwrap());
                    let msg = vec![b'a' + i; 50_000];
                    let mut w = s.try_clone().unwrap();
                    let m = msg.clone();
                    let t = std::thread::spawn(move || {
                        w.write_all(&m).unwrap();
                        w.shutdown(Shutdown::Write).unwrap();
                    });
                    let mut back = Vec::new();
                    s.read_to_end(&mut back).unwrap();
                    t.join().unwrap();
                    assert!(back == msg);
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        assert_eq!(srv.finish(), "relayed 200000 bytes up, 200000 bytes down\n");
        server.join().unwrap();
    }
}

#[test]
fn chat_broadcasts_between_clients() {
    for wasm_build in [true, false] {
        let srv = Server::start("chat", wasm_build, LOCAL, &["127.0.0.1:0", "3"]);
        let mut clients: Vec<BufReader<TcpStream>> = (0..3)
            .map(|_| BufReader::new(timed(TcpStream::connect(srv.sock()).unwrap())))
            .collect();
        let mut ids = Vec::new();
        for c in &mut clients {
            let mut welcome = String::new();
            c.read_line(&mut welcome).unwrap();
            ids.push(welcome.trim().rsplit(' ').next().unwrap().to_string());
        }
        clients[0]
            .get_mut()
            .write_all(b"hello from the first\n")
            .unwrap();
        for c in &mut clients[1..] {
            let mut l = String::new();
            c.read_line(&mut l).unwrap();
            assert_eq!(l, format!("{}: hello from the first\n", ids[0]));
        }
        clients[2].get_mut().write_all(b"and the third\n").unwrap();
        for c in &mut clients[..2] {
            let mut l = String::new();
            c.read_line(&mut l).unwrap();
            assert_eq!(l, format!("{}: and the third\n", ids[2]));
        }
        drop(clients);
        assert_eq!(srv.finish(), "3 clients said 2 lines\n");
    }
}

fn probe(grants: &[&str], dir: &std::path::Path) -> (String, String) {
    let out = run(
        wasio_run()
            .arg("--dir")
            .arg(format!("{}::/sock", dir.display()))
            .args(grants)
            .arg(wasm("net-probe"))
            .args(["127.0.0.1:0", "127.0.0.1:9", "127.0.0.1:9", "/sock/p.sock"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    (stdout(&out), stderr(&out))
}

#[test]
fn network_is_denied_by_default_and_the_guest_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = probe(&[], dir.path());
    assert_eq!(
        out,
        "listen: EACCES\nconnect: EACCES\nudp bind: EACCES\ndns: EACCES\nunix: ok\nstill running\n"
    );
    // The host says which flag would have allowed each.
    assert!(
        err.contains("allow it with `--allow-listen 127.0.0.1`"),
        "{err}"
    );
    assert!(
        err.contains("allow it with `--allow-connect 127.0.0.1:9`"),
        "{err}"
    );
    assert!(
        err.contains("allow it with `--allow-udp-bind 127.0.0.1`"),
        "{err}"
    );
    assert!(err.contains("--allow-dns"), "{err}");
}

#[test]
fn grants_are_precise() {
    let dir = tempfile::tempdir().unwrap();
    // Listening allowed on another address only; connect on another port only.
    let (out, _) = probe(
        &[
            "--allow-listen",
            "127.0.0.2",
            "--allow-connect",
            "127.0.0.1:10-20",
            "--allow-udp-bind",
            "127.0.0.1",
            "--allow-udp-send",
            "127.0.0.1:10",
        ],
        dir.path(),
    );
    assert_eq!(
        out,
        "listen: EACCES\nconnect: EACCES\nudp send: EACCES\ndns: EACCES\nunix: ok\nstill running\n"
    );
    let (out, _) = probe(
        &[
            "--allow-listen",
            "127.0.0.0/8",
            "--allow-connect",
            "127.0.0.1:9",
            "--allow-udp-bind",
            "127.0.0.1",
            "--allow-udp-send",
            "*:9",
            "--allow-dns",
        ],
        dir.path(),
    );
    // Port 9 has no server: the connect was allowed and refused by the system.
    assert_eq!(
        out,
        "listen: ok\nconnect: ECONNREFUSED\nudp send: ok\ndns: ok\nunix: EADDRINUSE\nstill running\n"
    );
}

#[test]
fn allow_net_allows_everything_but_unix_stays_in_the_preopen() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        wasio_run()
            .arg("--dir")
            .arg(format!("{}::/sock", dir.path().display()))
            .arg("--allow-net")
            .arg(wasm("net-probe"))
            .args([
                "127.0.0.1:0",
                "127.0.0.1:9",
                "127.0.0.1:9",
                "/elsewhere/p.sock",
            ]),
        LIMIT,
    );
    assert_eq!(
        stdout(&out),
        "listen: ok\nconnect: ECONNREFUSED\nudp send: ok\ndns: ok\nunix: ENOTCAPABLE\nstill running\n"
    );
    // A read-only preopen cannot get a socket file.
    let out = run(
        wasio_run()
            .arg("--dir-ro")
            .arg(format!("{}::/sock", dir.path().display()))
            .arg(wasm("net-probe"))
            .args(["127.0.0.1:0", "127.0.0.1:9", "127.0.0.1:9", "/sock/ro.sock"]),
        LIMIT,
    );
    assert!(
        stdout(&out).contains("unix: ENOTCAPABLE\n"),
        "{}",
        stdout(&out)
    );
    assert!(!dir.path().join("ro.sock").exists());
}

#[test]
fn unix_paths_cannot_leave_the_preopen() {
    let outer = tempfile::tempdir().unwrap();
    let boxed = outer.path().join("box");
    std::fs::create_dir(&boxed).unwrap();
    // A real listening socket outside the box, and a symlink to it inside.
    let outside = outer.path().join("outside.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, boxed.join("link.sock")).unwrap();
    let out = run(
        wasio_run()
            .arg("--dir")
            .arg(format!("{}::/sock", boxed.display()))
            .arg(wasm("net-probe"))
            .args(["127.0.0.1:0", "127.0.0.1:9", "127.0.0.1:9"])
            .args(["/sock/../escape.sock", "/sock/link.sock"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("unix: ENOTCAPABLE\n"),
        "bind through `..`: {text}"
    );
    assert!(
        text.contains("unix connect: ENOTCAPABLE\n"),
        "connect through a symlink: {text}"
    );
    assert!(!outer.path().join("escape.sock").exists());
}
