//! `make run`: a guest doing real file and socket work under `wasio run`,
//! driven and narrated from outside.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use wasio_tests::{snapshot, wasio_bin, wasm_example};

fn wasio() -> Result<Command> {
    let bin = wasio_bin();
    if !bin.is_file() {
        bail!(
            "{} is missing: run `make run` (it builds everything)",
            bin.display()
        );
    }
    let mut c = Command::new(bin);
    c.arg("run");
    Ok(c)
}

fn example(name: &str) -> Result<std::path::PathBuf> {
    let p = wasm_example(name);
    if !p.is_file() {
        bail!(
            "{} is missing: run `make run` (it builds the guests)",
            p.display()
        );
    }
    Ok(p)
}

/// Starts a socket example under `wasio run --allow-listen 127.0.0.1` for
/// one connection; returns it, its stdout and the address it printed.
fn start_server(
    name: &str,
) -> Result<(
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
)> {
    let mut server = wasio()?
        .args(["--allow-listen", "127.0.0.1"])
        .arg(example(name)?)
        .args(["127.0.0.1:0", "1"])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut log = BufReader::new(server.stdout.take().context("stdout")?);
    let mut line = String::new();
    log.read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("{name} printed {line:?}"))?
        .to_string();
    Ok((server, log, addr))
}

fn main() -> Result<()> {
    println!("== 1. Files: fs-tour.wasm works inside a preopened directory\n");
    let dir = tempfile::tempdir()?;
    let out = wasio()?
        .arg("--dir")
        .arg(format!("{}::/data", dir.path().display()))
        .arg(example("fs-tour")?)
        .arg("/data")
        .output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        bail!("fs-tour failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    println!(
        "\nwhat the guest left on the host, under {}:",
        dir.path().display()
    );
    for line in snapshot(dir.path()) {
        println!("  {line}");
    }

    println!("\n== 2. Network: echo-tcp.wasm binds its own socket (--allow-listen 127.0.0.1)\n");
    let (mut server, mut log, addr) = start_server("echo-tcp")?;
    println!("guest: listening on {addr}");
    let mut conn = TcpStream::connect(addr.as_str()).context("connecting to the guest")?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    for msg in [
        "hello from outside the sandbox",
        "wasio echoes every byte",
        "bye",
    ] {
        conn.write_all(format!("{msg}\n").as_bytes())?;
        let mut back = vec![0u8; msg.len() + 1];
        conn.read_exact(&mut back)?;
        println!(
            "client sent {msg:?}, got back {:?}",
            String::from_utf8_lossy(&back).trim_end()
        );
    }
    conn.shutdown(Shutdown::Write)?;
    let mut rest = String::new();
    log.read_to_string(&mut rest)?;
    print!("guest: {rest}");
    println!("server exited: {}", server.wait()?);

    println!("\n== 3. HTTP: http-hello.wasm answers keep-alive requests\n");
    let (mut server, mut log, addr) = start_server("http-hello")?;
    let mut conn = BufReader::new(TcpStream::connect(addr.as_str())?);
    for i in 1..=3 {
        let close = if i == 3 { "Connection: close\r\n" } else { "" };
        conn.get_mut()
            .write_all(format!("GET /{i} HTTP/1.1\r\nHost: demo\r\n{close}\r\n").as_bytes())?;
        let mut status = String::new();
        conn.read_line(&mut status)?;
        let mut len = 0;
        loop {
            let mut h = String::new();
            conn.read_line(&mut h)?;
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.strip_prefix("Content-Length: ") {
                len = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; len];
        conn.read_exact(&mut body)?;
        println!(
            "GET /{i} -> {} {:?}",
            status.trim(),
            String::from_utf8_lossy(&body)
        );
    }
    let mut rest = String::new();
    log.read_to_string(&mut rest)?;
    print!("guest: {rest}");
    server.wait()?;

    println!("\n== 4. Policy: without a grant the guest gets EACCES and carries on\n");
    let out = wasio()?
        .arg(example("net-probe")?)
        .args(["127.0.0.1:0", "127.0.0.1:9", "127.0.0.1:9", "p.sock"])
        .output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));

    println!("\n== 5. Files sandbox: sandbox-probe.wasm tries to get out\n");
    let outside = tempfile::tempdir()?;
    let boxed = outside.path().join("box");
    std::fs::create_dir_all(boxed.join("sub"))?;
    std::fs::write(outside.path().join("secret.txt"), "top secret")?;
    std::fs::write(boxed.join("inside.txt"), "inside")?;
    std::os::unix::fs::symlink(outside.path(), boxed.join("out-link"))?;
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), boxed.join("abs-link"))?;
    let out = wasio()?
        .arg("--dir")
        .arg(format!("{}::/box", boxed.display()))
        .arg(example("sandbox-probe")?)
        .arg("/box")
        .output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    println!("\nAll done. `make test` runs the full suite.");
    Ok(())
}
