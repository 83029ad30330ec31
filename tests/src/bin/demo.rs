//! `make run`: a guest doing real file and socket work under `wasio run`,
//! driven and narrated from outside.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

    println!("\n== 2. Sockets: echo-blocking.wasm serves a preopened TCP listener\n");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut server = wasio()?
        .arg("--tcplisten")
        .arg(format!("127.0.0.1:{port}"))
        .arg(example("echo-blocking")?)
        .args(["unused", "1"])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut log = BufReader::new(server.stdout.take().context("stdout")?);
    let mut line = String::new();
    log.read_line(&mut line)?;
    print!("guest: {line}");
    let started = Instant::now();
    let mut conn = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(e).context("connecting to the guest"),
        }
    };
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
    let status = server.wait()?;
    println!("server exited: {status}");

    println!("\n== 3. Sandbox: sandbox-probe.wasm tries to get out\n");
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
