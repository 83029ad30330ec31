//! Every code block in the README, ARCHITECTURE.md and docs/ is checked
//! here, so none can drift from what wasio does. Each block carries a name
//! (`<!-- snippet: NAME -->` on the line before it) and the test of that
//! name runs it:
//! - shell blocks run as written, with three mechanical substitutions that
//!   keep a test off the machine's shared places: paths under `target/`
//!   point into this build's target directory, a fixed port (7000, 8080)
//!   becomes a free one, and a scratch directory stands for `/tmp/box`,
//!   `/srv/app` and the image's root;
//! - Rust blocks are the files they name, line for line, and those files
//!   run;
//! - unit files, the Dockerfile and the Kubernetes spec have their command
//!   lines run the way systemd, the container and the kubelet would run
//!   them (socket activation, the image's ENTRYPOINT, the pod's args), and
//!   their stop signal sent;
//! - messages are compared with what the host prints.
//!
//! `every_block_is_named_and_checked` fails on a block without a name, or
//! a name without a test, so a new snippet cannot go unchecked.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(120);

/// The name of every block, each the name of a test below.
const CHECKED: &[&str] = &[
    "deploy-dockerfile",
    "deploy-guest",
    "deploy-k8s",
    "deploy-musl",
    "deploy-service-unit",
    "deploy-socket-unit",
    "ecosystem-import-trapped",
    "ecosystem-unknown-import",
    "performance-release-profile",
    "porting-dependencies",
    "readme-commands",
    "readme-component",
    "readme-denial",
    "readme-echo-blocking",
    "readme-guest",
    "readme-guest-toml",
    "readme-http-hello",
    "readme-quickstart",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// One fenced block of a document.
struct Snippet {
    /// The document, relative to the checkout.
    file: String,
    /// Its line number there (1-based), for messages.
    line: usize,
    /// The `<!-- snippet: NAME -->` before it, if any.
    name: Option<String>,
    /// The info string after the fence (`sh`, `rust`, ...).
    lang: String,
    /// The lines between the fences, without the fence's indentation.
    body: String,
}

fn documents() -> Vec<String> {
    let mut docs = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    let mut more: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

fn snippets() -> Vec<Snippet> {
    let mut all = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i];
            let Some(info) = l.trim_start().strip_prefix("```") else {
                i += 1;
                continue;
            };
            let indent = l.len() - l.trim_start().len();
            let name = i
                .checked_sub(1)
                .and_then(|p| lines[p].trim().strip_prefix("<!-- snippet: "))
                .and_then(|n| n.strip_suffix(" -->"))
                .map(str::to_string);
            let start = i + 1;
            let end = (start..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap_or_else(|| panic!("{file}:{}: unclosed block", i + 1));
            let body = lines[start..end]
                .iter()
                .map(|b| format!("{}\n", b.get(indent..).unwrap_or("")))
                .collect();
            all.push(Snippet {
                file: file.clone(),
                line: i + 1,
                name,
                lang: info.trim().to_string(),
                body,
            });
            i = end + 1;
        }
    }
    all
}

fn snippet(name: &str) -> Snippet {
    let mut found: Vec<Snippet> = snippets()
        .into_iter()
        .filter(|s| s.name.as_deref() == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "snippet `{name}`: found {}", found.len());
    found.pop().unwrap()
}

#[test]
fn every_block_is_named_and_checked() {
    let all = snippets();
    let mut names = Vec::new();
    for s in &all {
        let name = s.name.clone().unwrap_or_else(|| {
            panic!(
                "{}:{}: a ```{} block with no `<!-- snippet: NAME -->` before it; \
                 name it and check it in tests/tests/docs.rs",
                s.file, s.line, s.lang
            )
        });
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "a snippet name is used twice");
    assert_eq!(
        sorted, CHECKED,
        "snippet names differ from the checked list"
    );
}

/// The commands of a shell block: continuation lines joined, comments and
/// blank lines left out, each `(command, in the background)`.
fn commands(body: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for l in body.lines() {
        let l = l.trim();
        if cur.is_empty() && (l.is_empty() || l.starts_with('#')) {
            continue;
        }
        if let Some(head) = l.strip_suffix('\\') {
            cur.push_str(head);
            continue;
        }
        cur.push_str(l);
        let bg = cur.ends_with('&');
        out.push((cur.trim_end_matches('&').trim().to_string(), bg));
        cur.clear();
    }
    out
}

/// `text` with paths under `target/` pointing into this build's target
/// directory (wherever `CARGO_TARGET_DIR` put it).
fn in_target_dir(text: &str) -> String {
    let target = format!("{}/", target_dir().display());
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("target/") {
        let word_start = at == 0 || rest[..at].ends_with([' ', '\n', '"', '=']);
        out.push_str(&rest[..at]);
        out.push_str(if word_start { &target } else { "target/" });
        rest = &rest[at + "target/".len()..];
    }
    out.push_str(rest);
    out
}

/// Runs `script` with bash in `dir`, with the toolchain the checkout pins
/// (a scratch directory has no rust-toolchain.toml) and the tests' compile
/// cache; returns (status ok, stdout, stderr).
fn bash(script: &str, dir: &Path) -> (bool, String, String) {
    bash_within(script, dir, LIMIT)
}

/// [`bash`], killed after `limit`.
fn bash_within(script: &str, dir: &Path, limit: Duration) -> (bool, String, String) {
    let mut c = Command::new("bash");
    c.args(["-euo", "pipefail", "-c", script]).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if set_by_cargo_for_this_test(&name.to_string_lossy()) {
            c.env_remove(&name);
        }
    }
    c.env("WASIO_CACHE_DIR", test_cache_dir());
    if let Some(tc) = pinned_toolchain() {
        c.env("RUSTUP_TOOLCHAIN", tc);
    }
    let out = run(&mut c, limit);
    (out.status.success(), stdout(&out), stderr(&out))
}

/// Whether `name` is one of the variables cargo sets for the test binary
/// it runs (not one a user sets). A snippet's own `cargo`/`make` must not
/// inherit them: build scripts that watch them (ring's watches
/// `CARGO_PKG_NAME`) would rerun and rebuild half the tree, twice — once
/// here, and again at the next `make` outside.
fn set_by_cargo_for_this_test(name: &str) -> bool {
    const PREFIXES: [&str; 3] = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_"];
    const NAMES: [&str; 6] = [
        "CARGO",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

/// The channel rust-toolchain.toml pins.
fn pinned_toolchain() -> Option<String> {
    let text = std::fs::read_to_string(root().join("rust-toolchain.toml")).ok()?;
    let line = text.lines().find(|l| l.trim().starts_with("channel"))?;
    Some(line.split('"').nth(1)?.to_string())
}

/// A process started by a test, killed when dropped (so a failing test
/// leaves no server behind).
struct Running(std::process::Child);

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a shell command in the background (as `CMD &` would).
fn background(cmd: &str, dir: &Path) -> Running {
    Running(
        Command::new("bash")
            .args(["-c", &format!("exec {cmd}")])
            .current_dir(dir)
            .env("WASIO_CACHE_DIR", test_cache_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// Connects to `port`, retrying while the server starts.
fn connect_when_up(port: u16, child: &mut std::process::Child) -> TcpStream {
    for _ in 0..2000 {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            return s;
        }
        if let Some(st) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("the server exited with {st}: {err}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("nothing listens on {port}");
}

/// `GET path` on a fresh connection; the status and the whole response.
fn get(port: u16, path: &str, child: &mut std::process::Child) -> (u16, String) {
    let mut s = connect_when_up(port, child);
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: docs\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    (http_status(&out), out)
}

/// Sends SIGTERM and waits for the exit (up to LIMIT: a test asserts the
/// outcome, not how long it took).
fn sigterm_and_wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let end = std::time::Instant::now() + LIMIT;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(
            std::time::Instant::now() < end,
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- README ----

/// `make run` and `make test`: `make test` is this run; `make run` builds
/// the host, the demo driver and its guests, then runs the demo, which
/// runs here against the same builds.
#[test]
fn readme_commands() {
    let s = snippet("readme-commands");
    let targets: Vec<String> = commands(&s.body)
        .into_iter()
        .map(|(c, _)| c.split('#').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(targets, ["make run", "make test"]);
    let makefile = std::fs::read_to_string(root().join("Makefile")).unwrap();
    let recipe: Vec<&str> = makefile
        .split("\nrun:")
        .nth(1)
        .expect("a `run` rule")
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .collect();
    assert_eq!(
        recipe.last().map(|l| l.trim()),
        Some("$(TARGET_DIR)/debug/demo"),
        "make run ends by running the demo"
    );
    assert!(makefile.contains("\ntest: build\n"), "a `test` rule");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "make test"),
        "CI runs make test"
    );
    let demo = target_dir().join("debug").join("demo");
    let out = run(
        Command::new(demo)
            .env("WASIO_CACHE_DIR", test_cache_dir())
            .current_dir(root()),
        LIMIT,
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("All done."), "{}", stdout(&out));
}

/// The component quick start: the build command as written, then the
/// server, which echoes.
#[test]
fn readme_component() {
    let s = snippet("readme-component");
    let cmds = commands(&s.body);
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    let (ok, _, err) = bash(&cmds[0].0, &root());
    assert!(ok, "{}: {err}", cmds[0].0);
    let port = free_port().to_string();
    let server = in_target_dir(&cmds[1].0).replace("7000", &port);
    let mut child = background(&server, &root());
    let mut s = connect_when_up(port.parse().unwrap(), &mut child);
    s.write_all(b"hello, component\n").unwrap();
    let mut back = [0u8; 17];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello, component\n");
}

/// The quick start as a script, in a scratch directory standing for the
/// current one and for `/tmp/box`: it prints what the guest wrote there.
#[test]
fn readme_quickstart() {
    let s = snippet("readme-quickstart");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("work");
    let boxed = scratch.path().join("box");
    std::fs::create_dir(&dir).unwrap();
    let script = s
        .body
        .replace("make build", &format!("make -C {} build", root().display()))
        .replace("target/debug/wasio", &wasio_bin().display().to_string())
        .replace("/tmp/box", &boxed.display().to_string());
    let (ok, out, err) = bash(&script, &dir);
    assert!(ok, "{err}");
    assert!(out.ends_with("hi from wasm\n\n"), "{out}");
    assert_eq!(
        std::fs::read_to_string(boxed.join("hello.txt")).unwrap(),
        "hi from wasm\n"
    );
}

/// The blocking echo server on a preopened socket, and `nc` (when the
/// machine has it; otherwise the same bytes from here).
#[test]
fn readme_echo_blocking() {
    let s = snippet("readme-echo-blocking");
    let cmds = commands(&s.body);
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert!(cmds[0].1, "the server runs in the background");
    let port = free_port();
    let server = in_target_dir(&cmds[0].0).replace("7000", &port.to_string());
    let mut child = background(&server, &root());
    let client = cmds[1].0.replace("7000", &port.to_string());
    connect_when_up(port, &mut child);
    if Command::new("nc").arg("-h").output().is_ok() {
        let (ok, out, err) = bash(&client, &root());
        assert!(ok, "{err}");
        assert_eq!(out, "hello\n");
    } else {
        skipped(
            "readme_echo_blocking",
            "no `nc` here: sent its bytes directly",
        );
        assert!(client.starts_with("echo hello | nc"), "{client}");
        // The listener is the guest's only one: connect_when_up's probe
        // was served and closed, this is the next connection.
        let mut s = connect_when_up(port, &mut child);
        s.write_all(b"hello\n").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        assert_eq!(back, "hello\n");
    }
}

/// The README's guest is `guest-examples/src/bin/readme-echo.rs` line for
/// line, and it echoes under `wasio run --tcplisten` as the README says.
#[test]
fn readme_guest() {
    let s = snippet("readme-guest");
    let file =
        std::fs::read_to_string(root().join("guest-examples/src/bin/readme-echo.rs")).unwrap();
    let code: String = file
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(code, s.body, "README.md and readme-echo.rs differ");
    let port = free_port();
    let mut child = Running(
        wasio_run()
            .args(["--tcplisten", &format!("127.0.0.1:{port}")])
            .arg(wasm("readme-echo"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The host binds first thing, before it compiles the module.
    let mut s = connect_when_up(port, &mut child);
    s.write_all(b"hello from the README\n").unwrap();
    let mut back = [0u8; 22];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello from the README\n");
}

/// The guest's Cargo.toml names the runtime as the examples do.
#[test]
fn readme_guest_toml() {
    let s = snippet("readme-guest-toml");
    assert!(s.body.contains("[dependencies]\nwasio = "), "{}", s.body);
    let dep = s.body.lines().find(|l| l.starts_with("wasio = ")).unwrap();
    let examples = std::fs::read_to_string(root().join("guest-examples/Cargo.toml")).unwrap();
    assert!(
        dep.contains(r#"path = "../wasio/runtime""#)
            && examples.contains(r#"wasio = { path = "../runtime" }"#),
        "{dep}"
    );
    for line in ["[package]", "name = \"guest\"", "edition = \"2021\""] {
        assert!(s.body.contains(line), "{line}");
    }
}

/// The denial line is what the host logs when a guest connects without
/// the grant.
#[test]
fn readme_denial() {
    let s = snippet("readme-denial");
    let want = s.body.trim();
    let out = run(wasio_run().arg(wasm("nc")).arg("127.0.0.1:9"), LIMIT);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.ends_with(want)),
        "{want}\nnot in:\n{err}"
    );
}

/// http-hello as the README starts it answers HTTP.
#[test]
fn readme_http_hello() {
    let s = snippet("readme-http-hello");
    let cmds = commands(&s.body);
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    let port = free_port();
    let server = in_target_dir(&cmds[0].0).replace("8080", &port.to_string());
    let mut child = background(&server, &root());
    let (status, _) = get(port, "/", &mut child);
    assert_eq!(status, 200);
}

// ---- docs/deploy.md ----

/// deploy.md's guest is the heart of `guest-examples/examples/deploy-app.rs`
/// (its `main`, one indentation level in), line for line.
#[test]
fn deploy_guest() {
    let s = snippet("deploy-guest");
    let file = std::fs::read_to_string(root().join("guest-examples/examples/deploy-app.rs"))
        .unwrap()
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect::<String>();
    assert!(
        file.contains(&s.body),
        "deploy.md's guest is not in deploy-app.rs:\n{}",
        s.body
    );
}

/// The guest's `drain_timeout` in deploy-guest, in seconds.
fn drain_timeout_secs() -> u64 {
    snippet("deploy-guest")
        .body
        .split("drain_timeout(std::time::Duration::from_secs(")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse().ok())
        .expect("the guest's drain_timeout")
}

/// The value of `key=` in a unit file.
fn unit_value<'a>(unit: &'a str, key: &str) -> &'a str {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in\n{unit}"))
}

/// The two unit files together, as systemd runs them: the socket unit's
/// listener (on a free loopback port instead of 0.0.0.0:8080, with its
/// backlog) handed to the service's `ExecStart` (wasio from this build,
/// /srv/app a scratch directory holding app.wasm and static/); the
/// static files are served, and the stop signal drains it well within
/// `TimeoutStopSec`.
#[test]
fn deploy_socket_unit() {
    let socket = snippet("deploy-socket-unit").body;
    let listen: std::net::SocketAddr = unit_value(&socket, "ListenStream").parse().unwrap();
    assert_eq!(listen.port(), 8080);
    let backlog: i32 = unit_value(&socket, "Backlog").parse().unwrap();
    let service = snippet("deploy-service-unit").body;
    let stop_within: u64 = unit_value(&service, "TimeoutStopSec").parse().unwrap();
    assert!(
        drain_timeout_secs() < stop_within,
        "the guest's drain outlasts TimeoutStopSec"
    );
    assert_eq!(unit_value(&service, "KillMode"), "mixed");

    let srv = tempfile::tempdir().unwrap();
    let app = srv.path().join("app");
    std::fs::create_dir_all(app.join("static")).unwrap();
    std::fs::write(app.join("static/hello.txt"), "static hello\n").unwrap();
    std::fs::copy(wasm("examples/deploy-app"), app.join("app.wasm")).unwrap();
    let exec = unit_value(&service, "ExecStart")
        .replace("/usr/local/bin/wasio", &wasio_bin().display().to_string())
        .replace("/srv/app", &app.display().to_string());
    let argv: Vec<OsString> = exec.split_whitespace().map(OsString::from).collect();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    rustix::net::listen(&listener, backlog).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut c = socket_activated(&listener, &argv);
    c.env("WASIO_CACHE_DIR", test_cache_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Running(c.spawn().unwrap());
    drop(listener);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on "), "{line}");
    let (status, body) = get(port, "/hello.txt", &mut child);
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with("static hello\n"), "{body}");
    let (status, _) = get(port, "/../app.wasm", &mut child);
    assert_eq!(status, 404);
    let st = sigterm_and_wait(&mut child);
    assert!(st.success(), "{st}");
}

/// The service unit is checked with the socket unit above; here, that the
/// hardening it lists is spelled as systemd spells it.
#[test]
fn deploy_service_unit() {
    let service = snippet("deploy-service-unit").body;
    assert!(service.starts_with("[Service]\n"), "{service}");
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
    ] {
        assert_eq!(unit_value(&service, key), value);
    }
    let nofile: u64 = unit_value(&service, "LimitNOFILE").parse().unwrap();
    assert!(nofile >= 65_536);
    assert!(unit_value(&service, "ExecStart").starts_with("/usr/local/bin/wasio run "));
}

/// The musl build: the target is one rustup provides for this toolchain,
/// the command is a plain release build of the host for it, and the
/// Dockerfile copies what it produces.
#[test]
fn deploy_musl() {
    let s = snippet("deploy-musl");
    let cmds: Vec<String> = commands(&s.body).into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        cmds,
        [
            "apt-get install -y musl-tools",
            "rustup target add x86_64-unknown-linux-musl",
            "cargo build --release -p wasio-host --target x86_64-unknown-linux-musl",
        ]
    );
    let docker = snippet("deploy-dockerfile").body;
    assert!(
        docker.contains("COPY target/x86_64-unknown-linux-musl/release/wasio /wasio\n"),
        "{docker}"
    );
    musl_build(&cmds);
}

/// Runs the build when asked (`WASIO_TEST_MUSL=1`, as `make test-musl`
/// sets): a release build of wasmtime for a second target takes about
/// eight minutes cold, too much for every `make test`. Asked, it needs
/// what the first two commands install (the C compiler and the Rust
/// target) and fails without them; a test does not install system
/// packages.
fn musl_build(cmds: &[String]) {
    if std::env::var_os("WASIO_TEST_MUSL").is_none_or(|v| v != "1") {
        skipped(
            "deploy_musl",
            "the musl build runs with WASIO_TEST_MUSL=1 (`make test-musl`): build not run",
        );
        return;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("x86_64-unknown-linux-musl"))
        .unwrap_or(false);
    let cc = Command::new("x86_64-linux-musl-gcc")
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        installed && cc,
        "WASIO_TEST_MUSL=1 needs the x86_64-unknown-linux-musl target and \
         x86_64-linux-musl-gcc: run the recipe's first two commands"
    );
    // A release build of wasmtime for another target: minutes, once.
    let (ok, _, err) = bash_within(&cmds[2], &root(), Duration::from_secs(3600));
    assert!(ok, "{err}");
    let bin = target_dir().join("x86_64-unknown-linux-musl/release/wasio");
    let out = run(Command::new(&bin).arg("--version"), LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The parts of a Dockerfile line `INSTR args`.
fn docker_lines(file: &str) -> Vec<(String, String)> {
    file.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (i, a) = l.split_once(' ').unwrap();
            (i.to_string(), a.to_string())
        })
        .collect()
}

/// The image as the container would run it: the `.cwasm` made by
/// `wasio compile` with the same binary, the ENTRYPOINT's arguments (on a
/// free loopback port instead of 0.0.0.0:8080), the ENV; it serves, and
/// its STOPSIGNAL drains it to exit 0.
#[test]
fn deploy_dockerfile() {
    let docker = docker_lines(&snippet("deploy-dockerfile").body);
    let get_one = |instr: &str| -> Vec<String> {
        docker
            .iter()
            .filter(|(i, _)| i == instr)
            .map(|(_, a)| a.clone())
            .collect()
    };
    assert_eq!(get_one("FROM"), ["scratch"]);
    assert_eq!(get_one("STOPSIGNAL"), ["SIGTERM"]);
    assert_eq!(get_one("EXPOSE"), ["8080"]);
    let copies = get_one("COPY");
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert!(copies[1] == "app.cwasm /app.cwasm", "{copies:?}");
    let env = get_one("ENV");
    assert_eq!(env, ["WASIO_CACHE_DIR=/tmp"]);

    let image = tempfile::tempdir().unwrap();
    let cwasm = image.path().join("app.cwasm");
    let out = run(
        Command::new(wasio_bin())
            .arg("compile")
            .arg(wasm("examples/deploy-app"))
            .arg("-o")
            .arg(&cwasm),
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let entry: Vec<String> = serde_json::from_str(&get_one("ENTRYPOINT")[0]).unwrap();
    assert_eq!(entry[0], "/wasio");
    let port = free_port();
    let args: Vec<String> = entry[1..]
        .iter()
        .map(|a| {
            a.replace("/app.cwasm", &cwasm.display().to_string())
                .replace("0.0.0.0:8080", &format!("127.0.0.1:{port}"))
        })
        .collect();
    let tmp = image.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = Running(
        Command::new(wasio_bin())
            .args(&args)
            .env("WASIO_CACHE_DIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // No /static in the image: every path is a 404 from the app.
    let (status, _) = get(port, "/index.html", &mut child);
    assert_eq!(status, 404);
    let st = sigterm_and_wait(&mut child);
    assert!(st.success(), "{st}");
}

/// The pod's args run as the kubelet would run them (on a free loopback
/// port): the readiness probe's port answers, SIGTERM ends it with 0
/// within the grace period, and the guest's drain (deploy-guest) is
/// shorter than that grace period, as the text says it must be.
#[test]
fn deploy_k8s() {
    let spec = snippet("deploy-k8s").body;
    let value = |key: &str| -> String {
        spec.lines()
            .find_map(|l| {
                l.trim()
                    .trim_start_matches("- ")
                    .strip_prefix(&format!("{key}: "))
            })
            .unwrap_or_else(|| panic!("no {key} in\n{spec}"))
            .to_string()
    };
    let grace: u64 = value("terminationGracePeriodSeconds").parse().unwrap();
    let drain = drain_timeout_secs();
    assert!(drain < grace, "drain {drain} s, grace {grace} s");
    assert!(value("ports").contains("containerPort: 8080"));
    assert!(value("readinessProbe").contains("tcpSocket: { port: 8080 }"));
    let args: Vec<String> = serde_json::from_str(&value("args")).unwrap();
    let port = free_port();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace(
                "/app.wasm",
                &wasm("examples/deploy-app").display().to_string(),
            )
            .replace("0.0.0.0:8080", &format!("127.0.0.1:{port}"))
        })
        .collect();
    let mut child = Running(
        Command::new(wasio_bin())
            .args(&args)
            .env("WASIO_CACHE_DIR", test_cache_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    connect_when_up(port, &mut child);
    let st = sigterm_and_wait(&mut child);
    assert!(st.success(), "{st}");
}

// ---- docs/ecosystem.md, performance.md, porting-from-tokio.md ----

/// `text` with runs of whitespace made one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The load error for an unknown import is the host's (up to the `...`),
/// with `app.wasm` standing for the module's path.
#[test]
fn ecosystem_unknown_import() {
    let s = snippet("ecosystem-unknown-import");
    let module = wasm("unknown-import");
    let out = run(wasio_run().arg(&module), LIMIT);
    assert_eq!(out.status.code(), Some(1));
    let want = words(&s.body);
    let want = want
        .strip_suffix(" ...")
        .expect("the message is cut with ...")
        .replace("app.wasm", &module.display().to_string());
    assert!(
        words(&stderr(&out)).contains(&want),
        "{want}\n{}",
        stderr(&out)
    );
}

/// The trap message when such an import is called is the host's.
#[test]
fn ecosystem_import_trapped() {
    let s = snippet("ecosystem-import-trapped");
    let out = run(
        wasio_run()
            .args(["--unknown-imports", "trap"])
            .arg(wasm("unknown-import"))
            .arg("call"),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(134));
    assert!(
        words(&stderr(&out)).contains(&words(&s.body)),
        "{}\n{}",
        s.body,
        stderr(&out)
    );
}

/// The release profile recommended for guests is the one `make bench`
/// builds every compared program with.
#[test]
fn performance_release_profile() {
    let s = snippet("performance-release-profile");
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let section: Vec<&str> = cargo
        .split("[profile.release-lto]\n")
        .nth(1)
        .expect("a release-lto profile")
        .lines()
        .take_while(|l| !l.starts_with('['))
        .collect();
    assert!(section.contains(&"inherits = \"release\""));
    let mut lines = s.body.lines();
    assert_eq!(lines.next(), Some("[profile.release]"));
    for l in lines {
        assert!(section.contains(&l), "{l} is not in [profile.release-lto]");
    }
}

/// The porting guide's dependency lines are the examples' own.
#[test]
fn porting_dependencies() {
    let s = snippet("porting-dependencies");
    let examples = std::fs::read_to_string(root().join("guest-examples/Cargo.toml")).unwrap();
    let mut lines = s.body.lines();
    assert_eq!(lines.next(), Some("[dependencies]"));
    for l in lines {
        let dep = l.split(" #").next().unwrap().trim();
        let ours = dep.replace("…/runtime", "../runtime");
        assert!(
            examples.contains(&ours),
            "{ours} is not in guest-examples/Cargo.toml"
        );
    }
}
