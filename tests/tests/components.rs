//! WASI 0.2 components under `wasio run`: programs written for stock tokio
//! (`guest-p2/`, built for wasm32-wasip2 with `--cfg tokio_unstable`, not
//! a line changed for wasio), run with the same flags, sandbox and limits
//! as preview1 modules, and driven from here. The servers also run
//! natively with the same assertions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// `wasio run` of component `name` with `flags`, then `args`.
fn wasio(name: &str, flags: &[&str], args: &[&str]) -> Command {
    let mut c = wasio_run();
    c.args(flags).arg(component(name)).args(args);
    c
}

/// Component `name` under wasio with `flags`, or its native build.
fn program(name: &str, wasm_build: bool, flags: &[&str], args: &[&str]) -> Command {
    if wasm_build {
        wasio(name, flags, args)
    } else {
        let mut c = Command::new(native(name));
        c.args(args);
        c
    }
}

fn read_line(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("read a line");
    line.trim_end().to_string()
}

fn echo_serves_many_connections(wasm_build: bool) {
    let flags = ["--allow-listen", "127.0.0.1"];
    let server = Server::spawn(
        "p2-echo",
        program("p2-echo", wasm_build, &flags, &["127.0.0.1:0"]),
    );
    let clients: Vec<_> = (0..20)
        .map(|i| {
            let addr = server.sock();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(LIMIT)).unwrap();
                // Larger than one read: the server loops.
                let msg: Vec<u8> = (0..100_000u32).map(|b| (b * 7 + i) as u8).collect();
                let mut w = s.try_clone().unwrap();
                let m = msg.clone();
                let writer = std::thread::spawn(move || w.write_all(&m).unwrap());
                let mut back = vec![0; msg.len()];
                s.read_exact(&mut back).unwrap();
                writer.join().unwrap();
                assert!(back == msg, "client {i} got other bytes back");
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
}

#[test]
fn tokio_echo_component_serves_many_connections() {
    echo_serves_many_connections(true);
}

#[test]
fn tokio_echo_native_serves_many_connections() {
    echo_serves_many_connections(false);
}

#[test]
fn tokio_hello_world_component_connects_out() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let peer = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let line = read_line(&mut r);
        (&s).write_all(b"hi there\n").unwrap();
        line
    });
    let out = run(
        &mut wasio("p2-hello-world", &["--allow-connect", &addr], &[&addr]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(peer.join().unwrap(), "hello world");
    assert_eq!(stdout(&out).trim(), "got: hi there");
}

#[test]
fn tokio_proxy_component_joins_both_ways() {
    let upstream = Server::spawn("p2-echo", program("p2-echo", false, &[], &["127.0.0.1:0"]));
    let up = upstream.addr.clone();
    let proxy = Server::spawn(
        "p2-proxy",
        wasio(
            "p2-proxy",
            &["--allow-listen", "127.0.0.1", "--allow-connect", &up],
            &["127.0.0.1:0", &up],
        ),
    );
    for i in 0..5 {
        let mut s = TcpStream::connect(proxy.sock()).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let msg = format!("through the proxy {i}\n");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg.as_bytes());
    }
}

#[test]
fn tokio_proxy_component_is_refused_what_it_was_not_granted() {
    // Listening is granted, the upstream is not: each client is dropped,
    // the proxy says why, and the host names the flag.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = upstream.local_addr().unwrap().to_string();
    let mut cmd = wasio(
        "p2-proxy",
        &["--allow-listen", "127.0.0.1"],
        &["127.0.0.1:0", &up],
    );
    cmd.stderr(std::process::Stdio::piped())
        .env("RUST_LOG", "warn");
    let mut proxy = Server::spawn("p2-proxy", cmd);
    let mut s = TcpStream::connect(proxy.sock()).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0; 16];
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "the client is closed");
    let _ = proxy.child.kill();
    let mut err = String::new();
    proxy
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains(&format!("--allow-connect {up}")),
        "the denial names the flag: {err}"
    );
    assert!(err.contains("cannot connect"), "{err}");
    upstream.set_nonblocking(true).unwrap();
    assert!(upstream.accept().is_err(), "nothing reached the upstream");
}

#[test]
fn tokio_chat_component_relays_between_clients() {
    let chat = Server::spawn(
        "p2-chat",
        wasio(
            "p2-chat",
            &["--allow-listen", "127.0.0.1"],
            &["127.0.0.1:0"],
        ),
    );
    let join = |name: &str| {
        let s = TcpStream::connect(chat.sock()).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        assert_eq!(read_line(&mut r), "Please enter your username:");
        (&s).write_all(format!("{name}\n").as_bytes()).unwrap();
        (s, r)
    };
    let (_alice, mut alice_in) = join("alice");
    let (bob, bob_in) = join("bob");
    assert_eq!(read_line(&mut alice_in), "bob has joined the chat");
    (&bob).write_all(b"hello, alice\n").unwrap();
    assert_eq!(read_line(&mut alice_in), "bob: hello, alice");
    drop((bob, bob_in));
    assert_eq!(read_line(&mut alice_in), "bob has left the chat");
}

/// Runs the probe with `flags` and `actions`; its lines.
fn probe(flags: &[&str], actions: &[&str]) -> Vec<String> {
    let out = run(&mut wasio("p2-probe", flags, actions), LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

#[test]
fn every_network_use_needs_its_grant() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = l.local_addr().unwrap().to_string();
    let port = l.local_addr().unwrap().port();
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp = u.local_addr().unwrap().to_string();
    let free = free_port();
    let actions = [
        format!("connect={tcp}"),
        // WASI 0.2 refuses IPv4-mapped IPv6 addresses as such
        // (`invalid-argument`), granted or not.
        format!("connect=[::ffff:127.0.0.1]:{port}"),
        format!("listen=127.0.0.1:{free}"),
        "listen=127.0.0.1:0".to_string(),
        "udp-bind=127.0.0.1:0".to_string(),
        format!("udp-send={udp}"),
        "resolve=localhost".to_string(),
    ];
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    // Nothing granted: everything refused, as for a module.
    let denied = probe(&[], &actions);
    assert_eq!(denied.len(), actions.len(), "{denied:?}");
    for line in &denied {
        let want = if line.contains("::ffff:") {
            "error InvalidInput"
        } else {
            "error PermissionDenied"
        };
        assert!(line.ends_with(want), "{line}");
    }
    // Each grant opens exactly its own use.
    let granted = probe(
        &[
            "--allow-connect",
            &tcp,
            "--allow-listen",
            &format!("127.0.0.1:{free}"),
            "--allow-udp-bind",
            "127.0.0.1",
            "--allow-udp-send",
            &udp,
            "--allow-dns",
        ],
        &actions,
    );
    let expect = [
        "ok",                     // connect to the granted address
        "error InvalidInput",     // a v4-mapped address, refused by WASI 0.2
        "ok",                     // listen on the granted port
        "error PermissionDenied", // another port is not granted
        "ok",
        "ok",
        "ok",
    ];
    for (line, want) in granted.iter().zip(expect) {
        assert!(line.ends_with(want), "{line}: expected {want}");
    }
    // --allow-net grants all of it.
    for line in probe(&["--allow-net"], &actions) {
        assert!(line.ends_with(": ok") || line.contains("::ffff:"), "{line}");
    }
}

#[test]
fn other_addresses_and_ports_stay_closed_under_a_grant() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let grant = format!("127.0.0.1:{port}");
    let lines = probe(
        &["--allow-connect", &grant],
        &[
            &format!("connect=127.0.0.1:{other_port}"),
            &format!("connect=127.0.0.2:{port}"),
            &format!("connect=[::1]:{port}"),
            &format!("connect=[::ffff:127.0.0.2]:{port}"),
            &format!("connect=[fe80::1%1]:{port}"),
            &format!("udp-send=127.0.0.1:{port}"),
        ],
    );
    for line in &lines {
        assert!(
            line.contains(": error "),
            "only the granted address: {line}"
        );
    }
    other.set_nonblocking(true).unwrap();
    assert!(other.accept().is_err(), "nothing reached the other port");
}

#[test]
fn files_only_under_preopens_and_read_only_holds() {
    let dir = tempfile::tempdir().unwrap();
    let rw = dir.path().join("rw");
    let ro = dir.path().join("ro");
    std::fs::create_dir_all(&rw).unwrap();
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::write(ro.join("kept"), b"kept").unwrap();
    std::fs::write(dir.path().join("secret"), b"secret").unwrap();
    std::os::unix::fs::symlink("../secret", rw.join("link")).unwrap();
    let rw_flag = format!("{}::/data", rw.display());
    let ro_flag = format!("{}::/ro", ro.display());
    let lines = probe(
        &["--dir", &rw_flag, "--dir-ro", &ro_flag],
        &[
            "write=/data/new",
            "read=/data/new",
            "read=/ro/kept",
            "write=/ro/kept",
            "write=/ro/other",
            "read=/data/../secret",
            "read=/data/link",
            "read=/secret",
            "list=/",
        ],
    );
    let expect = [
        ": ok", ": ok", ": ok", "error", "error", "error", "error", "error", "error",
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:?}");
    for (line, want) in lines.iter().zip(expect) {
        assert!(line.contains(want), "{line}: expected {want}");
    }
    assert_eq!(std::fs::read(rw.join("new")).unwrap(), b"probe");
    assert_eq!(std::fs::read(ro.join("kept")).unwrap(), b"kept");
    assert!(!ro.join("other").exists());
}

#[test]
fn arguments_and_only_the_given_environment() {
    let out = run(
        &mut wasio(
            "p2-probe",
            &["--env", "GREETING=hi"],
            &["env=GREETING", "env=HOME"],
        ),
        LIMIT,
    );
    let text = stdout(&out);
    assert!(text.contains("GREETING=hi"), "{text}");
    assert!(text.contains("env HOME: error NotFound"), "{text}");
}

#[test]
fn exit_status_panic_and_timeout() {
    let out = run(&mut wasio("p2-probe", &[], &["exit=7"]), LIMIT);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let out = run(&mut wasio("p2-probe", &[], &["panic"]), LIMIT);
    assert_eq!(out.status.code(), Some(134), "a trap: {}", stderr(&out));
    assert!(stderr(&out).contains("trapped"), "{}", stderr(&out));
    // Asleep in a host call when the time is up: stopped all the same.
    let started = std::time::Instant::now();
    let out = run(
        &mut wasio("p2-probe", &["--timeout", "1"], &["sleep=60000"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("--timeout"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Writing 8 MiB to a stdout pipe whose reader never reads ends at the
/// deadline: the component's stdout never blocks the host.
#[test]
fn a_stalled_stdout_ends_at_the_deadline() {
    let (r, w) = std::io::pipe().unwrap();
    let mut c = wasio("p2-probe", &["--timeout", "2"], &["print=8"]);
    c.stdin(std::process::Stdio::null())
        .stdout(w)
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    drop(c); // our copy of the pipe's write end
    let out = wait_output(child, LIMIT);
    drop(r); // read nothing, until the host has ended
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("time limit"), "{}", stderr(&out));
}

#[test]
fn max_memory_holds_for_components() {
    let out = run(
        &mut wasio("p2-probe", &["--max-memory", "64M"], &["alloc=1000000"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("held 1000000"));
    let out = run(
        &mut wasio("p2-probe", &["--max-memory", "64M"], &["alloc=200000000"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--max-memory"),
        "the report names the flag: {}",
        stderr(&out)
    );
}

#[test]
fn max_fds_counts_a_components_sockets() {
    // 10 fds: stdio (3), one preopen, and so 6 sockets.
    let dir = tempfile::tempdir().unwrap();
    let preopen = format!("{}::/data", dir.path().display());
    let lines = probe(
        &["--max-fds", "10", "--dir", &preopen],
        &["sockets=20", "sockets=3"],
    );
    assert_eq!(lines[0], "made 6", "{lines:?}");
    assert!(lines[1].starts_with("sockets 20: error"), "{lines:?}");
    // Dropped sockets are given back.
    assert_eq!(lines[2], "made 3", "{lines:?}");
    assert_eq!(lines[3], "sockets 3: ok", "{lines:?}");
}

#[test]
fn a_slow_reader_gets_every_byte_a_component_wrote() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = wasio(
        "p2-probe",
        &["--allow-listen", &addr],
        &[&format!("serve-bytes={addr}")],
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let until = std::time::Instant::now() + LIMIT;
    let mut s = loop {
        match TcpStream::connect(&addr) {
            Ok(s) => break s,
            Err(_) if std::time::Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("no listener: {e}"),
        }
    };
    // Slow to start reading: the socket fills, the kernel takes part of a
    // write, and the host keeps the rest until the socket drains.
    std::thread::sleep(Duration::from_millis(300));
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), 8 << 20);
    assert!(
        got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8),
        "other bytes"
    );
    let status = wait_for(&mut child, LIMIT).expect("the probe ends");
    assert!(status.success(), "{status}");
}

/// A component that always has a task to run only ever asks the host what
/// is ready now (tokio checks every 61 tasks, with a zero timeout). The
/// host looks at its sockets for such a question too, so the connection
/// is accepted and answered while another task spins.
#[test]
fn a_busy_component_still_serves_its_sockets() {
    let server = Server::spawn(
        "p2-probe",
        wasio(
            "p2-probe",
            &["--allow-listen", "127.0.0.1"],
            &["busy-echo=127.0.0.1:0"],
        ),
    );
    let mut s = TcpStream::connect(server.sock()).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.write_all(b"still there?\n").unwrap();
    let mut got = String::new();
    BufReader::new(&s).read_line(&mut got).expect("an answer");
    assert_eq!(got, "still there?\n");
    let rest = server.finish();
    assert!(rest.contains("busy-echo 127.0.0.1:0: ok"), "{rest}");
}

/// The same for UDP, whose readiness comes from wasmtime-wasi's sockets:
/// a wait that looks before it answers lets their driver run too.
#[test]
fn a_busy_component_still_gets_its_datagrams() {
    let server = Server::spawn(
        "p2-probe",
        wasio(
            "p2-probe",
            &[
                "--allow-udp-bind",
                "127.0.0.1",
                "--allow-udp-send",
                "127.0.0.1",
            ],
            &["busy-udp-echo=127.0.0.1:0"],
        ),
    );
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    client.send_to(b"ping", server.sock()).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = client.recv_from(&mut buf).expect("an answer");
    assert_eq!((&buf[..n], from), (&b"ping"[..], server.sock()));
    let rest = server.finish();
    assert!(rest.contains("busy-udp-echo 127.0.0.1:0: ok"), "{rest}");
}

/// The stop signal reaches a component that never waits, too: the host
/// reads it when the guest next asks what is ready.
#[test]
fn a_busy_component_stops_at_sigterm() {
    let mut server = Server::spawn(
        "p2-probe",
        wasio(
            "p2-probe",
            &["--allow-listen", "127.0.0.1"],
            &["busy-echo=127.0.0.1:0"],
        ),
    );
    // Let it get into its loop first.
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&server);
    let status = wait_for(&mut server.child, LIMIT).expect("stopped by the signal");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn tcplisten_says_what_components_need_instead() {
    let out = run(
        &mut wasio("p2-echo", &["--tcplisten", "127.0.0.1:0"], &[]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-listen"), "{}", stderr(&out));
}

/// Listening sockets on `port` (`/proc/net/tcp`, state 0A).
fn listeners_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3
                && f[3] == "0A"
                && f[1]
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
                    == Some(port)
        })
        .count()
}

/// One echo round trip on a new connection.
fn echo_once(addr: std::net::SocketAddr, msg: &[u8]) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.write_all(msg).unwrap();
    let mut back = vec![0; msg.len()];
    s.read_exact(&mut back).unwrap();
    assert_eq!(back, msg);
}

#[test]
fn workers_share_a_components_listener_port() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let server = Server::spawn(
        "p2-echo",
        wasio(
            "p2-echo",
            &["--workers", "2", "--allow-listen", &addr],
            &[&addr],
        ),
    );
    // Both instances bound the same port (SO_REUSEPORT, set by the host).
    let until = std::time::Instant::now() + LIMIT;
    while listeners_on(port) < 2 {
        assert!(std::time::Instant::now() < until, "one listener only");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(listeners_on(port), 2);
    for i in 0..40u8 {
        echo_once(server.sock(), &[i; 100]);
    }
}

/// SIGTERM to `server`'s process.
fn sigterm(server: &Server) {
    let pid = rustix::process::Pid::from_raw(server.child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
}

#[test]
fn sigterm_stops_accepting_and_ends_when_connections_close() {
    let mut server = Server::spawn(
        "p2-echo",
        wasio(
            "p2-echo",
            &["--allow-listen", "127.0.0.1", "--drain", "10m"],
            &["127.0.0.1:0"],
        ),
    );
    let addr = server.sock();
    let mut open = TcpStream::connect(addr).unwrap();
    open.set_read_timeout(Some(LIMIT)).unwrap();
    let round_trip = |s: &mut TcpStream, msg: &[u8]| {
        s.write_all(msg).unwrap();
        let mut back = vec![0; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg);
    };
    round_trip(&mut open, b"before");
    sigterm(&server);
    // New connections are refused once the stop began...
    let until = std::time::Instant::now() + LIMIT;
    while TcpStream::connect(addr).is_ok() {
        assert!(std::time::Instant::now() < until, "still accepting");
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...the open one is still served...
    round_trip(&mut open, b"during the drain");
    // ...and when it closes, the instance ends, well before --drain.
    drop(open);
    let status = wait_for(&mut server.child, LIMIT).expect("ended once idle");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_ends_the_drain_when_its_time_is_up() {
    let mut server = Server::spawn(
        "p2-echo",
        wasio(
            "p2-echo",
            &["--allow-listen", "127.0.0.1", "--drain", "300ms"],
            &["127.0.0.1:0"],
        ),
    );
    let mut open = TcpStream::connect(server.sock()).unwrap();
    open.set_read_timeout(Some(LIMIT)).unwrap();
    open.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    open.read_exact(&mut b).unwrap();
    sigterm(&server);
    let status = wait_for(&mut server.child, LIMIT).expect("ended after the drain");
    assert_eq!(status.code(), Some(0));
    // The connection it held is closed with it.
    assert_eq!(open.read(&mut b).unwrap_or(0), 0);
}

#[test]
fn wasio_compile_precompiles_a_component() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("probe.cwasm");
    let out = Command::new(wasio_bin())
        .arg("compile")
        .arg(component("p2-probe"))
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut c = Command::new(wasio_bin());
    c.args(["run", "--no-cache"]).arg(&out_path).arg("exit=3");
    let out = run(&mut c, LIMIT);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

/// One HTTP/1.1 request on a new connection; the status code and body.
fn http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = http_status(&text);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

#[test]
fn axum_serve_with_tower_http_timeout_component() {
    let app = Server::spawn(
        "p2-axum",
        wasio(
            "p2-axum",
            &["--allow-listen", "127.0.0.1"],
            &["127.0.0.1:0"],
        ),
    );
    let get = |path: &str| {
        http(
            app.sock(),
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
    };
    assert_eq!(get("/"), (200, "Hello from axum::serve\n".into()));
    let body = r#"{"values":[1,2,3,40]}"#;
    let (status, text) = http(
        app.sock(),
        &format!(
            "POST /sum HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, r#"{"count":4,"sum":46}"#);
    // tokio's timers run: a short sleep answers, a long one is cut off
    // by tower-http's TimeoutLayer.
    assert_eq!(get("/sleep/20"), (200, "slept 20 ms\n".into()));
    let started = std::time::Instant::now();
    assert_eq!(get("/sleep/30000").0, 408);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(get("/missing").0, 404);
}

/// The server a live test needs, from `var`, or a visible skip.
fn live(test: &str, var: &str, how: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) => {
            skipped(test, &format!("{var} is not set ({how})"));
            None
        }
    }
}

/// `host:port` of a `scheme://[user@]host:port/...` URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

#[test]
fn redis_client_component_against_a_live_server() {
    let Some(url) = live(
        "redis_client_component_against_a_live_server",
        "WASIO_REDIS_URL",
        "`.ci/run` starts a redis-server",
    ) else {
        return;
    };
    let key = format!("wasio-test-{}", free_port());
    let out = run(
        &mut wasio(
            "p2-redis",
            &["--allow-connect", &authority(&url)],
            &[&url, &key],
        ),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "incr: 42\nget: 42\npipeline: 50 100\ndel: 1\nafter del: None\n"
    );
    // Without the grant it never reaches the server.
    let out = run(&mut wasio("p2-redis", &[], &[&url, &key]), LIMIT);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--allow-connect"), "{}", stderr(&out));
}

#[test]
fn sqlx_component_against_a_live_postgres() {
    let Some(url) = live(
        "sqlx_component_against_a_live_postgres",
        "WASIO_PG_URL",
        "`.ci/run` starts a scratch PostgreSQL when one is installed",
    ) else {
        return;
    };
    let out = run(
        &mut wasio("p2-sqlx", &["--allow-connect", &authority(&url)], &[&url]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("server: "), "{text}");
    assert!(
        text.ends_with("rows: 3, sum of ids: 6\nafter rollback: 3\nlongest: three\n"),
        "{text}"
    );
}

#[test]
fn tokio_tungstenite_echo_component() {
    use tungstenite::Message;
    let server = Server::spawn(
        "p2-ws",
        wasio("p2-ws", &["--allow-listen", "127.0.0.1"], &["127.0.0.1:0"]),
    );
    let stream = TcpStream::connect(server.sock()).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let url = format!("ws://{}/", server.addr);
    let (mut ws, _) = tungstenite::client(url.as_str(), stream).expect("handshake");
    for i in 0..10 {
        let text = format!("message {i}");
        ws.send(Message::text(text.clone())).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text(text));
    }
    let blob: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    ws.send(Message::binary(blob.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(blob));
    ws.close(None).unwrap();
    // The close handshake completes: the server answered it.
    loop {
        match ws.read() {
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("after close: {e}"),
        }
    }
}

#[test]
fn tonic_grpc_server_and_client_components() {
    let server = Server::spawn(
        "p2-grpc",
        wasio(
            "p2-grpc",
            &["--allow-listen", "127.0.0.1"],
            &["serve", "127.0.0.1:0"],
        ),
    );
    let out = run(
        &mut wasio(
            "p2-grpc",
            &["--allow-connect", &server.addr],
            &["call", &server.addr, "alice", "bob", ""],
        ),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Hello, alice! (1)\nHello, bob! (2)\nstatus InvalidArgument: a name is needed\n"
    );
    // The client without its grant reaches nothing.
    let out = run(
        &mut wasio("p2-grpc", &[], &["call", &server.addr, "eve"]),
        LIMIT,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--allow-connect"), "{}", stderr(&out));
}

#[test]
fn a_failing_component_is_restarted_then_given_up_on() {
    let out = run(
        &mut wasio("p2-probe", &["--restart", "on-failure"], &["panic"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("restarting it in").count(), 4, "{err}");
    assert!(err.contains("failed 5 times in a row"), "{err}");
}

/// A command component that imports `wasio:test/missing` (an interface no
/// host provides) and whose `run` returns ok without calling it.
fn component_with_unknown_import() -> Vec<u8> {
    use wasm_encoder::*;
    let none = || std::iter::empty::<(&str, ComponentValType)>();
    let mut b = ComponentBuilder::default();
    let mut missing = InstanceType::new();
    missing.ty().function().params(none()).result(None);
    missing.export("f", ComponentTypeRef::Func(0));
    let missing = b.type_instance(None, &missing);
    b.import("wasio:test/missing", ComponentTypeRef::Instance(missing));

    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    let mut exports = ExportSection::new();
    exports.export("run", ExportKind::Func, 0);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instructions().i32_const(0).end();
    code.function(&f);
    m.section(&types)
        .section(&funcs)
        .section(&exports)
        .section(&code);
    let module = b.core_module(None, &m);
    let instance = b.core_instantiate(None, module, std::iter::empty::<(&str, ModuleArg)>());
    let core_run = b.core_alias_export(None, instance, "run", ExportKind::Func);
    let (result, ty) = b.type_defined(None);
    ty.result(None, None);
    let (run_ty, mut ty) = b.type_function(None);
    ty.params(none())
        .result(Some(ComponentValType::Type(result)));
    let run = b.lift_func(
        None,
        core_run,
        run_ty,
        std::iter::empty::<CanonicalOption>(),
    );
    let exports = b.instantiate_exports(None, [("run", ComponentExportKind::Func, run)]);
    b.export(
        "wasi:cli/run@0.2.12",
        ComponentExportKind::Instance,
        exports,
        None,
    );
    b.finish()
}

#[test]
fn unknown_imports_error_or_trap_for_components() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.wasm");
    std::fs::write(&path, component_with_unknown_import()).unwrap();
    let mut c = wasio_run();
    c.arg(&path);
    let out = run(&mut c, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("wasio:test/missing") && err.contains("--unknown-imports trap"),
        "{err}"
    );
    let mut c = wasio_run();
    c.args(["--unknown-imports", "trap"]).arg(&path);
    let out = run(&mut c, LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
}
