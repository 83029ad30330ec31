//! Each std-only example, run under `wasio run` and natively: same output,
//! same files left behind.

use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn args_and_env_reach_the_guest() {
    let args = ["one", "two words", "--flag", "ünïcødé"];
    let native_out = run(
        std::process::Command::new(native("args-env"))
            .args(args)
            .env_clear()
            .env("WASIO_EXAMPLE_GREETING", "hello world")
            .env("WASIO_EXAMPLE_EMPTY", ""),
        LIMIT,
    );
    let wasm_out = run(
        wasio_run()
            .args(["--env", "WASIO_EXAMPLE_GREETING=hello world"])
            .args(["--env", "WASIO_EXAMPLE_EMPTY="])
            .arg(wasm("args-env"))
            .args(args),
        LIMIT,
    );
    assert!(wasm_out.status.success(), "{}", stderr(&wasm_out));
    assert_eq!(stdout(&native_out), stdout(&wasm_out));
    assert!(stdout(&wasm_out).contains("arg[2]=two words"));
    assert!(stdout(&wasm_out).contains("env WASIO_EXAMPLE_GREETING=hello world"));
    assert!(stdout(&wasm_out).contains("argc=5"));
}

#[test]
fn host_environment_is_not_leaked() {
    let out = run(
        wasio_run()
            .env("WASIO_EXAMPLE_SECRET", "leak")
            .arg(wasm("args-env")),
        LIMIT,
    );
    assert!(out.status.success());
    assert!(!stdout(&out).contains("leak"), "{}", stdout(&out));
    // ... unless asked for, by name or wholesale.
    let out = run(
        wasio_run()
            .env("WASIO_EXAMPLE_SECRET", "shared")
            .args(["--env", "WASIO_EXAMPLE_SECRET"])
            .arg(wasm("args-env")),
        LIMIT,
    );
    assert!(stdout(&out).contains("env WASIO_EXAMPLE_SECRET=shared"));
    let out = run(
        wasio_run()
            .env("WASIO_EXAMPLE_SECRET", "all")
            .arg("--inherit-env")
            .arg(wasm("args-env")),
        LIMIT,
    );
    assert!(stdout(&out).contains("env WASIO_EXAMPLE_SECRET=all"));
}

#[test]
fn clocks_and_random_behave() {
    let native_out = run(
        &mut std::process::Command::new(native("clocks-random")),
        LIMIT,
    );
    let wasm_out = run(wasio_run().arg(wasm("clocks-random")), LIMIT);
    assert!(wasm_out.status.success(), "{}", stderr(&wasm_out));
    assert_eq!(stdout(&native_out), stdout(&wasm_out));
    let text = stdout(&wasm_out);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(!text.contains("false"), "{text}");
}

#[test]
fn stdin_to_stdout() {
    let input = "first line\nsecond, longer line\n\nlast without newline";
    let native_out = run_with_input(
        &mut std::process::Command::new(native("stdin-upper")),
        input.as_bytes(),
        LIMIT,
    );
    let wasm_out = run_with_input(
        wasio_run().arg(wasm("stdin-upper")),
        input.as_bytes(),
        LIMIT,
    );
    assert!(wasm_out.status.success(), "{}", stderr(&wasm_out));
    assert_eq!(stdout(&native_out), stdout(&wasm_out));
    assert_eq!(stderr(&native_out), stderr(&wasm_out));
    assert!(stdout(&wasm_out).contains("   2: SECOND, LONGER LINE"));
    assert_eq!(stderr(&wasm_out).trim(), "4 lines, 49 bytes");
}

#[test]
fn large_stdin_is_read_completely() {
    let line = "abcdefghijklmnopqrstuvwxyz0123456789\n";
    let input = line.repeat(20_000);
    let out = run_with_input(
        wasio_run().arg(wasm("stdin-upper")),
        input.as_bytes(),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!("20000 lines, {} bytes", 20_000 * (line.len() - 1))
    );
    assert_eq!(stdout(&out).lines().count(), 20_000);
}

#[test]
fn file_system_tour_matches_native() {
    let native_dir = tempfile::tempdir().unwrap();
    let wasm_dir = tempfile::tempdir().unwrap();
    let native_out = run(
        std::process::Command::new(native("fs-tour")).arg(native_dir.path()),
        LIMIT,
    );
    assert!(native_out.status.success(), "{}", stderr(&native_out));
    let wasm_out = run(
        wasio_run()
            .arg("--dir")
            .arg(format!("{}::/data", wasm_dir.path().display()))
            .arg(wasm("fs-tour"))
            .arg("/data"),
        LIMIT,
    );
    assert!(wasm_out.status.success(), "{}", stderr(&wasm_out));
    assert_eq!(stdout(&native_out), stdout(&wasm_out));
    assert!(stdout(&wasm_out).ends_with("done\n"));
    assert!(stdout(&wasm_out).contains("remove_dir(nested): ENOTEMPTY"));
    let tree = snapshot(wasm_dir.path());
    assert_eq!(snapshot(native_dir.path()), tree);
    assert!(
        tree.contains(&"tour/link -> notes.txt".to_string()),
        "{tree:?}"
    );
    assert!(tree
        .iter()
        .any(|l| l.starts_with("tour/nested/moved.bin (200000 bytes")));
}
