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
