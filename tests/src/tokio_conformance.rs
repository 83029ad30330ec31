//! tokio's own integration tests as wasio's acceptance test: which of
//! tokio's test files are in scope (`tests/tokio-conformance/scope.txt`),
//! and the mechanical port of one file — `tokio` renamed `wasio` where it
//! names the crate, file-level `#![cfg(...)]` gates removed, nothing else.
//! The driver is `src/bin/tokio-conformance.rs` (`make tokio-conformance`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};

/// The toolchain the running program was built with (from `$CARGO`'s
/// path), for builds in directories without a rust-toolchain.toml: a
/// rustup proxy would pick one per crate otherwise.
pub fn toolchain() -> String {
    Path::new(env!("CARGO"))
        .ancestors()
        .nth(2)
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stable".into())
}

/// The directory and version of package `name` in the dependency graph of
/// `manifest`, as cargo fetched it (`cargo metadata` fetches what is
/// missing).
pub fn fetched_package(manifest: &Path, name: &str) -> Result<(PathBuf, String)> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .stderr(Stdio::inherit())
        .output()
        .context("cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed for {}", manifest.display());
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let package = meta["packages"]
        .as_array()
        .context("no packages")?
        .iter()
        .find(|p| p["name"] == name)
        .with_context(|| format!("{name} is not in the graph of {}", manifest.display()))?;
    let path = Path::new(package["manifest_path"].as_str().context("manifest_path")?);
    let version = package["version"].as_str().unwrap_or("?").to_string();
    Ok((path.parent().context("package dir")?.to_path_buf(), version))
}

/// What `scope.txt` says: the files that are ported and run, and what is
/// left out with the reason.
#[derive(Debug, Default)]
pub struct Scope {
    /// In-scope files (`io_read.rs`), in order.
    pub files: Vec<String>,
    /// Tests left out of an in-scope file: (file, test-name prefix, reason).
    pub skipped_tests: Vec<(String, String, String)>,
    /// Files left out, with the reason.
    pub excluded: BTreeMap<String, String>,
}

impl Scope {
    /// Whether `test` of `file` is left out, and why.
    pub fn skip_reason(&self, file: &str, test: &str) -> Option<&str> {
        self.skipped_tests
            .iter()
            .find(|(f, prefix, _)| f == file && test.starts_with(prefix.as_str()))
            .map(|(_, _, why)| why.as_str())
    }
}

/// Parses `scope.txt`: one entry per line, `#` starts a comment.
/// - `in FILE` — the file is ported and run;
/// - `out FILE REASON...` — the file is not, for that reason;
/// - `skip FILE::PREFIX REASON...` — tests of an in-scope file whose name
///   starts with PREFIX are not run.
pub fn parse_scope(text: &str) -> Result<Scope, String> {
    let mut scope = Scope::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, char::is_whitespace);
        let kind = parts.next().unwrap_or("");
        let what = parts.next().unwrap_or("").trim();
        let why = parts.next().unwrap_or("").trim().to_string();
        let bad = |m: &str| Err(format!("scope.txt:{}: {m}: {raw}", n + 1));
        match kind {
            "in" if what.ends_with(".rs") && why.is_empty() => scope.files.push(what.into()),
            "out" if what.ends_with(".rs") && !why.is_empty() => {
                scope.excluded.insert(what.into(), why);
            }
            "skip" if !why.is_empty() => {
                let Some((file, prefix)) = what.split_once("::") else {
                    return bad("expected FILE::PREFIX");
                };
                scope.skipped_tests.push((file.into(), prefix.into(), why));
            }
            _ => return bad("expected `in FILE`, `out FILE REASON` or `skip FILE::PREFIX REASON`"),
        }
    }
    for (file, _, _) in &scope.skipped_tests {
        if !scope.files.contains(file) {
            return Err(format!("scope.txt: skip names {file}, which is not `in`"));
        }
    }
    Ok(scope)
}

/// What `differences.txt` says: every tokio test known to fail under
/// wasio, on which platform, and why (a documented difference).
#[derive(Debug, Default)]
pub struct Differences {
    /// Reason keys and what they mean.
    pub reasons: BTreeMap<String, String>,
    /// (platform: `native`, `wasm` or `both`; `file::test`) → reason key.
    pub tests: BTreeMap<(String, String), String>,
}

impl Differences {
    /// The documented reason `file::test` fails on `platform`, if any.
    pub fn reason(&self, platform: &str, test: &str) -> Option<&str> {
        let key = self
            .tests
            .get(&(platform.to_string(), test.to_string()))
            .or_else(|| self.tests.get(&("both".to_string(), test.to_string())))?;
        self.reasons.get(key).map(String::as_str)
    }
}

/// Parses `differences.txt`, `#` starting a comment:
/// - `reason KEY TEXT...` — a reason, once;
/// - `PLATFORM FILE::TEST KEY` — the test fails on `native`, `wasm` or
///   `both` for that reason.
pub fn parse_differences(text: &str) -> Result<Differences, String> {
    let mut d = Differences::default();
    let mut uses = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bad = |m: &str| Err(format!("differences.txt:{}: {m}: {raw}", n + 1));
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some("reason"), Some(key)) => {
                let text = line
                    .splitn(3, char::is_whitespace)
                    .nth(2)
                    .unwrap_or("")
                    .trim();
                if text.is_empty() {
                    return bad("a reason needs its text");
                }
                d.reasons.insert(key.into(), text.into());
            }
            (Some(platform @ ("native" | "wasm" | "both")), Some(test)) => {
                let (Some(key), None) = (parts.next(), parts.next()) else {
                    return bad("expected `PLATFORM FILE::TEST KEY`");
                };
                if !test.contains(".rs::") {
                    return bad("expected FILE.rs::TEST");
                }
                uses.push((n + 1, key.to_string()));
                d.tests.insert((platform.into(), test.into()), key.into());
            }
            _ => return bad("expected `reason KEY TEXT` or `PLATFORM FILE::TEST KEY`"),
        }
    }
    for (line, key) in uses {
        if !d.reasons.contains_key(&key) {
            return Err(format!("differences.txt:{line}: no `reason {key}`"));
        }
    }
    Ok(d)
}

/// The mechanical port of one tokio test file: every `tokio` that names
/// the crate becomes `wasio` (`tokio_test`, `tokio_stream` and the like
/// are other crates and stay), and file-level `#![cfg(...)]` gates go.
pub fn port(source: &str) -> String {
    rename_crate(&remove_file_gates(source))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn rename_crate(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("tokio") {
        let before = rest[..at].chars().next_back();
        let after = rest[at + 5..].chars().next();
        out.push_str(&rest[..at]);
        let whole_word = !before.is_some_and(is_ident) && !after.is_some_and(is_ident);
        out.push_str(if whole_word { "wasio" } else { "tokio" });
        rest = &rest[at + 5..];
    }
    out.push_str(rest);
    out
}

/// Removes every `#![cfg(...)]` inner attribute (they may span lines).
fn remove_file_gates(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("#![cfg(") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let mut depth = 0usize;
        let mut end = body.len();
        for (i, c) in body.char_indices() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

/// How many tests a source file declares (`#[test]` and `#[tokio::test]`
/// attributes, any arguments): what a file that does not compile counts
/// as.
pub fn declared_tests(source: &str) -> usize {
    source
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            l.starts_with("#[test]")
                || l.starts_with("#[tokio::test")
                || l.starts_with("#[wasio::test")
        })
        .count()
}

#[cfg(test)]
mod tests {

    #[test]
    fn differences_name_a_reason_per_failing_test() {
        let d = parse_differences(
            "# comment\nreason budget tokio's own budget\n\
             both sync_mpsc.rs::a_is_cooperative budget\n\
             wasm tcp_peek.rs::peek budget # trailing\n",
        )
        .unwrap();
        assert_eq!(
            d.reason("native", "sync_mpsc.rs::a_is_cooperative"),
            Some("tokio's own budget")
        );
        assert!(d.reason("wasm", "tcp_peek.rs::peek").is_some());
        assert!(d.reason("native", "tcp_peek.rs::peek").is_none());
        assert!(parse_differences("both a.rs::t nokey\n").is_err());
        assert!(parse_differences("both a.rs::t\n").is_err());
        assert!(parse_differences("reason k\n").is_err());
        assert!(parse_differences("sometimes a.rs::t k\nreason k x\n").is_err());
    }

    use super::*;

    #[test]
    fn the_crate_is_renamed_and_other_crates_are_not() {
        let src = "#![warn(rust_2018_idioms)]\n#![cfg(all(feature = \"full\",\n not(target_os = \"wasi\")))]\n\
                   use tokio::io::AsyncReadExt;\nuse tokio_test::assert_ok;\nuse tokio_stream::StreamExt;\n\
                   #[tokio::test(flavor = \"current_thread\")]\nasync fn t() { tokio::spawn(async {}); my_tokio::x(); }\n";
        let ported = port(src);
        assert_eq!(
            ported,
            "#![warn(rust_2018_idioms)]\n\n\
             use wasio::io::AsyncReadExt;\nuse tokio_test::assert_ok;\nuse tokio_stream::StreamExt;\n\
             #[wasio::test(flavor = \"current_thread\")]\nasync fn t() { wasio::spawn(async {}); my_tokio::x(); }\n"
        );
        assert_eq!(declared_tests(src), 1);
    }

    #[test]
    fn scope_lines_parse_and_skips_need_an_in_file() {
        let s = parse_scope(
            "in io_read.rs\nout rt_threaded.rs multi-thread scheduler # why\nskip io_read.rs::big_ needs 4 GiB\n",
        )
        .unwrap();
        assert_eq!(s.files, ["io_read.rs"]);
        assert_eq!(s.excluded["rt_threaded.rs"], "multi-thread scheduler");
        assert_eq!(s.skip_reason("io_read.rs", "big_read"), Some("needs 4 GiB"));
        assert_eq!(s.skip_reason("io_read.rs", "small"), None);
        assert!(parse_scope("skip x.rs::y no such file\n").is_err());
        assert!(parse_scope("out x.rs\n").is_err());
    }
}
