//! Examples on the wasio runtime, under `wasio run` and natively: same
//! output; the echo server under load; an idle server that does not spin.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn timers_print_in_deadline_order() {
    let w = run(wasio_run().arg(wasm("timers")), LIMIT);
    let n = run(&mut Command::new(native("timers")), LIMIT);
    assert!(w.status.success(), "{}", stderr(&w));
    assert_eq!(stdout(&w), stdout(&n));
    assert_eq!(
        stdout(&w),
        "interval tick 1\ntimeout fired after 25ms\ninterval tick 2\ninterval tick 3\n\
         sleeper woke after 125ms\n1000 concurrent sleeps done\ntotal at least 159ms: true\nevents: 6\n"
    );
}

#[test]
fn async_copy_of_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..16u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("src.bin"), &data).unwrap();
    let w = run(
        wasio_run()
            .arg("--dir")
            .arg(format!("{}::/d", dir.path().display()))
            .arg(wasm("copy"))
            .args(["/d/src.bin", "/d/wasm.bin"]),
        LIMIT,
    );
    assert!(w.status.success(), "{}", stderr(&w));
    let n = run(
        Command::new(native("copy"))
            .arg(dir.path().join("src.bin"))
            .arg(dir.path().join("native.bin")),
        LIMIT,
    );
    assert_eq!(stdout(&w), stdout(&n));
    assert!(
        stdout(&w).starts_with("copied 16777216 bytes, fnv1a "),
        "{}",
        stdout(&w)
    );
    assert!(std::fs::read(dir.path().join("wasm.bin")).unwrap() == data);
}

#[test]
fn async_stdin_lines() {
    let input: String = (0..2000)
        .map(|i| format!("line number {i} ünï\n"))
        .collect();
    let w = run_with_input(
        wasio_run().arg(wasm("stdin-lines")),
        input.as_bytes(),
        LIMIT,
    );
    let n = run_with_input(
        &mut Command::new(native("stdin-lines")),
        input.as_bytes(),
        LIMIT,
    );
    assert!(w.status.success(), "{}", stderr(&w));
    assert_eq!(stdout(&w), stdout(&n));
    assert_eq!(stderr(&w).trim(), "2000 lines");
    assert!(
        stdout(&w).starts_with("1: ïnü 0 rebmun enil\n"),
        "{}",
        &stdout(&w)[..40]
    );
}

fn start(
    wasm_build: bool,
    port: u16,
    limit: usize,
) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut cmd = if wasm_build {
        let mut c = wasio_run();
        c.arg("--tcplisten")
            .arg(format!("127.0.0.1:{port}"))
            .arg(wasm("echo-preopened"))
            .arg("unused");
        c
    } else {
        let mut c = Command::new(native("echo-preopened"));
        c.arg(format!("127.0.0.1:{port}"));
        c
    };
    let mut child = cmd
        .arg(limit.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "listening\n");
    (child, out)
}

fn finish(mut child: Child, mut out: BufReader<std::process::ChildStdout>) -> String {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    rest
}

fn hundred_clients(port: u16) {
    let clients: Vec<_> = (0..100usize)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = connect(port);
                let mut total = Vec::new();
                for round in 0..10 {
                    let msg = format!("client {i} round {round} {}\n", "x".repeat(i * 10));
                    s.write_all(msg.as_bytes()).unwrap();
                    let mut back = vec![0u8; msg.len()];
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg.as_bytes());
                    total.extend_from_slice(&back);
                }
                s.shutdown(Shutdown::Write).unwrap();
                let mut rest = Vec::new();
                s.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty());
                total.len()
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
}

#[test]
fn echo_serves_100_concurrent_clients() {
    for wasm_build in [true, false] {
        let port = free_port();
        let (child, out) = start(wasm_build, port, 100);
        hundred_clients(port);
        let summary = finish(child, out);
        let expected: usize = (0..100usize)
            .map(|i| {
                (0..10)
                    .map(|r| format!("client {i} round {r} {}\n", "x".repeat(i * 10)).len())
                    .sum::<usize>()
            })
            .sum();
        assert_eq!(
            summary,
            format!("100 connections, {expected} bytes echoed\n"),
            "wasm: {wasm_build}"
        );
    }
}

/// CPU time (user + system) a process has used, from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

#[test]
fn idle_server_does_not_spin() {
    for wasm_build in [true, false] {
        let port = free_port();
        let (mut child, out) = start(wasm_build, port, 1000);
        // 200 open connections, each with a task waiting to read, plus the
        // server's 30 s housekeeping timer.
        let conns: Vec<TcpStream> = (0..200).map(|_| connect(port)).collect();
        let mut probe = connect(port);
        probe.write_all(b"ping").unwrap();
        let mut b = [0u8; 4];
        probe.read_exact(&mut b).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let before = cpu_time(child.id());
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_time(child.id()) - before;
        assert!(
            used < Duration::from_millis(200),
            "idle {} server used {used:?} of CPU in 2 s",
            if wasm_build { "wasm" } else { "native" }
        );
        // Still responsive, then shut everything down.
        probe.write_all(b"pong").unwrap();
        probe.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"pong");
        drop(conns);
        drop(probe);
        let _ = child.kill();
        let _ = finish_killed(child, out);
    }
}

fn finish_killed(
    mut child: Child,
    _out: BufReader<std::process::ChildStdout>,
) -> std::process::ExitStatus {
    child.wait().unwrap()
}
