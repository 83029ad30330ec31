//! Running the WASI testsuite's prebuilt tests under `wasio run`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::Value;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status and stdout as expected.
    Pass,
    /// What differed.
    Fail(String),
}

/// Longest one test may run.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs every `*.wasm` in `suite` and returns `(name, outcome)` in name
/// order. With `errno_mode_unix`, each test also gets `ERRNO_MODE_UNIX=1`.
pub fn run_suite(
    wasio: &Path,
    suite: &Path,
    errno_mode_unix: bool,
) -> Result<Vec<(String, Outcome)>> {
    let mut tests: Vec<PathBuf> = std::fs::read_dir(suite)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    tests.sort();
    let suite_name = suite
        .ancestors()
        .nth(2)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cache = crate::target_dir().join("wasio-conformance-cache");
    let mut out = Vec::new();
    for wasm in tests {
        let stem = wasm
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let name = format!("{suite_name}/{stem}");
        let outcome = run_one(wasio, suite, &wasm, errno_mode_unix, &cache)
            .unwrap_or_else(|e| Outcome::Fail(format!("{e:#}")));
        out.push((name, outcome));
    }
    Ok(out)
}

fn run_one(
    wasio: &Path,
    suite: &Path,
    wasm: &Path,
    errno_mode_unix: bool,
    cache: &Path,
) -> Result<Outcome> {
    let spec_path = wasm.with_extension("json");
    let spec: Value = if spec_path.is_file() {
        serde_json::from_str(&std::fs::read_to_string(&spec_path)?)
            .with_context(|| format!("parsing {}", spec_path.display()))?
    } else {
        Value::Object(Default::default())
    };
    let scratch = tempfile::tempdir()?;
    let mut cmd = Command::new(wasio);
    cmd.arg("run").arg("--cache-dir").arg(cache);
    if let Some(root) = spec.get("root").and_then(Value::as_str) {
        let copy = scratch.path().join("root");
        copy_tree(&suite.join(root), &copy)?;
        cmd.arg("--dir").arg(format!("{}::/", copy.display()));
    }
    if let Some(env) = spec.get("env").and_then(Value::as_object) {
        for (k, v) in env {
            cmd.arg("--env")
                .arg(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    if errno_mode_unix {
        cmd.arg("--env").arg("ERRNO_MODE_UNIX=1");
    }
    cmd.arg(wasm);
    if let Some(args) = spec.get("args").and_then(Value::as_array) {
        cmd.args(args.iter().map(|a| a.as_str().unwrap_or_default()));
    }
    cmd.env_remove("RUST_LOG");
    // stdin: an open pipe that never receives data.
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", wasio.display()))?;
    let _stdin = child.stdin.take();
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if started.elapsed() > TEST_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Outcome::Fail(format!(
                "still running after {TEST_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let want_code = spec.get("exit_code").and_then(Value::as_i64).unwrap_or(0);
    let code = status.code().map(i64::from).unwrap_or(-1);
    let tail = || {
        let s = String::from_utf8_lossy(&stderr);
        let s = s.trim();
        let cut = s.char_indices().rev().nth(400).map(|(i, _)| i).unwrap_or(0);
        s[cut..].replace('\n', " | ")
    };
    if code != want_code {
        return Ok(Outcome::Fail(format!(
            "exit status {code}, expected {want_code}; stderr: {}",
            tail()
        )));
    }
    if let Some(want) = spec.get("stdout").and_then(Value::as_str) {
        if !stdout.starts_with(want.as_bytes()) {
            return Ok(Outcome::Fail(format!(
                "stdout {:?} does not start with {want:?}",
                String::from_utf8_lossy(&stdout)
            )));
        }
    }
    Ok(Outcome::Pass)
}

/// Copies a directory tree (files, directories and symlinks as links).
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let e = e?;
        let t = e.file_type()?;
        let dest = to.join(e.file_name());
        if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &dest)?;
        } else if t.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}
