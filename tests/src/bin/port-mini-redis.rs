//! `make tokio-conformance`'s second half: mini-redis, tokio's example
//! server, ported by the rename alone and tested natively and under
//! `wasio run`.
//!
//! The crate comes from crates.io at the version below. Its `.rs` files
//! get the same mechanical rename as tokio's tests
//! (`wasio_tests::tokio_conformance::port`), and its manifest the same
//! swap of the `tokio` dependency for wasio (tokio's `test-util` is always
//! there in wasio). Nothing else is edited: a test that needs an edit
//! fails here. Exits non-zero when the port does not build or a test
//! fails on either target.
//!
//! `port-mini-redis [--native|--wasm]`

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context as _, Result};
use wasio_tests::tokio_conformance::{fetched_package, port, toolchain};
use wasio_tests::{target_dir, wasio_bin};

/// The mini-redis release ported (tokio-rs/mini-redis on crates.io).
const VERSION: &str = "0.4.1";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The mini-redis sources as cargo fetched them (it fetches them here).
fn fetch(work: &Path) -> Result<PathBuf> {
    let fetcher = work.join("fetch");
    std::fs::create_dir_all(fetcher.join("src"))?;
    std::fs::write(
        fetcher.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fetch-mini-redis\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\nmini-redis = \"={VERSION}\"\n\n[workspace]\n"
        ),
    )?;
    std::fs::write(fetcher.join("src/lib.rs"), "")?;
    Ok(fetched_package(&fetcher.join("Cargo.toml"), "mini-redis")?.0)
}

/// The manifest with its `[dependencies.tokio]` and
/// `[dev-dependencies.tokio]` tables swapped for wasio.
fn port_manifest(manifest: &str, runtime: &Path) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        let header = line.trim_start().starts_with('[');
        if header {
            skipping = matches!(
                line.trim(),
                "[dependencies.tokio]" | "[dev-dependencies.tokio]"
            );
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n[dependencies.wasio]\npath = \"{}\"\n\n[workspace]\n",
        runtime.display()
    ));
    out
}

/// Copies `from` to `to`, porting every `.rs` file on the way.
fn copy_ported(from: &Path, to: &Path) -> Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut ported = 0;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type()?.is_dir() {
            ported += copy_ported(&src, &dst)?;
        } else if src.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&src)?;
            let new = port(&text);
            ported += usize::from(new != text);
            std::fs::write(&dst, new)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(ported)
}

/// Passed and failed tests, summed over cargo's `test result:` lines.
fn tally(stdout: &str) -> (usize, usize) {
    let count = |line: &str, word: &str| -> usize {
        line.split(';')
            .find_map(|part| part.trim().strip_suffix(word))
            .and_then(|n| n.trim().rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    stdout
        .lines()
        .filter(|l| l.starts_with("test result:"))
        .fold((0, 0), |(p, f), l| {
            (p + count(l, "passed"), f + count(l, "failed"))
        })
}

/// `cargo test --tests` of the port on one target: (passed, failed).
fn test(package: &Path, wasm: bool) -> Result<(usize, usize)> {
    let mut c = Command::new(env!("CARGO"));
    c.args(["test", "--tests", "--no-fail-fast", "--manifest-path"])
        .arg(package.join("Cargo.toml"))
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .env("CARGO_TARGET_DIR", package.join("target"))
        .stderr(Stdio::inherit());
    if wasm {
        let scratch = package.join("target/wasm-tmp");
        std::fs::create_dir_all(&scratch)?;
        c.args(["--target", "wasm32-wasip1"]).env(
            "CARGO_TARGET_WASM32_WASIP1_RUNNER",
            format!(
                "{} run --dir {}::/tmp --env TMPDIR=/tmp --allow-listen 127.0.0.1 \
                 --allow-connect 127.0.0.1 --",
                wasio_bin().display(),
                scratch.display()
            ),
        );
    }
    let out = c.output().context("cargo test")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (passed, failed) = tally(&stdout);
    if !out.status.success() && failed == 0 {
        bail!(
            "the port did not build or its tests did not run (exit {})",
            out.status
        );
    }
    Ok((passed, failed))
}

fn run() -> Result<bool> {
    let (mut native, mut wasm) = (true, true);
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--native" => wasm = false,
            "--wasm" => native = false,
            _ => bail!("unknown argument {a}; usage: port-mini-redis [--native|--wasm]"),
        }
    }
    let work = target_dir().join("mini-redis-port");
    let source = fetch(&work)?;
    let package = work.join("mini-redis");
    // A fresh copy (the build directory inside it is kept).
    for e in std::fs::read_dir(&package).into_iter().flatten().flatten() {
        if e.file_name() != "target" {
            let p = e.path();
            if p.is_dir() {
                std::fs::remove_dir_all(&p)?;
            } else {
                std::fs::remove_file(&p)?;
            }
        }
    }
    let ported = copy_ported(&source, &package)?;
    let _ = std::fs::remove_file(package.join("Cargo.toml.orig"));
    let manifest = std::fs::read_to_string(source.join("Cargo.toml"))?;
    let runtime = root().join("runtime").canonicalize()?;
    std::fs::write(
        package.join("Cargo.toml"),
        port_manifest(&manifest, &runtime),
    )?;
    eprintln!(
        "port-mini-redis: mini-redis {VERSION} from {}, {ported} files renamed",
        source.display()
    );
    let mut ok = true;
    for (on, is_wasm, name) in [(native, false, "native"), (wasm, true, "wasm")] {
        if !on {
            continue;
        }
        if is_wasm && !wasio_bin().is_file() {
            bail!(
                "{} is missing: `make build-host` first",
                wasio_bin().display()
            );
        }
        let (passed, failed) = test(&package, is_wasm)?;
        println!(
            "mini-redis {VERSION}, ported by the rename, {name}: {passed} passed, {failed} failed"
        );
        if failed > 0 || passed == 0 {
            ok = false;
        }
    }
    Ok(ok)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("port-mini-redis: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_swaps_tokio_for_wasio() {
        let m = "[package]\nname = \"x\"\n\n[dependencies.tokio]\nversion = \"1\"\n\
                 features = [\"full\"]\n\n[dependencies.bytes]\nversion = \"1\"\n\n\
                 [dev-dependencies.tokio]\nversion = \"1\"\nfeatures = [\"test-util\"]\n";
        let out = port_manifest(m, Path::new("/r"));
        assert!(!out.contains("tokio"), "{out}");
        assert!(
            out.contains("[dependencies.bytes]\nversion = \"1\""),
            "{out}"
        );
        assert!(out.contains("[dependencies.wasio]\npath = \"/r\""), "{out}");
    }

    #[test]
    fn tally_sums_cargos_result_lines() {
        let out = "test a ... ok\ntest result: ok. 4 passed; 0 failed; 0 ignored\n\
                   test result: FAILED. 2 passed; 1 failed; 0 ignored\n";
        assert_eq!(tally(out), (6, 1));
    }
}
