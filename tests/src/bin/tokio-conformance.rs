//! `make tokio-conformance`: tokio's own integration tests, ported by the
//! mechanical rename (`wasio_tests::tokio_conformance::port`), built and
//! run natively and under `wasio run`, one test per process (a failing
//! test on wasm aborts its process). Prints per-file and total counts of
//! passed / failed / not compiled, and fails when a pass count falls below
//! the figure recorded in `tests/tokio-conformance/expected.txt`.
//!
//! `tokio-conformance [--native|--wasm] [--files a.rs,b.rs] [--record] [-v]`
//!
//! The tests come from the tokio crate cargo has fetched (the version in
//! Cargo.lock); which files are in scope, and why the others are not, is
//! `tests/tokio-conformance/scope.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use wasio_tests::tokio_conformance::{
    declared_tests, fetched_package, parse_differences, parse_scope, port, toolchain, Differences,
    Scope,
};
use wasio_tests::{run, target_dir, test_cache_dir, wasio_bin};

/// How long one test may take before it counts as hung (failed). tokio's
/// tests take well under a second each, debug builds under wasm a few;
/// the ~40 that loop forever under wasio (tokio's own budget, see
/// docs/porting-from-tokio.md) each hold a slot this long, so it is kept
/// short.
const TEST_LIMIT: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Platform {
    Native,
    Wasm,
}

impl Platform {
    fn name(self) -> &'static str {
        match self {
            Platform::Native => "native",
            Platform::Wasm => "wasm",
        }
    }
}

/// One file's outcome on one platform.
#[derive(Default, Clone)]
struct Counts {
    passed: usize,
    failed: usize,
    not_compiled: usize,
    /// Left out by scope.txt.
    skipped: usize,
    /// Marked `#[ignore]` by tokio itself on this target (tokio skips
    /// them too: on wasm, the tests that start threads).
    ignored: usize,
    /// Failed tests with the first line saying why.
    failures: Vec<(String, String)>,
    /// Tests that passed.
    passes: Vec<String>,
    /// The first compile error, when the file did not build.
    compile_error: Option<String>,
}

struct Options {
    platforms: Vec<Platform>,
    files: Option<Vec<String>>,
    record: bool,
    verbose: bool,
}

fn options() -> Result<Options> {
    let mut o = Options {
        platforms: vec![Platform::Native, Platform::Wasm],
        files: None,
        record: false,
        verbose: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--native" => o.platforms = vec![Platform::Native],
            "--wasm" => o.platforms = vec![Platform::Wasm],
            "--record" => o.record = true,
            "-v" | "--verbose" => o.verbose = true,
            "--files" => {
                let list = args.next().context("--files needs a list")?;
                o.files = Some(list.split(',').map(str::to_string).collect());
            }
            _ => bail!("unknown argument {a}; usage: tokio-conformance [--native|--wasm] [--files a.rs,b.rs] [--record] [-v]"),
        }
    }
    Ok(o)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `tests/` of the tokio crate Cargo.lock pins, as cargo fetched it.
fn tokio_tests_dir() -> Result<PathBuf> {
    let (package, version) = fetched_package(&root().join("Cargo.toml"), "tokio")?;
    let dir = package.join("tests");
    if !dir.is_dir() {
        bail!(
            "{} is missing: the tokio crate ships its tests there",
            dir.display()
        );
    }
    eprintln!(
        "tokio-conformance: tokio {version} tests from {}",
        dir.display()
    );
    Ok(dir)
}

/// Every top-level test file of tokio's suite is either in scope or
/// excluded with a reason: a new file cannot go unnoticed.
fn check_listed(scope: &Scope, tokio: &Path) -> Result<()> {
    let mut unlisted = Vec::new();
    for e in std::fs::read_dir(tokio)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs")
            && !scope.files.contains(&name)
            && !scope.excluded.contains_key(&name)
        {
            unlisted.push(name);
        }
    }
    if !unlisted.is_empty() {
        unlisted.sort();
        bail!(
            "tokio test files not in tests/tokio-conformance/scope.txt: {}",
            unlisted.join(", ")
        );
    }
    for f in &scope.files {
        if !tokio.join(f).is_file() {
            bail!("scope.txt lists {f}, which tokio's tests/ does not have");
        }
    }
    Ok(())
}

/// Writes the generated package: the ported files, tokio's `support/`
/// (ported alike), and a manifest with one test target per file and the
/// dependencies tokio's tests use, wasio in tokio's place.
fn generate(gen: &Path, tokio: &Path, files: &[String]) -> Result<()> {
    let tests = gen.join("tests");
    if tests.exists() {
        std::fs::remove_dir_all(&tests)?;
    }
    std::fs::create_dir_all(tests.join("support"))?;
    for f in files {
        let src = std::fs::read_to_string(tokio.join(f))?;
        std::fs::write(tests.join(f), port(&src))?;
    }
    for e in std::fs::read_dir(tokio.join("support"))? {
        let e = e?;
        let src = std::fs::read_to_string(e.path())?;
        std::fs::write(tests.join("support").join(e.file_name()), port(&src))?;
    }
    let root = root().canonicalize()?;
    let mut manifest = format!(
        r#"# Generated by tests/src/bin/tokio-conformance.rs: do not edit.
[package]
name = "tokio-conformance"
version = "0.0.0"
edition = "2021"
publish = false
autotests = false
# tokio's manifest names https://tokio.rs, which the rename makes this
# (tests read their package's Cargo.toml, as rt_handle_block_on's do).
homepage = "https://wasio.rs"

[workspace]

[dev-dependencies]
wasio = {{ path = "{runtime}" }}
tokio-test = "0.4"
tokio-stream = "0.1"
futures = {{ version = "0.3", features = ["async-await"] }}
futures-test = "0.3"
async-stream = "0.3"
bytes = "1"
rand = "0.9"
tempfile = "3"
pin-project-lite = "0.2"

[target.'cfg(unix)'.dev-dependencies]
libc = "0.2"
nix = {{ version = "0.31", default-features = false, features = ["fs", "socket"] }}
socket2 = {{ version = "0.6", features = ["all"] }}

# tokio's feature names, which its tests' own `#[cfg(feature = ...)]`
# gates name, on as tokio's CI runs them (`--features full,test-util`);
# left out: what wasio has no part of (process, io-uring, tracing,
# taskdump, parking_lot, and tokio_unstable's latency and atomics).
[features]
default = ["full", "test-util"]
full = ["fs", "io-util", "io-std", "macros", "net", "rt", "rt-multi-thread", "signal", "sync", "time"]
fs = []
io-util = []
io-std = []
macros = []
net = []
rt = []
rt-multi-thread = []
signal = []
sync = []
time = []
test-util = []
"#,
        runtime = root.join("runtime").display()
    );
    for f in files {
        let stem = f.trim_end_matches(".rs");
        manifest.push_str(&format!(
            "\n[[test]]\nname = \"{stem}\"\npath = \"tests/{f}\"\n"
        ));
    }
    std::fs::write(gen.join("Cargo.toml"), manifest)?;
    let lock = gen.join("Cargo.lock");
    if !lock.exists() {
        std::fs::copy(root.join("Cargo.lock"), lock)?;
    }
    Ok(())
}

/// Builds every test target (`--keep-going`): the executables that built,
/// and the first error of each that did not.
fn build(
    gen: &Path,
    platform: Platform,
) -> Result<(BTreeMap<String, PathBuf>, BTreeMap<String, String>)> {
    let mut c = Command::new(env!("CARGO"));
    // From the checkout, so its rust-toolchain.toml and .cargo/config.toml
    // (tokio_unstable for wasm) apply.
    c.current_dir(root())
        .args([
            "build",
            "--tests",
            "--keep-going",
            "--message-format",
            "json",
        ])
        .arg("--manifest-path")
        .arg(gen.join("Cargo.toml"))
        // Its own target directory: sharing the workspace's mixes its
        // artifacts with this package's (same crates, other hashes).
        .env("CARGO_TARGET_DIR", gen.join("target"))
        // The toolchain this driver was built with, for every crate: a
        // rustup proxy would pick one per crate from the crate's directory
        // (a registry crate's has no rust-toolchain.toml).
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .stderr(Stdio::inherit());
    if platform == Platform::Wasm {
        c.args(["--target", "wasm32-wasip1"]);
    }
    eprintln!("tokio-conformance: building for {}", platform.name());
    let out = c.output().context("cargo test --no-run")?;
    let mut exes = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for line in out.stdout.split(|&b| b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let target = msg["target"]["name"].as_str().unwrap_or("").to_string();
        match msg["reason"].as_str() {
            Some("compiler-artifact") if msg["profile"]["test"] == true => {
                if let Some(exe) = msg["executable"].as_str() {
                    exes.insert(target, PathBuf::from(exe));
                }
            }
            Some("compiler-message") if msg["message"]["level"] == "error" => {
                let text = msg["message"]["rendered"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                errors.entry(target).or_insert(text);
            }
            _ => {}
        }
    }
    Ok((exes, errors))
}

/// The command that runs a test executable on `platform`.
fn runner(platform: Platform, exe: &Path, scratch: &Path) -> Command {
    match platform {
        Platform::Native => {
            let mut c = Command::new(exe);
            c.env("RUST_BACKTRACE", "0");
            // In the package's directory, as `cargo test` runs a test.
            if let Some(package) = exe.ancestors().find(|d| d.join("Cargo.toml").is_file()) {
                c.current_dir(package);
            }
            c
        }
        Platform::Wasm => {
            let mut c = Command::new(wasio_bin());
            c.arg("run")
                .arg("--cache-dir")
                .arg(test_cache_dir())
                .arg("--dir")
                .arg(format!("{}::/tmp", scratch.display()))
                .args(["--env", "TMPDIR=/tmp"])
                .args([
                    "--allow-listen",
                    "127.0.0.1",
                    "--allow-connect",
                    "127.0.0.1",
                ])
                .args([
                    "--allow-udp-bind",
                    "127.0.0.1",
                    "--allow-udp-send",
                    "127.0.0.1",
                ])
                .args(["--allow-dns", "--"])
                .arg(exe);
            c
        }
    }
}

/// The names of the tests in `exe`.
fn list(platform: Platform, exe: &Path, scratch: &Path) -> Result<Vec<String>> {
    let out = runner(platform, exe, scratch)
        .args(["--list", "--format", "terse"])
        .stderr(Stdio::piped())
        .output()?;
    if !out.status.success() {
        bail!(
            "{} --list failed: {}",
            exe.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// What one test did.
enum Outcome {
    Passed,
    /// tokio's own `#[ignore]` on this target.
    Ignored,
    /// Failed, with the first line that says why.
    Failed(String),
}

/// Runs one test in its own process.
fn run_one(platform: Platform, exe: &Path, test: &str, scratch: &Path) -> Outcome {
    match run_test(platform, exe, test, scratch) {
        Ok(true) => Outcome::Passed,
        Ok(false) => Outcome::Ignored,
        Err(why) => Outcome::Failed(why),
    }
}

/// Runs `tests` of `exe`, one process each, as many at a time as there
/// are cores; the outcomes in the order of `tests`.
fn run_all(
    platform: Platform,
    exe: &Path,
    tests: &[String],
    scratch: &Path,
) -> Vec<(String, Outcome)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(test) = tests.get(i) else { break };
                let outcome = run_one(platform, exe, test, scratch);
                done.lock().unwrap().push((i, test.clone(), outcome));
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, t, o)| (t, o)).collect()
}

/// Ok(true) passed, Ok(false) ignored, Err(why) failed.
fn run_test(platform: Platform, exe: &Path, test: &str, scratch: &Path) -> Result<bool, String> {
    let mut c = runner(platform, exe, scratch);
    c.args(["--exact", test, "--test-threads", "1"]);
    let started = std::time::Instant::now();
    let out = run(&mut c, TEST_LIMIT);
    if started.elapsed() >= TEST_LIMIT {
        return Err(format!("hung: no result within {} s", TEST_LIMIT.as_secs()));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains("test result: ok. 1 passed") {
        return Ok(true);
    }
    if out.status.success() && stdout.contains("test result: ok. 0 passed; 0 failed; 1 ignored") {
        return Ok(false);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
    let at = lines
        .iter()
        .position(|l| l.contains("panicked at") || l.contains("error") || l.contains("trapped"));
    Err(match at {
        // The line after "panicked at FILE:" is the message.
        Some(i) if lines[i].contains("panicked at") => {
            format!(
                "{} {}",
                lines[i].trim(),
                lines.get(i + 1).unwrap_or(&"").trim()
            )
        }
        Some(i) => lines[i].trim().to_string(),
        None => format!("exit {}", out.status),
    })
}

/// Runs every in-scope test of every file that built on `platform`.
fn run_platform(
    platform: Platform,
    gen: &Path,
    tokio: &Path,
    scope: &Scope,
    files: &[String],
    verbose: bool,
) -> Result<BTreeMap<String, Counts>> {
    let (exes, errors) = build(gen, platform)?;
    let scratch = tempfile::tempdir()?;
    let mut all = BTreeMap::new();
    for f in files {
        let stem = f.trim_end_matches(".rs");
        let mut counts = Counts::default();
        match exes.get(stem) {
            None => {
                let src = std::fs::read_to_string(tokio.join(f))?;
                counts.not_compiled = declared_tests(&src);
                counts.compile_error = Some(
                    errors
                        .get(stem)
                        .map(|e| e.lines().next().unwrap_or("").to_string())
                        .unwrap_or_else(|| "did not build".into()),
                );
            }
            Some(exe) => {
                let tests: Vec<String> = list(platform, exe, scratch.path())?
                    .into_iter()
                    .filter(|t| {
                        let skip = scope.skip_reason(f, t).is_some();
                        counts.skipped += usize::from(skip);
                        !skip
                    })
                    .collect();
                for (test, outcome) in run_all(platform, exe, &tests, scratch.path()) {
                    match outcome {
                        Outcome::Passed => {
                            counts.passed += 1;
                            counts.passes.push(test);
                        }
                        Outcome::Ignored => counts.ignored += 1,
                        Outcome::Failed(why) => {
                            counts.failed += 1;
                            counts.failures.push((test, why));
                        }
                    }
                }
            }
        }
        if verbose {
            for (t, why) in &counts.failures {
                eprintln!("  {} {f}::{t}: {why}", platform.name());
            }
            if let Some(e) = &counts.compile_error {
                eprintln!("  {} {f}: not compiled: {e}", platform.name());
            }
        }
        all.insert(f.clone(), counts);
    }
    Ok(all)
}

/// `native N` / `wasm N` lines of expected.txt.
fn expected(path: &Path) -> Result<BTreeMap<String, usize>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for l in text.lines() {
        let l = l.split('#').next().unwrap_or("").trim();
        if let Some((k, v)) = l.split_once(char::is_whitespace) {
            out.insert(k.to_string(), v.trim().parse()?);
        }
    }
    Ok(out)
}

fn run_suite() -> Result<bool> {
    let o = options()?;
    let root = root();
    let scope_text = std::fs::read_to_string(root.join("tests/tokio-conformance/scope.txt"))
        .context("tests/tokio-conformance/scope.txt")?;
    let scope = parse_scope(&scope_text).map_err(anyhow::Error::msg)?;
    let tokio = tokio_tests_dir()?;
    check_listed(&scope, &tokio)?;
    let files: Vec<String> = match &o.files {
        Some(only) => scope
            .files
            .iter()
            .filter(|f| only.contains(f))
            .cloned()
            .collect(),
        None => scope.files.clone(),
    };
    let gen = target_dir().join("tokio-conformance");
    generate(&gen, &tokio, &scope.files)?;
    if o.platforms.contains(&Platform::Wasm) && !wasio_bin().is_file() {
        bail!(
            "{} is missing: `make build-host` first",
            wasio_bin().display()
        );
    }
    let mut results = BTreeMap::new();
    for &p in &o.platforms {
        results.insert(p, run_platform(p, &gen, &tokio, &scope, &files, o.verbose)?);
    }

    println!(
        "{:<28} {:>5}  {:>22}  {:>22}",
        "file", "tests", "native pass/fail/nc", "wasm pass/fail/nc"
    );
    // (passed, failed, not compiled, ignored by tokio, skipped by scope.txt)
    let mut totals: BTreeMap<Platform, (usize, usize, usize, usize, usize)> = BTreeMap::new();
    for f in &files {
        let mut row = format!("{f:<28}");
        let mut n = 0;
        let mut cells = String::new();
        for p in [Platform::Native, Platform::Wasm] {
            match results.get(&p).and_then(|r| r.get(f)) {
                Some(c) => {
                    n = n.max(c.passed + c.failed + c.not_compiled);
                    let t = totals.entry(p).or_default();
                    t.0 += c.passed;
                    t.1 += c.failed;
                    t.2 += c.not_compiled;
                    t.3 += c.ignored;
                    t.4 += c.skipped;
                    cells.push_str(&format!(
                        "  {:>22}",
                        format!("{}/{}/{}", c.passed, c.failed, c.not_compiled)
                    ));
                }
                None => cells.push_str(&format!("  {:>22}", "-")),
            }
        }
        row.push_str(&format!(" {n:>5}{cells}"));
        println!("{row}");
    }
    let differences = parse_differences(&std::fs::read_to_string(
        root.join("tests/tokio-conformance/differences.txt"),
    )?)
    .map_err(anyhow::Error::msg)?;
    report_differences(&results, &differences, o.files.is_none());
    let want = expected(&root.join("tests/tokio-conformance/expected.txt"))?;
    let mut ok = true;
    for (p, (pass, fail, nc, ignored, skipped)) in &totals {
        let all = pass + fail + nc;
        let pct = if all == 0 {
            0.0
        } else {
            100.0 * *pass as f64 / all as f64
        };
        println!(
            "total {}: {pass} passed, {fail} failed, {nc} not compiled, of {all} ({pct:.1} % pass); \
             not counted: {ignored} ignored by tokio on this target, {skipped} left out by scope.txt",
            p.name()
        );
        if o.files.is_none() && !o.record {
            if let Some(&min) = want.get(p.name()) {
                if *pass < min {
                    println!("FAIL: {} passes {pass}, below the recorded {min}", p.name());
                    ok = false;
                }
            }
        }
    }
    if o.record {
        let mut text = String::from(
            "# The pass counts `make tokio-conformance` holds (it fails below them).\n\
             # Rewritten by `tokio-conformance --record` when they go up.\n",
        );
        for p in [Platform::Native, Platform::Wasm] {
            let pass = totals.get(&p).map_or(0, |t| t.0);
            text.push_str(&format!("{} {pass}\n", p.name()));
        }
        std::fs::write(root.join("tests/tokio-conformance/expected.txt"), text)?;
    }
    Ok(ok)
}

/// Names every failure `differences.txt` does not document (with the
/// first line of why it failed), and, after a full run, every documented
/// failure that passed. Informational: a test that fails only on a loaded
/// machine must not fail CI, which the pass-count floor guards.
fn report_differences(
    results: &BTreeMap<Platform, BTreeMap<String, Counts>>,
    differences: &Differences,
    full: bool,
) {
    for (p, files) in results {
        let mut failed = std::collections::BTreeSet::new();
        let mut passed = std::collections::BTreeSet::new();
        let mut undocumented = Vec::new();
        for (f, c) in files {
            passed.extend(c.passes.iter().map(|t| format!("{f}::{t}")));
            for (t, why) in &c.failures {
                let test = format!("{f}::{t}");
                if differences.reason(p.name(), &test).is_none() {
                    undocumented.push(format!("{test}: {why}"));
                }
                failed.insert(test);
            }
        }
        println!(
            "{}: {} failed, {} of them documented in tests/tokio-conformance/differences.txt",
            p.name(),
            failed.len(),
            failed.len() - undocumented.len()
        );
        for u in &undocumented {
            println!("  UNDOCUMENTED {} {u}", p.name());
        }
        if full {
            for (platform, test) in differences.tests.keys() {
                let here = platform == p.name() || platform == "both";
                if here && passed.contains(test) {
                    println!("  passes now (documented as failing): {} {test}", p.name());
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run_suite() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tokio-conformance: {e:#}");
            ExitCode::FAILURE
        }
    }
}
