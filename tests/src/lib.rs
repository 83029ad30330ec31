//! Helpers shared by wasio's end-to-end tests and its conformance runner:
//! where the built binaries are, and how to run a guest under `wasio run`.

pub mod conformance;
pub mod soak;
pub mod tokio_conformance;

use std::path::PathBuf;

/// The cargo target directory this crate was built into (wherever it is:
/// `target/`, or `$CARGO_TARGET_DIR`). Test binaries live in
/// `<target>/<profile>/deps/`, other binaries in `<target>/<profile>/`.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    if dir.file_name().is_some_and(|n| n == profile()) && dir.pop() {
        return dir;
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => d.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// Build profile directory name (`debug` or `release`) of this binary.
pub fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The `wasio` host binary: `$WASIO`, else the one built beside us.
pub fn wasio_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("WASIO") {
        return p.into();
    }
    target_dir().join(profile()).join("wasio")
}

/// The wasm32-wasip1 build of example `name`.
pub fn wasm_example(name: &str) -> PathBuf {
    target_dir()
        .join("wasm32-wasip1")
        .join(profile())
        .join(format!("{name}.wasm"))
}

/// The wasm32-wasip2 build (a WASI 0.2 component) of `guest-p2`'s
/// program `name`, checked to exist.
pub fn component(name: &str) -> PathBuf {
    let p = target_dir()
        .join("wasm32-wasip2")
        .join(profile())
        .join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: build the guests first with `make test`",
        p.display()
    );
    p
}

/// The native build of example `name`.
pub fn native_example(name: &str) -> PathBuf {
    target_dir().join(profile()).join(name)
}

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Compiled-code cache shared by the tests (compiling each guest once).
pub fn test_cache_dir() -> PathBuf {
    target_dir().join("wasio-test-cache")
}

/// Whether the stress tests run in full: `make soak` sets
/// `WASIO_STRESS=full`; `make test` runs their short forms (the same
/// checks at a smaller count).
pub fn full_stress() -> bool {
    std::env::var("WASIO_STRESS").is_ok_and(|v| v == "full")
}

/// `short`, or `full` under [`full_stress`].
pub fn stress<T>(short: T, full: T) -> T {
    if full_stress() {
        full
    } else {
        short
    }
}

/// `wasio run --cache-dir <shared> ` ready for more flags.
pub fn wasio_run() -> Command {
    let bin = wasio_bin();
    assert!(
        bin.is_file(),
        "{} is missing: build everything first with `make test`",
        bin.display()
    );
    let mut c = Command::new(bin);
    c.arg("run").arg("--cache-dir").arg(test_cache_dir());
    c.env_remove("RUST_LOG");
    c
}

/// Path of a wasm example, checked to exist.
pub fn wasm(name: &str) -> PathBuf {
    let p = wasm_example(name);
    assert!(
        p.is_file(),
        "{} is missing: build the guests first with `make test`",
        p.display()
    );
    p
}

/// Path of a native example, checked to exist.
pub fn native(name: &str) -> PathBuf {
    let p = native_example(name);
    assert!(
        p.is_file(),
        "{} is missing: build the workspace first with `make test`",
        p.display()
    );
    p
}

/// Runs `cmd` with `input` on stdin, killing it after `limit`.
pub fn run_with_input(cmd: &mut Command, input: &[u8], limit: Duration) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = wait_output(child, limit);
    let _ = feeder.join();
    out
}

/// Runs `cmd` with an empty stdin, killing it after `limit`.
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    run_with_input(cmd, b"", limit)
}

/// Collects a child's output, killing it after `limit` (the test then
/// fails on the status rather than hanging).
pub fn wait_output(mut child: Child, limit: Duration) -> Output {
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(s) = so.as_mut() {
            let _ = s.read_to_end(&mut v);
        }
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(s) = se.as_mut() {
            let _ = s.read_to_end(&mut v);
        }
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A sorted listing of a tree: path, kind and contents (or link target),
/// for comparing what two runs left behind.
pub fn snapshot(root: &std::path::Path) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            let rel = p
                .strip_prefix(base)
                .expect("under base")
                .display()
                .to_string();
            let t = e.file_type().expect("file_type");
            if t.is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&p).expect("link").display()
                ));
            } else if t.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &p, out);
            } else {
                let data = std::fs::read(&p).expect("read");
                let sum: u64 = data.iter().map(|&b| b as u64).sum();
                out.push(format!("{rel} ({} bytes, sum {sum})", data.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// Connects to 127.0.0.1:`port`, retrying for up to 30 s while the server
/// starts; reads time out after 60 s so a broken server fails the test.
pub fn connect(port: u16) -> std::net::TcpStream {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(60)))
                    .expect("timeout");
                return s;
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot connect to port {port}: {e}"),
        }
    }
}

/// An example server started for a test: its process, its stdout (after
/// the `listening on ADDR` line) and that address. Killed when dropped, so
/// a failing test leaves no server behind.
pub struct Server {
    /// The server process.
    pub child: Child,
    /// The rest of its stdout.
    pub out: BufReader<ChildStdout>,
    /// What it printed after `listening on `.
    pub addr: String,
}

impl Server {
    /// Starts example `name` (wasm under wasio with `grants`, or native)
    /// and waits for its `listening on ADDR` line.
    pub fn start(name: &str, wasm_build: bool, grants: &[&str], args: &[&str]) -> Server {
        let mut cmd = if wasm_build {
            let mut c = wasio_run();
            c.args(grants).arg(wasm(name));
            c
        } else {
            Command::new(native(name))
        };
        cmd.args(args);
        Server::spawn(name, cmd)
    }

    /// Spawns `cmd` (stdout piped) and waits for `listening on ADDR`.
    pub fn spawn(name: &str, mut cmd: Command) -> Server {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn server");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("server stdout");
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{name}: unexpected first line {line:?}"))
            .trim()
            .to_string();
        Server { child, out, addr }
    }

    /// The address as a socket address.
    pub fn sock(&self) -> std::net::SocketAddr {
        self.addr.parse().expect("server address")
    }

    /// Waits for a successful exit; returns the rest of stdout.
    pub fn finish(mut self) -> String {
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).expect("server stdout");
        let st = self.child.wait().expect("wait for server");
        assert!(st.success(), "server exited with {st}");
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Says, where the person running the tests sees it, that `test` did not
/// run its real check and why: written to the process's stderr directly,
/// past the test harness's capture (which would hide an `eprintln!` of a
/// passing test), so a skip is never a silent pass.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// `argv` started as systemd starts a socket-activated service: `listener`
/// becomes its fd 3, with `LISTEN_FDS=1` and `LISTEN_PID` set to the
/// process's own pid (a shell moves the fd and `exec`s, so the pid is the
/// service's). Drop the listener after spawning: the child holds it.
pub fn socket_activated(listener: &std::net::TcpListener, argv: &[std::ffi::OsString]) -> Command {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let lfd = listener.as_raw_fd();
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(if lfd == 3 {
            r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#.to_string()
        } else {
            format!(r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@" 3<&{lfd} {lfd}<&-"#)
        })
        .args(argv);
    // SAFETY: only fcntl (async-signal-safe) runs between fork and exec;
    // it lets the listener survive exec.
    unsafe {
        c.pre_exec(move || {
            let l = std::os::fd::BorrowedFd::borrow_raw(lfd);
            rustix::io::fcntl_setfd(l, rustix::io::FdFlags::empty())?;
            Ok(())
        });
    }
    c
}

/// Waits up to `limit` for `child` to exit; `None` if it is still running.
pub fn wait_for(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The status code of an HTTP/1 response's text (panics on anything else).
pub fn http_status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}
