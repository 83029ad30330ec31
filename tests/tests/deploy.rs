//! Running as a service: SIGTERM drains a server and it exits 0 (a second
//! SIGTERM stops it at once), under `wasio run` and natively.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

use wasio_tests::*;

fn axum_json(wasm_build: bool, data: &std::path::Path) -> Server {
    let mut c = if wasm_build {
        let mut c = wasio_run();
        c.args(["--allow-listen", "127.0.0.1", "--dir"])
            .arg(format!("{}::/data", data.display()))
            .arg(wasm("examples/axum-json"))
            .args(["127.0.0.1:0", "/data"]);
        c
    } else {
        let mut c = Command::new(native("examples/axum-json"));
        c.arg("127.0.0.1:0").arg(data);
        c
    };
    c.stderr(std::process::Stdio::piped());
    Server::spawn("axum-json", c)
}

fn sigterm(pid: u32) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("kill");
}

/// Sends `GET path` and returns the whole response (the server closes).
fn get(addr: &str, path: &str) -> std::thread::JoinHandle<std::io::Result<String>> {
    let (addr, path) = (addr.to_string(), path.to_string());
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").as_bytes(),
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    })
}

/// SIGTERM with a request in flight: the request is answered, new
/// connections are refused, the server says so and exits 0.
#[test]
fn sigterm_drains_in_flight_requests_and_exits_0() {
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let mut srv = axum_json(wasm_build, data.path());
        let slow = get(&srv.addr, "/slow/1500");
        std::thread::sleep(Duration::from_millis(400));
        sigterm(srv.child.id());
        let answer = slow.join().unwrap().expect("the in-flight request");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"slept_ms":1500}"#), "{answer}");
        let mut rest = String::new();
        srv.out.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "shut down cleanly\n");
        let status = srv.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{status}");
        let mut err = String::new();
        srv.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(err.contains("axum-json: SIGTERM: draining"), "{err}");
        assert!(TcpStream::connect(&srv.addr).is_err(), "still accepting");
    }
}

/// A second SIGTERM during the drain stops the program at once, as the
/// signal's default action.
#[test]
fn a_second_sigterm_stops_at_once() {
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let mut srv = axum_json(wasm_build, data.path());
        let slow = get(&srv.addr, "/slow/20000");
        std::thread::sleep(Duration::from_millis(400));
        sigterm(srv.child.id());
        // The first one was taken: the server is draining, not gone.
        let mut line = String::new();
        let mut err = BufReader::new(srv.child.stderr.take().unwrap());
        err.read_line(&mut line).unwrap();
        assert!(line.contains("SIGTERM: draining"), "{line}");
        let t = Instant::now();
        sigterm(srv.child.id());
        let status = srv.child.wait().unwrap();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(status.signal(), Some(15), "{status}");
        assert!(slow.join().unwrap().map_or(true, |a| a.is_empty()));
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `GET /` with `Connection: close`; the `X-Wasio-Worker` value.
fn which_worker(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.ends_with("Hello, world!"), "{out}");
    out.lines()
        .find_map(|l| l.strip_prefix("X-Wasio-Worker: "))
        .unwrap_or_else(|| panic!("no worker header in {out:?}"))
        .to_string()
}

/// `--workers 2` with a fixed port: both instances bind it (the host sets
/// `SO_REUSEPORT`), the kernel spreads connections over both, each sees
/// its own `WASIO_WORKER`, and their output lines stay whole.
#[test]
fn two_workers_share_a_port_and_both_answer() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut c = wasio_run();
    c.args(["--workers", "2", "--allow-listen", "127.0.0.1"])
        .arg(wasm("http-hello"))
        .arg(&addr);
    let mut srv = Server::spawn("http-hello", c);
    // The second worker's line (both print `listening on ADDR`).
    let mut line = String::new();
    srv.out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("listening on {addr}"));
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..100 {
        *seen.entry(which_worker(&addr)).or_insert(0) += 1;
    }
    let workers: Vec<_> = seen.keys().cloned().collect();
    assert_eq!(workers, ["0", "1"], "answers by worker: {seen:?}");
    drop(srv);
}

/// `--workers 2 --tcplisten`: one listener shared by both instances.
#[test]
fn workers_share_a_preopened_listener() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut c = wasio_run();
    c.args(["--workers", "2", "--tcplisten", &addr])
        .arg(wasm("echo-preopened"))
        .args(["unused", "40"]);
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "listening\n");
    }
    // 80 connections: 40 for each worker, which then exits.
    for i in 0..80u32 {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(&i.to_le_bytes()).unwrap();
        let mut back = [0u8; 4];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, i.to_le_bytes());
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A worker that fails as it starts is started again with a growing
/// delay, up to five times in a row; then it is reported and the others
/// run to their end; the exit status is the first non-zero one. With
/// `--restart no` the first failure is final; with `--workers-fail-fast`
/// the first failure ends the run at once.
#[test]
fn failing_workers_set_the_status() {
    let o = run(
        wasio_run()
            .args(["--workers", "2"])
            .arg(wasm("limits"))
            .args(["exit", "3"]),
        Duration::from_secs(60),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    for w in 0..2 {
        for (n, ms) in [(1, 100), (2, 200), (3, 400), (4, 800)] {
            let line =
                format!("worker {w} failed with status 3; restarting it in {ms} ms (restart {n})");
            assert!(err.contains(&line), "{err}");
        }
        let line = format!("worker {w} failed 5 times in a row before it got going (status 3)");
        assert!(err.contains(&line), "{err}");
    }
    let o = run(
        wasio_run()
            .args(["--workers", "2", "--restart", "no"])
            .arg(wasm("limits"))
            .args(["exit", "3"]),
        Duration::from_secs(60),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!err.contains("restarting"), "{err}");
    for w in 0..2 {
        assert!(
            err.contains(&format!(
                "worker {w} exited with status 3; the others go on"
            )),
            "{err}"
        );
    }
    let o = run(
        wasio_run()
            .args(["--workers", "3", "--workers-fail-fast"])
            .arg(wasm("limits"))
            .args(["exit", "5"]),
        Duration::from_secs(60),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert_eq!(
        err.matches("stopping all (--workers-fail-fast)").count(),
        1,
        "{err}"
    );
}

/// A SIGTERM that reaches the process while one worker has not yet asked
/// for it (worker 0 has, so the process no longer dies of it) still
/// reaches that worker when it asks: both stop and the host exits 0.
#[test]
fn a_stop_before_a_worker_asks_still_reaches_it() {
    let mut child = wasio_run()
        .args(["--workers", "2"])
        .arg(wasm("late-signal"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "waiting 0\n");
    // Worker 1 asks a second from now.
    sigterm(child.id());
    let status = wait_for(&mut child, Duration::from_secs(60));
    let _ = child.kill();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}: {line}{rest}"
    );
    for w in ["stopped 0", "waiting 1", "stopped 1"] {
        assert!(rest.contains(w), "{w} missing: {line}{rest}");
    }
}

/// systemd socket activation: the listener at fd 3 (`LISTEN_FDS=1`,
/// `LISTEN_PID` the host's pid) is the guest's preopened listener.
#[test]
fn a_socket_activated_host_serves() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let argv = [
        wasio_bin().into(),
        "run".into(),
        "--cache-dir".into(),
        test_cache_dir().into(),
        wasm("echo-preopened").into(),
        "unused".into(),
        "3".into(),
    ];
    let mut c = socket_activated(&listener, &argv);
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(listener);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "listening\n");
    for i in 0..3u8 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&[i; 16]).unwrap();
        let mut back = [0u8; 16];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, [i; 16]);
    }
    assert!(child.wait().unwrap().success());
}
