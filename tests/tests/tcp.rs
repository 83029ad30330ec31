//! A blocking std TCP echo server on a preopened listener, driven from the
//! test process; the same example natively gives the same transcript.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::process::{Child, Command, Stdio};

use wasio_tests::*;

fn wait_listening(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening"), "{line}");
    out
}

/// Sends three connections' worth of data and checks every echo.
fn drive(port: u16) {
    for round in 0..3 {
        let mut s = connect(port);
        let msg: Vec<u8> = (0..100_000u32).map(|i| (i * 31 + round) as u8).collect();
        let writer = {
            let mut s = s.try_clone().unwrap();
            let msg = msg.clone();
            std::thread::spawn(move || {
                s.write_all(&msg).unwrap();
                s.shutdown(Shutdown::Write).unwrap();
            })
        };
        let mut back = Vec::new();
        s.read_to_end(&mut back).unwrap();
        writer.join().unwrap();
        assert_eq!(back.len(), msg.len());
        assert!(back == msg, "echo differs in round {round}");
    }
}

fn finish(mut child: Child, mut out: BufReader<std::process::ChildStdout>) -> String {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "server exited with {status}");
    rest
}

#[test]
fn echo_over_preopened_listener() {
    let port = free_port();
    let mut child = wasio_run()
        .arg("--tcplisten")
        .arg(format!("127.0.0.1:{port}"))
        .arg(wasm("echo-blocking"))
        .args(["unused", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_listening(&mut child);
    drive(port);
    let wasm_log = finish(child, out);

    let port = free_port();
    let mut child = Command::new(native("echo-blocking"))
        .arg(format!("127.0.0.1:{port}"))
        .arg("3")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_listening(&mut child);
    drive(port);
    let native_log = finish(child, out);

    assert_eq!(wasm_log, native_log);
    assert!(
        wasm_log.contains("connection 3: echoed 100000 bytes"),
        "{wasm_log}"
    );
}

#[test]
fn client_that_vanishes_does_not_kill_the_host() {
    let port = free_port();
    let mut child = wasio_run()
        .arg("--tcplisten")
        .arg(format!("127.0.0.1:{port}"))
        .arg(wasm("echo-blocking"))
        .args(["unused", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_listening(&mut child);
    {
        // Send and reset the connection without reading the echo.
        let mut s = connect(port);
        s.write_all(&vec![7u8; 1 << 20]).ok();
        drop(s);
    }
    drive_one(port);
    let log = finish(child, out);
    assert!(log.contains("connection 2: echoed 5 bytes"), "{log}");
}

fn drive_one(port: u16) {
    let mut s = connect(port);
    s.write_all(b"hello").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = String::new();
    s.read_to_string(&mut back).unwrap();
    assert_eq!(back, "hello");
}

/// Stock tokio (current-thread, built for wasm32-wasip1 with
/// `--cfg tokio_unstable`) on a preopened listener: mio's wasi backend puts
/// every socket into `poll_oneoff`, so this checks socket readiness, the
/// non-blocking path and many connections at once.
#[test]
fn stock_tokio_server_with_concurrent_clients() {
    const CLIENTS: usize = 50;
    let port = free_port();
    let mut child = wasio_run()
        .arg("--tcplisten")
        .arg(format!("127.0.0.1:{port}"))
        .arg(wasm("tokio-echo"))
        .args(["unused", &CLIENTS.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_listening(&mut child);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = connect(port);
                let msg: Vec<u8> = (0..64 * 1024).map(|j| (i * 7 + j) as u8).collect();
                let mut w = s.try_clone().unwrap();
                let sent = msg.clone();
                let writer = std::thread::spawn(move || {
                    w.write_all(&sent).unwrap();
                    w.shutdown(Shutdown::Write).unwrap();
                });
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                writer.join().unwrap();
                assert!(
                    back == msg,
                    "client {i}: echo differs ({} bytes back)",
                    back.len()
                );
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let log = finish(child, out);
    assert_eq!(
        log.trim(),
        format!(
            "{CLIENTS} connections, {} bytes echoed",
            CLIENTS * 64 * 1024
        )
    );
}

/// The preview1 socket calls by hand: non-blocking accept, `poll_oneoff`
/// with `nbytes` and the hang-up flag, `sock_recv` with `PEEK`,
/// `sock_send`, `sock_shutdown`.
#[test]
fn raw_preview1_socket_calls() {
    let port = free_port();
    let mut child = wasio_run()
        .arg("--tcplisten")
        .arg(format!("127.0.0.1:{port}"))
        .arg(wasm("sock-raw"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The guest's first line comes after its first (empty) accept: only
    // then may the client connect.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert_eq!(first, "accept before any client: Some(\"AGAIN\")\n");
    let mut s = connect(port);
    s.write_all(b"ping").unwrap();
    let mut pong = [0u8; 4];
    s.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"pong");
    drop(s);
    let rest = finish(child, out);
    assert_eq!(
        rest,
        "accepted a connection\n\
         readable: nbytes 4, hangup false\n\
         peeked \"ping\"\n\
         received \"ping\" (flags 0)\n\
         recv again: Some(\"AGAIN\")\n\
         sent 4 bytes\n\
         peer closed: hangup true\n\
         recv at eof: 0 bytes\n\
         shutdown: None\n\
         done\n"
    );
}
