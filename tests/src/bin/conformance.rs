//! Runs the WASI preview1 conformance suite (prebuilt tests kept as data)
//! against `wasio run`.
//!
//! ```text
//! conformance [--errno-mode-unix] [SUITE_DIR]
//! ```
//!
//! SUITE_DIR defaults to `$WASI_TESTSUITE`, else `../shared/wasi-testsuite`
//! beside the checkout. The host binary is `$WASIO`, else the `wasio` next
//! to this program. Prints one line per failing test and a final
//! `N passed, M failed` line; exits non-zero on any failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use wasio_tests::conformance::{run_suite, Outcome};

fn main() -> ExitCode {
    match real_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<bool> {
    let mut strict = false;
    let mut dir: Option<PathBuf> = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--errno-mode-unix" => strict = true,
            "-h" | "--help" => {
                println!("usage: conformance [--errno-mode-unix] [SUITE_DIR]");
                return Ok(true);
            }
            s if s.starts_with('-') => bail!("unknown option {s}"),
            s => dir = Some(s.into()),
        }
    }
    let dir = dir
        .or_else(|| std::env::var_os("WASI_TESTSUITE").map(PathBuf::from))
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wasi-testsuite")
        });
    if !dir.is_dir() {
        bail!(
            "no conformance suite at {} (set WASI_TESTSUITE=/path/to/wasi-testsuite)",
            dir.display()
        );
    }
    let wasio = wasio_tests::wasio_bin();
    if !wasio.is_file() {
        bail!(
            "host binary {} not found: build it first (cargo build -p wasio-host)",
            wasio.display()
        );
    }
    let mut suites = Vec::new();
    for lang in std::fs::read_dir(dir.join("tests")).context("reading the suite's tests/ folder")? {
        let d = lang?.path().join("testsuite/wasm32-wasip1");
        if d.join("manifest.json").is_file() {
            suites.push(d);
        }
    }
    suites.sort();
    if suites.is_empty() {
        bail!(
            "no suites (tests/*/testsuite/wasm32-wasip1/manifest.json) under {}",
            dir.display()
        );
    }
    let mode = if strict {
        " (ERRNO_MODE_UNIX=1 for the Rust suite)"
    } else {
        ""
    };
    println!("WASI preview1 conformance{mode}: {}", dir.display());
    let (mut passed, mut failed) = (0, 0);
    for suite in &suites {
        let rust = suite.components().any(|c| c.as_os_str() == "rust");
        for (name, outcome) in run_suite(&wasio, suite, strict && rust)? {
            match outcome {
                Outcome::Pass => passed += 1,
                Outcome::Fail(why) => {
                    failed += 1;
                    println!("FAIL {name}: {why}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}
