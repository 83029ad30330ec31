//! Tries to leave the directory it was given and reports what happened.
//!
//! `wasio run --dir HOST::/box sandbox-probe.wasm /box`
//!
//! Under wasio every escape must fail; the program then proves the sandbox
//! still works for legitimate paths. (Natively there is no sandbox, so the
//! escapes may succeed: run it under the host.)

use std::fs;
use std::path::Path;

fn attempt(what: &str, r: std::io::Result<String>) {
    match r {
        Ok(s) => println!("{what}: ALLOWED ({} bytes)", s.len()),
        Err(e) => println!("{what}: denied {}", wasio_examples::errno_name(&e)),
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: sandbox-probe DIR");
    let dir = Path::new(&dir);
    attempt(
        "read ../secret.txt",
        fs::read_to_string(dir.join("../secret.txt")),
    );
    attempt(
        "read sub/../../secret.txt",
        fs::read_to_string(dir.join("sub/../../secret.txt")),
    );
    attempt("read /etc/passwd", fs::read_to_string("/etc/passwd"));
    // wasi-libc answers std's call itself; wasio::fs names the preopen
    // that is missing.
    match wasio::block_on(wasio::fs::read_to_string("/etc/passwd")) {
        Ok(_) => println!("wasio::fs read /etc/passwd: ALLOWED"),
        Err(e) => println!("wasio::fs read /etc/passwd: {e}"),
    }
    attempt(
        "read through symlink to outside",
        fs::read_to_string(dir.join("out-link/secret.txt")),
    );
    attempt(
        "read absolute symlink",
        fs::read_to_string(dir.join("abs-link")),
    );
    attempt(
        "create through symlink to outside",
        fs::write(dir.join("out-link/planted.txt"), "x").map(|()| String::new()),
    );
    #[allow(deprecated)]
    let made = fs::soft_link("../..", dir.join("made-link"));
    attempt(
        "make a symlink out of the box",
        made.map(|()| String::new()),
    );
    attempt(
        "read through a symlink the guest made",
        fs::read_to_string(dir.join("made-link/secret.txt")),
    );
    #[allow(deprecated)]
    let inside = fs::soft_link("inside.txt", dir.join("in-link"));
    attempt(
        "make a symlink inside the box",
        inside.map(|()| String::new()),
    );
    attempt("read through it", fs::read_to_string(dir.join("in-link")));
    attempt(
        "list ..",
        fs::read_dir(dir.join("..")).map(|r| format!("{}", r.count())),
    );
    attempt(
        "read inside.txt",
        fs::read_to_string(dir.join("inside.txt")),
    );
    attempt(
        "read sub/../inside.txt",
        fs::read_to_string(dir.join("sub/../inside.txt")),
    );
    println!("still running");
}
