//! Replays the inputs kept in `fuzz/regressions/` (crashes `make fuzz`
//! found, and seeds that reach deep paths) through the fuzz harness. Its
//! own test binary: the harness counts the process's open fds, which
//! other tests running in parallel would disturb.

use std::path::{Path, PathBuf};

use wasio_host::fuzz::{cli_values, component_sockets, policy_rules, Harness};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no inputs in {}", dir.display());
    v
}

/// One test, so nothing else runs in this process while fds are counted.
#[test]
fn fuzz_regressions_run_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let h = Harness::new(tmp.path());
    assert!(h.functions().len() > 60, "{:?}", h.functions());
    for p in inputs("wasi_calls") {
        println!("wasi_calls/{}", p.file_name().unwrap().to_string_lossy());
        h.run(&std::fs::read(&p).unwrap());
    }
    for p in inputs("policy_rules") {
        policy_rules(&std::fs::read(&p).unwrap());
    }
    for p in inputs("cli_values") {
        cli_values(&std::fs::read(&p).unwrap());
    }
    for p in inputs("component_sockets") {
        println!(
            "component_sockets/{}",
            p.file_name().unwrap().to_string_lossy()
        );
        component_sockets(&std::fs::read(&p).unwrap());
    }

    // The harness notices what it promises to: a change outside the box.
    std::fs::write(tmp.path().join("outside/secret.txt"), "changed").unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.run(&[])));
    assert!(caught.is_err(), "a change outside the box went unnoticed");
}
