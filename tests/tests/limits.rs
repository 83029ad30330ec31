//! The limits a hostile guest must not get around: one memory account
//! (memories, tables and host buffers together), every host fd counted,
//! `--timeout` bounding every host call (stdout, close, DNS, compiling),
//! and a trapping worker replaced while the service goes on.
//!
//! Memory is checked as the host process's peak RSS (from `wait4`)
//! against the same configuration running a guest that holds nothing:
//! the growth may be at most the limit, the host reserve and
//! [`RSS_SLACK`] (allocator and page-table noise).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wasio_tests::*;

/// Long enough for any run here; a host still running then is killed and
/// the test fails on its status.
const LIMIT: Duration = Duration::from_secs(30);
const MIB: u64 = 1 << 20;
/// What a host buffer may add past `--max-memory` (`limits::HOST_RESERVE`).
const HOST_RESERVE: u64 = MIB;
/// Noise allowed on top of the limit when comparing peak RSS.
const RSS_SLACK: u64 = 6 * MIB;

/// Runs `cmd` to its end (killed after [`LIMIT`]) and returns its output
/// and its peak resident memory in bytes.
// The child is reaped by `wait4` (which also gives its rusage), not by
// `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (Output, u64) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let flags = if start.elapsed() > LIMIT {
            let _ = child.kill();
            0
        } else {
            libc::WNOHANG
        };
        // SAFETY: `pid` is our child, not yet reaped (std never waited).
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4: {}", std::io::Error::last_os_error());
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    (output, usage.ru_maxrss as u64 * 1024)
}

/// Peak RSS of the host running `hog poll 1` (a guest that holds
/// nothing) with the same flags: the baseline growth is measured from.
fn baseline(flags: &[&str]) -> u64 {
    let (out, rss) = run_measured(wasio_run().args(flags).arg(wasm("hog")).args(["poll", "1"]));
    assert!(out.status.success(), "baseline: {}", stderr(&out));
    rss
}

fn assert_grew_at_most(what: &str, rss: u64, base: u64, limit: u64) {
    let grew = rss.saturating_sub(base);
    assert!(
        grew <= limit + HOST_RESERVE + RSS_SLACK,
        "{what}: the host grew by {} MiB over its {} MiB baseline under a {} MiB limit",
        grew / MIB,
        base / MIB,
        limit / MIB
    );
}

/// A module that exports one page as `memory`, imports `proc_exit`, has
/// `extra` more memories of one page, and whose `_start` is `body`.
fn module(
    extra_memories: u32,
    tables: &[u64],
    body: impl FnOnce(&mut wasm_encoder::Function),
) -> Vec<u8> {
    use wasm_encoder::*;
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], []);
    types.ty().function([], []);
    m.section(&types);
    let mut imports = ImportSection::new();
    imports.import(
        "wasi_snapshot_preview1",
        "proc_exit",
        EntityType::Function(0),
    );
    m.section(&imports);
    let mut funcs = FunctionSection::new();
    funcs.function(1);
    m.section(&funcs);
    if !tables.is_empty() {
        let mut t = TableSection::new();
        for &min in tables {
            t.table(TableType {
                element_type: RefType::FUNCREF,
                table64: false,
                minimum: min,
                maximum: None,
                shared: false,
            });
        }
        m.section(&t);
    }
    let mut mems = MemorySection::new();
    for _ in 0..=extra_memories {
        mems.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
    }
    m.section(&mems);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("_start", ExportKind::Func, 1);
    m.section(&exports);
    let mut f = Function::new([(1, ValType::I32)]);
    body(&mut f);
    f.instructions().end();
    let mut code = CodeSection::new();
    code.function(&f);
    m.section(&code);
    m.finish()
}

/// `_start` grows every memory by 1 MiB at a time, filling what it got
/// (so it is resident), until a growth is refused; then exits 0.
fn growing_memories(extra: u32) -> Vec<u8> {
    module(extra, &[], |f| {
        use wasm_encoder::BlockType;
        for mem in 0..=extra {
            let mut s = f.instructions();
            s.block(BlockType::Empty).loop_(BlockType::Empty);
            // old = memory.grow(16 pages); -1 ends this memory's loop.
            s.i32_const(16).memory_grow(mem).local_tee(0);
            s.i32_const(-1).i32_eq().br_if(1);
            // fill(old * 64 KiB, 1, 1 MiB)
            s.local_get(0).i32_const(65536).i32_mul();
            s.i32_const(1).i32_const(1 << 20).memory_fill(mem);
            s.br(0).end().end();
        }
        f.instructions().i32_const(0).call(0);
    })
}

fn write_module(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `--max-memory` bounds all memories together: four memories that grow
/// until refused stop at the limit (the guest traps, naming the flag), and
/// the host grows by no more than the limit. (Before, each memory had the
/// whole limit to itself.)
#[test]
fn memories_share_one_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let four = write_module(tmp.path(), "four.wasm", &growing_memories(3));
    let flags = ["--max-memory", "16M"];
    let base = baseline(&flags);
    let (out, rss) = run_measured(wasio_run().args(flags).arg(&four));
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("beyond --max-memory"),
        "{}",
        stderr(&out)
    );
    assert_grew_at_most("four growing memories", rss, base, 16 * MIB);
    // 32 memories are refused outright: each has a fixed cost of its own.
    let many = write_module(tmp.path(), "many.wasm", &growing_memories(31));
    let out = run(wasio_run().args(flags).arg(&many), LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot instantiate"),
        "{}",
        stderr(&out)
    );
}

/// Table elements are host memory too: a `table.grow` of 64 Mi elements
/// (512 MiB of host memory) under `--max-memory 2M` returns -1, and
/// tables that start that large are refused at instantiation.
#[test]
fn tables_count_against_the_memory_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let grow = module(0, &[1], |f| {
        let mut s = f.instructions();
        s.ref_null(wasm_encoder::HeapType::FUNC)
            .i32_const(64 << 20)
            .table_grow(0);
        // Exit 0 when the growth was refused, 1 when granted.
        s.i32_const(-1).i32_ne().call(0);
    });
    let grow = write_module(tmp.path(), "grow.wasm", &grow);
    let flags = ["--max-memory", "2M"];
    let base = baseline(&flags);
    let (out, rss) = run_measured(wasio_run().args(flags).arg(&grow));
    assert_eq!(out.status.code(), Some(0), "granted: {}", stderr(&out));
    assert_grew_at_most("table.grow", rss, base, 2 * MIB);
    let big = module(0, &[16 << 20; 8], |f| {
        f.instructions().i32_const(0).call(0);
    });
    let big = write_module(tmp.path(), "big.wasm", &big);
    let out = run(wasio_run().args(flags).arg(&big), LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot instantiate"),
        "{}",
        stderr(&out)
    );
}

/// A gather `send_to` of 1024 buffers that all point at one 1 MiB block
/// makes no host copy: the datagram is refused as too large (`MSGSIZE`)
/// and the host does not grow. (Before: a 1 GiB host allocation.)
#[test]
fn a_gathered_datagram_is_not_copied() {
    let flags = [
        "--max-memory",
        "8M",
        "--allow-udp-bind",
        "127.0.0.1",
        "--allow-udp-send",
        "127.0.0.1",
    ];
    let base = baseline(&flags);
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port().to_string();
    let (out, rss) = run_measured(
        wasio_run()
            .args(flags)
            .arg(wasm("hog"))
            .args(["send-to", &port, "1"]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("send-to: sent 0, MSGSIZE"),
        "{}",
        stdout(&out)
    );
    assert_grew_at_most("send_to", rss, base, 8 * MIB);
}

/// `fd_readdir` snapshots are charged: 300 listings of a 20,000-entry
/// directory under way at once stop with `NOMEM` at the limit, and the
/// host grows by no more than it. (Before: 1.4 GiB.)
#[test]
fn directory_listings_are_charged() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..20_000 {
        std::fs::File::create(tmp.path().join(format!("entry-{i:05}"))).unwrap();
    }
    let dir = format!("{}::/big", tmp.path().display());
    let flags = ["--max-memory", "16M", "--dir", dir.as_str()];
    let base = baseline(&flags);
    let (out, rss) = run_measured(
        wasio_run()
            .args(flags)
            .arg(wasm("hog"))
            .args(["readdir", "/big", "300"]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("then NOMEM"), "{text}");
    assert_grew_at_most("300 listings", rss, base, 16 * MIB);
}

/// The host's copy of a `poll_oneoff` subscription list is charged too.
#[test]
fn a_huge_wait_is_charged() {
    let out = run(
        wasio_run()
            .args(["--max-memory", "24M"])
            .arg(wasm("hog"))
            .args(["poll", "200000"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Some(\"NOMEM\")"), "{}", stdout(&out));
    let out = run(wasio_run().arg(wasm("hog")).args(["poll", "1000"]), LIMIT);
    assert!(
        stdout(&out).contains("poll: 1000 events, None"),
        "{}",
        stdout(&out)
    );
}

/// Signal fds are released by `fd_close` (100,000 made and closed under
/// `--max-fds 64`: before, the host ran out of fds near 20,000) and
/// count against `--max-fds`, both of their host fds.
#[test]
fn signal_fds_are_counted_and_released() {
    let out = run(
        wasio_run()
            .args(["--max-fds", "64"])
            .arg(wasm("hog"))
            .args(["signal-fds", "100000"]),
        Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("100000 made and closed, then ok"),
        "{}",
        stdout(&out)
    );
}

fn assert_timed_out(out: &Output) {
    assert_eq!(out.status.code(), Some(124), "{}", stderr(out));
    assert!(stderr(out).contains("time limit"), "{}", stderr(out));
}

/// Writing 8 MiB to a stdout pipe whose reader never reads ends at the
/// deadline, alone and under `--workers` (before: 25 s under
/// `--timeout 2`, and no limit at all under `--workers`).
#[test]
fn a_stalled_stdout_ends_at_the_deadline() {
    for workers in [None, Some("2")] {
        let (r, w) = std::io::pipe().unwrap();
        let mut c = wasio_run();
        c.args(["--timeout", "2"]);
        if let Some(n) = workers {
            c.args(["--workers", n]);
        }
        c.arg(wasm("hog"))
            .args(["stdout", "8"])
            .stdin(Stdio::null())
            .stdout(w)
            .stderr(Stdio::piped());
        let child = c.spawn().unwrap();
        drop(c); // our copy of the pipe's write end
        let out = wait_output(child, LIMIT);
        drop(r); // read nothing, until the host has ended
        assert_timed_out(&out);
    }
}

/// Closing a socket the guest asked to linger on for 30 s, with a peer
/// that never reads, does not block the host: the guest sees its linger
/// and closes at once (before: close blocked 30 s, past `--timeout 3`).
#[test]
fn a_lingering_close_does_not_block() {
    let peer = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = peer.local_addr().unwrap().port().to_string();
    let hold = std::thread::spawn(move || {
        let (c, _) = peer.accept().unwrap();
        std::thread::sleep(Duration::from_secs(8));
        drop(c);
    });
    let out = run(
        wasio_run()
            .args(["--timeout", "3", "--allow-connect", "127.0.0.1"])
            .arg(wasm("hog"))
            .args(["linger", &port, "64"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("linger: set to 30 s"), "{text}");
    assert!(text.contains("linger: closed, Ok(())"), "{text}");
    hold.join().unwrap();
}

/// A name lookup against a resolver that never answers ends at the
/// deadline, and without one after the lookup's own bound (`TIMEDOUT`).
/// The resolver is a silent UDP and TCP port 53 on 127.0.0.77, given to
/// the host through a private mount of `/etc/resolv.conf` (root and
/// `unshare` needed; without them the test says it was skipped).
#[test]
fn a_silent_resolver_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("resolv.conf");
    std::fs::write(
        &conf,
        "nameserver 127.0.0.77\noptions timeout:5 attempts:3\n",
    )
    .unwrap();
    let (Ok(_udp), Ok(_tcp)) = (
        std::net::UdpSocket::bind("127.0.0.77:53"),
        TcpListener::bind("127.0.0.77:53"),
    ) else {
        skipped(
            "a_silent_resolver_is_bounded",
            "cannot bind 127.0.0.77:53 (not root?)",
        );
        return;
    };
    let probe = Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !probe {
        skipped(
            "a_silent_resolver_is_bounded",
            "`unshare -m` is not available here",
        );
        return;
    }
    let host = |extra: &str| {
        let cache = test_cache_dir();
        let mut c = Command::new("unshare");
        c.args(["-m", "sh", "-c"]).arg(format!(
            "mount --bind {} /etc/resolv.conf && exec {} run --cache-dir {} {extra} --allow-dns {} resolve silent.example",
            conf.display(),
            wasio_bin().display(),
            cache.display(),
            wasm("hog").display()
        ));
        c
    };
    let out = run(&mut host("--timeout 2"), LIMIT);
    assert_timed_out(&out);
    let out = run(&mut host(""), LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("TimedOut"), "{}", stdout(&out));
}

/// A module that takes longer to compile than `--timeout` allows is
/// stopped while it compiles (before: compiled for seconds, then ran).
#[test]
fn compiling_counts_against_the_timeout() {
    use wasm_encoder::*;
    let tmp = tempfile::tempdir().unwrap();
    // 3,000 functions of 1,000 instructions each: seconds of Cranelift.
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], []);
    m.section(&types);
    let mut funcs = FunctionSection::new();
    let n = 3000;
    for _ in 0..n {
        funcs.function(0);
    }
    funcs.function(1);
    m.section(&funcs);
    let mut mems = MemorySection::new();
    mems.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&mems);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("_start", ExportKind::Func, n);
    m.section(&exports);
    let mut code = CodeSection::new();
    for i in 0..n {
        let mut f = Function::new([]);
        let mut s = f.instructions();
        s.local_get(0);
        for k in 0..250 {
            s.i32_const(k ^ i as i32).i32_add().i32_const(3).i32_mul();
        }
        s.end();
        code.function(&f);
    }
    let mut start = Function::new([]);
    start.instructions().end();
    code.function(&start);
    m.section(&code);
    let slow = write_module(tmp.path(), "slow.wasm", &m.finish());
    let out = run(
        Command::new(wasio_bin())
            .args(["run", "--no-cache", "--timeout", "0.2"])
            .arg(&slow),
        LIMIT,
    );
    assert_timed_out(&out);
    assert!(
        stderr(&out).contains("while it was being compiled"),
        "{}",
        stderr(&out)
    );
}

/// `--workers 2` with a guest that traps on a request: 100 such requests,
/// and a good client alongside gets every answer (retrying a request
/// only when its connection ended with no answer: it was in flight on
/// the instance that trapped, or queued on its listener while it was
/// replaced); the log counts every restart.
#[test]
fn a_trapping_worker_is_replaced() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = wasio_run()
        .args(["--workers", "2", "--allow-listen", "127.0.0.1"])
        .arg(wasm("crash-server"))
        .arg(&addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log is read as it comes: a full pipe would stall the host.
    let mut err = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        let l = lines.next().unwrap().unwrap();
        assert!(l.starts_with("listening on"), "{l}");
    }
    let request = move |line: &str| -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(line.as_bytes()).ok()?;
        let mut answer = String::new();
        BufReader::new(s).read_line(&mut answer).ok()?;
        (!answer.is_empty()).then_some(answer)
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let good = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut answered, mut retries) = (0u32, 0u32);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || answered < 20 {
                let mut tries = 0;
                loop {
                    match request("hello\n") {
                        Some(a) => {
                            assert!(a.starts_with("ok "), "{a:?}");
                            break;
                        }
                        None => {
                            tries += 1;
                            retries += 1;
                            assert!(tries < 20, "a good request failed 20 times");
                        }
                    }
                }
                answered += 1;
            }
            (answered, retries)
        })
    };
    for _ in 0..100 {
        // No answer: the instance that took it trapped.
        assert_eq!(request("crash\n"), None);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answered, retries) = good.join().unwrap();
    assert_eq!(
        request("after\n").as_deref().map(|a| a.starts_with("ok ")),
        Some(true)
    );
    let _ = child.kill();
    let _ = child.wait();
    let log = log.join().unwrap();
    let restarts = log.matches("; restarting it in ").count();
    assert_eq!(restarts, 100, "{log}");
    eprintln!("good client: {answered} answers, {retries} retries");
}

/// One instance can ask for restarts too: `--restart on-failure` starts a
/// guest that fails as it starts again, with a growing delay, five times
/// in a row, then gives up with its status.
#[test]
fn a_single_instance_restarts_on_request() {
    let out = run(
        wasio_run()
            .args(["--restart", "on-failure"])
            .arg(wasm("limits"))
            .args(["exit", "7"]),
        LIMIT,
    );
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{log}");
    assert_eq!(log.matches("; restarting it in ").count(), 4, "{log}");
    assert!(
        log.contains("failed 5 times in a row before it got going"),
        "{log}"
    );
}

/// Host fds of a `hog signal-fds N hold` run once it holds them, and the
/// line it printed.
fn fds_while_holding_signal_fds(max_fds: &str, n: &str) -> (usize, String) {
    let mut child = wasio_run()
        .args(["--max-fds", max_fds])
        .arg(wasm("hog"))
        .args(["signal-fds", n, "hold"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fds = wasio_tests::soak::proc_fds(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (fds, line)
}

/// Under `--max-fds 64` a guest holding as many signal fds as it can
/// gets `EMFILE` once they and its stdio fill 64 host fds: the host holds
/// at most 64 fds for it beyond its own fixed set (measured with none).
#[test]
fn signal_fds_fit_in_max_fds() {
    let (fixed, line) = fds_while_holding_signal_fds("64", "0");
    assert_eq!(line.trim(), "signal-fds: 0 held, then ok");
    let (fds, line) = fds_while_holding_signal_fds("64", "100000");
    // 3 stdio fds, then two host fds a signal fd: 30 fit in 64.
    assert_eq!(line.trim(), "signal-fds: 30 held, then MFILE");
    assert!(
        fds <= fixed + 64,
        "{fds} host fds, {fixed} of them the host's own"
    );
    assert!(
        fds >= fixed + 60,
        "{fds} host fds: the signal fds were not all held"
    );
}
