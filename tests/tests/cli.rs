//! The `wasio` command line: flags, errors, exit statuses, limits, cache.

use std::process::Command;
use std::time::{Duration, Instant};

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

fn wasio() -> Command {
    let mut c = Command::new(wasio_bin());
    c.env_remove("RUST_LOG");
    c
}

#[test]
fn version_and_help() {
    let out = run(wasio().arg("--version"), LIMIT);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("wasio {}", env!("CARGO_PKG_VERSION"))
    );
    let out = run(wasio().args(["run", "--help"]), LIMIT);
    assert!(out.status.success());
    let help = stdout(&out);
    for flag in [
        "--dir",
        "--dir-ro",
        "--env",
        "--inherit-env",
        "--tcplisten",
        "--max-memory",
        "--max-fds",
        "--timeout",
        "--no-cache",
        "--cache-dir",
        "--unknown-imports",
    ] {
        assert!(help.contains(flag), "run --help does not document {flag}");
    }
}

#[test]
fn clear_errors_at_the_edge() {
    let out = run(wasio().args(["run", "/nonexistent/guest.wasm"]), LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read /nonexistent/guest.wasm"),
        "{}",
        stderr(&out)
    );

    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.wasm");
    std::fs::write(&junk, "#!/bin/sh\necho not wasm\n").unwrap();
    let out = run(wasio().arg("run").arg(&junk), LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a WebAssembly module"),
        "{}",
        stderr(&out)
    );

    let broken = tmp.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x01\0\0\0\x99garbage").unwrap();
    let out = run(wasio().arg("run").arg(&broken), LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a valid WebAssembly module"),
        "{}",
        stderr(&out)
    );

    let out = run(
        wasio()
            .args(["run", "--max-memory", "lots"])
            .arg(wasm("limits")),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a size"), "{}", stderr(&out));

    let out = run(
        wasio().args(["run", "--timeout", "-3"]).arg(wasm("limits")),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));

    let out = run(
        wasio()
            .args(["run", "--dir", "/nonexistent-dir::/x"])
            .arg(wasm("limits")),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));

    let out = run(
        wasio()
            .args(["run", "--tcplisten", "not-an-address"])
            .arg(wasm("limits")),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--tcplisten not-an-address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_status_and_traps() {
    let out = run(wasio_run().arg(wasm("limits")).args(["exit", "42"]), LIMIT);
    assert_eq!(out.status.code(), Some(42));
    let out = run(wasio_run().arg(wasm("limits")).args(["exit", "0"]), LIMIT);
    assert_eq!(out.status.code(), Some(0));
    let out = run(wasio_run().arg(wasm("limits")).arg("trap"), LIMIT);
    assert_eq!(out.status.code(), Some(134));
    let err = stderr(&out);
    assert!(err.contains("deliberate trap"), "{err}");
    assert!(err.contains("wasm backtrace"), "{err}");
    // `limits::main`, or with v0 mangling `limits[HASH]::main`.
    assert!(
        err.lines()
            .any(|l| l.contains("limits") && l.contains("::main")),
        "backtrace names functions: {err}"
    );
}

/// `WASIO_PROFILE=perfmap` writes the perf map naming the guest's
/// functions; any other value is refused with a message.
#[test]
fn profile_writes_a_perf_map() {
    let mut c = wasio_run();
    c.env("WASIO_PROFILE", "perfmap");
    let child = c
        .arg(wasm("limits"))
        .args(["exit", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&map).unwrap_or_default();
    let _ = std::fs::remove_file(&map);
    assert!(
        text.lines().any(|l| l.ends_with(" _start")),
        "{} names the guest's functions: {text:.300}",
        map.display()
    );
    let out = run(
        wasio_run()
            .env("WASIO_PROFILE", "vtune")
            .arg(wasm("limits"))
            .args(["exit", "0"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("WASIO_PROFILE=vtune: the one profiler is `perfmap`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn timeout_stops_a_spinning_guest() {
    let started = Instant::now();
    let out = run(
        wasio_run()
            .args(["--timeout", "500ms"])
            .arg(wasm("limits"))
            .args(["spin", "30"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ran past its time limit"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn timeout_stops_a_guest_blocked_in_the_host() {
    // Sleeping is a poll_oneoff inside the host, where epochs cannot reach.
    let out = run(
        wasio_run()
            .args(["--timeout", "300ms"])
            .arg(wasm("limits"))
            .args(["sleep", "30"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(!stdout(&out).contains("slept"));
    // A blocking accept() with nobody connecting.
    let out = run(
        wasio_run()
            .args(["--timeout", "300ms", "--tcplisten", "127.0.0.1:0"])
            .arg(wasm("echo-blocking")),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    // Within the limit, the guest finishes normally.
    let out = run(
        wasio_run()
            .args(["--timeout", "30"])
            .arg(wasm("limits"))
            .args(["sleep", "1"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "slept\n");
}

#[test]
fn max_memory_is_enforced_with_a_message() {
    let out = run(
        wasio_run()
            .args(["--max-memory", "16M"])
            .arg(wasm("limits"))
            .args(["alloc", "64"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(134));
    assert!(
        stderr(&out).contains("beyond --max-memory"),
        "{}",
        stderr(&out)
    );
    let out = run(
        wasio_run()
            .args(["--max-memory", "256M"])
            .arg(wasm("limits"))
            .args(["alloc", "64"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "allocated 64 MiB\n");
}

#[test]
fn second_run_uses_the_compilation_cache() {
    let cache = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let out = run(
            wasio()
                .env("RUST_LOG", "wasio_host=info")
                .arg("run")
                .arg("--cache-dir")
                .arg(cache.path())
                .arg(wasm("limits"))
                .args(["exit", "0"]),
            LIMIT,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        runs.push(stderr(&out));
    }
    assert!(
        !runs[0].contains("loaded from the compilation cache"),
        "{}",
        runs[0]
    );
    assert!(
        runs[1].contains("loaded from the compilation cache"),
        "{}",
        runs[1]
    );
}

#[test]
fn precompiled_modules_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cwasm = tmp.path().join("limits.cwasm");
    let out = run(
        wasio()
            .arg("compile")
            .arg(wasm("limits"))
            .arg("-o")
            .arg(&cwasm),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(
        wasio()
            .args(["run", "--no-cache"])
            .arg(&cwasm)
            .args(["exit", "7"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    // A run without --timeout compiles without epoch checks, but a
    // precompiled artifact carries them: --timeout still stops it.
    let out = run(
        wasio()
            .args(["run", "--no-cache", "--timeout", "500ms"])
            .arg(&cwasm)
            .args(["spin", "30"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
}

/// The compilation cache keeps code with and without epoch checks apart:
/// a module cached by a plain run is still stopped by `--timeout` later.
#[test]
fn timeout_holds_after_a_run_without_it_filled_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let with_cache = |args: &[&str]| {
        let mut c = wasio();
        c.arg("run")
            .arg("--cache-dir")
            .arg(cache.path())
            .args(args)
            .arg(wasm("limits"));
        c
    };
    let out = run(with_cache(&[]).args(["exit", "3"]), LIMIT);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = run(
        with_cache(&["--timeout", "500ms"]).args(["spin", "30"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
}

#[test]
fn max_fds_caps_open_descriptors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), "x").unwrap();
    let out = run(
        wasio_run()
            .args(["--max-fds", "16", "--dir"])
            .arg(format!("{}::/d", tmp.path().display()))
            .arg(wasm("limits"))
            .args(["fds", "/d/f"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // 16 = stdin, stdout, stderr, the preopen, and 12 files.
    assert_eq!(stdout(&out), "opened 12, then EMFILE\n");
}

/// `make test` (and conformance, bench) use `$CARGO_TARGET_DIR` when it
/// is set, from the environment or the command line, instead of assuming
/// `./target`.
#[test]
fn makefile_honours_cargo_target_dir() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for how in ["env", "arg"] {
        let mut c = std::process::Command::new("make");
        c.current_dir(&root)
            .args(["-n", "test", "conformance", "bench"]);
        match how {
            "env" => c.env("CARGO_TARGET_DIR", "/tmp/wasio-elsewhere"),
            _ => c
                .env_remove("CARGO_TARGET_DIR")
                .arg("CARGO_TARGET_DIR=/tmp/wasio-elsewhere"),
        };
        let out = c.output().expect("make");
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        for want in [
            "/tmp/wasio-elsewhere/debug/wasio run",
            "/tmp/wasio-elsewhere/debug/conformance",
            "/tmp/wasio-elsewhere/release-lto/bench",
        ] {
            assert!(text.contains(want), "{how}: no `{want}` in:\n{text}");
        }
        assert!(!text.contains("target/"), "{how}: ./target used:\n{text}");
    }
}

/// A module that imports what no preview1 host provides (a WASI 0.2
/// function, as `whoami` 2 does) does not start, and the error names the
/// import and the flag; with `--unknown-imports trap` it runs, and calling
/// the import stops it with a message naming it.
#[test]
fn unknown_imports_error_or_trap() {
    let import = "`wasi:cli/environment@0.2.12::get-environment`";
    let out = run(wasio_run().arg(wasm("unknown-import")), LIMIT);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(import) && err.contains("--unknown-imports trap"),
        "{err}"
    );

    let out = run(
        wasio_run()
            .args(["--unknown-imports", "trap"])
            .arg(wasm("unknown-import")),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "never called it\n");

    let out = run(
        wasio_run()
            .args(["--unknown-imports", "trap"])
            .arg(wasm("unknown-import"))
            .arg("call"),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(134));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&format!("the guest called {import}")),
        "{}",
        stderr(&out)
    );

    let out = run(
        wasio_run().args(["--unknown-imports", "maybe", "x.wasm"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
}
