//! Scale without cost: an idle server with 5,000 open connections (15,000
//! in `make soak`'s full form) and a 100 ms timer stays idle under `wasio run` — its waits list none of the
//! connections (`wasio_poll_v1` keeps them in the host), so ten wake-ups
//! a second cost next to nothing. CPU time, not wall time, is asserted.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use wasio_tests::*;

/// User + system CPU time of process `pid`, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}

/// CPU ticks the server used in 3 s with `conns` idle connections.
fn idle_cost(extra: &[&str], conns: usize) -> u64 {
    let mut c = wasio_run();
    c.args(["--allow-listen", "127.0.0.1"])
        .args(extra)
        .arg(wasm("idle-server"))
        .arg("127.0.0.1:0");
    let srv = Server::spawn("idle-server", c);
    let held: Vec<TcpStream> = (0..conns)
        .map(|i| TcpStream::connect(&srv.addr).unwrap_or_else(|e| panic!("connection {i}: {e}")))
        .collect();
    // Every connection is accepted and served: the last one echoes.
    let mut last = held.last().unwrap();
    last.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    last.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    last.read_exact(&mut b).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(srv.child.id());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(srv.child.id()) - before;
    drop(held);
    used
}

#[test]
fn thousands_of_idle_connections_stay_idle() {
    raise_fd_limit();
    let conns = stress(5000, 15_000);
    let used = idle_cost(&[], conns);
    let oneoff = idle_cost(&["--env", "WASIO_WAIT=poll_oneoff"], conns);
    eprintln!("CPU in 3 s with {conns} idle connections: {used} ticks with wasio_poll_v1, {oneoff} with poll_oneoff");
    // 30 wake-ups in 3 s: well under 1 % of a core (3 ticks).
    assert!(used <= 3, "{used} ticks of CPU in 3 s while idle");
}
