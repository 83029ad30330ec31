//! Regression tests for what an attacker or an operator found: blocking
//! calls that `--timeout` could not stop, the host's stdio seekable from
//! inside, guest pointer arithmetic at the top of memory, host flags taken
//! from the guest's arguments, and the host's own open-file limit.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use wasio_tests::*;

/// Long enough for any run here; a host that does not stop on its own is
/// killed at this point and the test fails on its status.
const LIMIT: Duration = Duration::from_secs(30);

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo");
    assert!(st.success(), "mkfifo {}", p.display());
}

fn boxed_copy(b: &Path, from: &str, to: &str) -> Command {
    let mut c = wasio_run();
    c.args(["--timeout", "1", "--dir"])
        .arg(format!("{}::/box", b.display()))
        .arg(wasm("copy"))
        .args([from, to]);
    c
}

fn assert_timed_out(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(124),
        "expected the --timeout exit; stderr: {}",
        stderr(out)
    );
    assert!(stderr(out).contains("timeout"), "{}", stderr(out));
}

/// Opening a FIFO for reading blocks until a writer comes: `--timeout`
/// must stop it (it used to block for ever).
#[test]
fn timeout_stops_a_guest_opening_a_fifo_without_writer() {
    let tmp = tempfile::tempdir().unwrap();
    mkfifo(&tmp.path().join("fifo"));
    let out = run(&mut boxed_copy(tmp.path(), "/box/fifo", "/box/out"), LIMIT);
    assert_timed_out(&out);
}

/// Opening a FIFO for writing blocks until a reader comes.
#[test]
fn timeout_stops_a_guest_opening_a_fifo_without_reader() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("in"), "data").unwrap();
    mkfifo(&tmp.path().join("fifo"));
    let out = run(&mut boxed_copy(tmp.path(), "/box/in", "/box/fifo"), LIMIT);
    assert_timed_out(&out);
}

/// A writer that holds the FIFO open and never writes: the read blocks,
/// and `--timeout` must stop it.
#[test]
fn timeout_stops_a_guest_reading_a_silent_fifo() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        // Blocks until the guest opens the read end, then stays silent.
        let f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let _ = rx.recv();
        drop(f);
    });
    let out = run(&mut boxed_copy(tmp.path(), "/box/fifo", "/box/out"), LIMIT);
    tx.send(()).unwrap();
    // A guest stopped before it opened the FIFO (a loaded machine) leaves
    // the writer blocked in `open`: a reader of our own releases it.
    let _release = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(tmp.path().join("fifo"));
    writer.join().unwrap();
    assert_timed_out(&out);
}

/// FIFOs still work as FIFOs: data written by a host process arrives,
/// and the writer closing is the end of the file.
#[test]
fn a_fifo_carries_data_into_the_guest() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sent = data.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        for chunk in sent.chunks(10_000) {
            f.write_all(chunk).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let mut c = wasio_run();
    c.arg("--dir")
        .arg(format!("{}::/box", tmp.path().display()))
        .arg(wasm("copy"))
        .args(["/box/fifo", "/box/out"]);
    let out = run(&mut c, LIMIT);
    writer.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(tmp.path().join("out")).unwrap(), data);
}

/// With stdout and stderr redirected to files, the guest can neither seek
/// them nor grow them into huge sparse files (it made a 1 TiB log).
#[test]
fn the_hosts_stdio_cannot_be_seeked_even_when_it_is_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, e) = (tmp.path().join("out.log"), tmp.path().join("err.log"));
    let status = wasio_run()
        .arg("--dir")
        .arg(format!("{}::/box", tmp.path().display()))
        .arg(wasm("hostile"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&o).unwrap();
    let spipe = 70;
    for line in [
        "fd_seek stdout to 1 TiB",
        "fd_seek stderr to 1 TiB",
        "fd_tell stdout",
    ] {
        assert!(
            text.contains(&format!("{line}: {spipe}\n")),
            "{line}: {text}"
        );
    }
    assert!(text.ends_with("host survived\n"), "{text}");
    for log in [&o, &e] {
        let len = std::fs::metadata(log).unwrap().len();
        assert!(len < 64 * 1024, "{} grew to {len} bytes", log.display());
    }
    let err = std::fs::read_to_string(&e).unwrap();
    assert_eq!(err, "stderr after the seek attempts\n");
}

/// Results pointed at the last bytes of a 4 GiB memory: the host must
/// answer FAULT, not wrap around to address 0 (or panic, in a debug host);
/// a poll with millions of subscriptions is refused before the host
/// allocates for them.
#[test]
fn pointers_at_the_top_of_memory_are_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        wasio_run()
            .args(["--env", "A=1", "--env", "B=2", "--dir"])
            .arg(format!("{}::/box", tmp.path().display()))
            .arg(wasm("hostile"))
            .args(["top", "second-arg"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (fault, inval) = (21, 28);
    for (line, errno) in [
        ("args_get argv at the top", fault),
        ("environ_get environ at the top", fault),
        ("args_get buffer at the top", fault),
        ("poll_oneoff two million subscriptions", inval),
    ] {
        assert!(
            text.contains(&format!("{line}: {errno}\n")),
            "missing `{line}: {errno}` in:\n{text}"
        );
    }
    assert!(text.ends_with("host survived\n"), "{text}");
}

/// Everything after MODULE is the guest's: `--timeout 5` and `--help`
/// there are arguments, not host flags.
#[test]
fn everything_after_the_module_goes_to_the_guest() {
    let out = run(
        wasio_run()
            .arg(wasm("args-env"))
            .args(["--timeout", "5", "x", "--help", "--dir", "/"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "arg[1]=--timeout\narg[2]=5\narg[3]=x\narg[4]=--help\narg[5]=--dir\narg[6]=/\nargc=7\n"
    );
}

/// Runs `wasio run ARGS` under `sh` with the given `ulimit -n` settings.
fn with_ulimit(limits: &str, args: &[String]) -> std::process::Output {
    let mut script = format!("{limits} && exec \"$0\" run --cache-dir \"$1\"");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${}\"", i + 2));
    }
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(script)
        .arg(wasio_bin())
        .arg(test_cache_dir())
        .args(args)
        .env_remove("RUST_LOG");
    run(&mut c, LIMIT)
}

/// With the usual soft limit of a few hundred files and a higher hard
/// limit, the host raises its own limit so the guest gets its --max-fds.
#[test]
fn the_host_raises_its_open_file_limit() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), "x").unwrap();
    let args = [
        "--max-fds".to_string(),
        "1000".into(),
        "--dir".into(),
        format!("{}::/d", tmp.path().display()),
        wasm("limits").display().to_string(),
        "fds".into(),
        "/d/f".into(),
    ];
    let out = with_ulimit("ulimit -Sn 200 && ulimit -Hn 4096", &args);
    assert!(out.status.success(), "{}", stderr(&out));
    // 1000 = stdin, stdout, stderr, the preopen, and 996 files.
    assert_eq!(stdout(&out), "opened 996, then EMFILE\n");
    assert!(
        !stderr(&out).contains("cannot be reached"),
        "{}",
        stderr(&out)
    );

    // A hard limit below --max-fds is named, with what the guest can get.
    let out = with_ulimit("ulimit -Sn 300 && ulimit -Hn 300", &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--max-fds 1000 cannot be reached: the host may open only 300 files"),
        "{}",
        stderr(&out)
    );
    let opened: usize = stdout(&out)
        .strip_prefix("opened ")
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", stdout(&out)));
    assert!((200..300).contains(&opened), "{}", stdout(&out));
}

/// A Unix socket inside a `--dir-ro` preopen cannot be connected to
/// (read-only means nothing under it is written to, a server behind a
/// socket file included); under `--dir` it can.
#[test]
fn a_read_only_preopen_forbids_connecting_to_its_sockets() {
    let tmp = tempfile::tempdir().unwrap();
    let listener = std::os::unix::net::UnixListener::bind(tmp.path().join("s.sock")).unwrap();
    listener.set_nonblocking(true).unwrap();
    for (flag, expect) in [
        ("--dir-ro", "unix-connect: ENOTCAPABLE"),
        ("--dir", "unix-connect: ok"),
    ] {
        let out = run(
            wasio_run()
                .arg(flag)
                .arg(format!("{}::/sock", tmp.path().display()))
                .arg(wasm("hog"))
                .args(["unix-connect", "/sock/s.sock"]),
            LIMIT,
        );
        assert_eq!(stdout(&out).trim(), expect, "{flag}: {}", stderr(&out));
    }
    // Exactly one connection arrived: the `--dir` one.
    let mut got = 0;
    while listener.accept().is_ok() {
        got += 1;
    }
    assert_eq!(got, 1);
}

/// Preopens are numbered from fd 3 in command-line order, whichever of
/// `--dir` and `--dir-ro` gave each.
#[test]
fn preopens_are_numbered_in_command_line_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| {
        let p = tmp.path().join(n);
        std::fs::create_dir(&p).unwrap();
        format!("{}::/{n}", p.display())
    };
    let out = run(
        wasio_run()
            .args([
                "--dir-ro",
                &d("a"),
                "--dir",
                &d("b"),
                "--dir-ro",
                &d("c"),
                "--dir",
                &d("d"),
            ])
            .arg(wasm("hog"))
            .arg("preopens"),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "fd 3: /a\nfd 4: /b\nfd 5: /c\nfd 6: /d\n");
}

/// `--tcplisten` sockets are bound before the module is compiled, so a
/// client started right after `wasio run` finds the port open even on a
/// first (uncached) run: the host logs the listener before the module.
#[test]
fn listeners_are_bound_before_compiling() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(
        Command::new(wasio_bin())
            .args(["run", "--cache-dir"])
            .arg(cache.path())
            .args(["--tcplisten", "127.0.0.1:0"])
            .arg(wasm("hog"))
            .arg("preopens")
            .env("RUST_LOG", "wasio_host=info"),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let listener = log.find("preopened listener").expect("listener logged");
    let module = log.find("program ready").expect("program logged");
    assert!(listener < module, "{log}");
}
