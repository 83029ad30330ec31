//! The README's guest is a real file, and it works: the snippet under
//! "Writing a guest with the `wasio` runtime" is
//! `guest-examples/src/bin/readme-echo.rs` line for line, and that guest
//! echoes under `wasio run --tcplisten` as the README says.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use wasio_tests::*;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The body of the first ```LANG block after `heading` in the README.
fn block_after(heading: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = readme.find(heading).expect("heading");
    let fence = format!("```{lang}\n");
    let start = at + readme[at..].find(&fence).expect("code block") + fence.len();
    let end = start + readme[start..].find("```\n").expect("block end");
    readme[start..end].to_string()
}

#[test]
fn the_readme_guest_is_the_file_it_names() {
    let snippet = block_after("## Writing a guest with the `wasio` runtime", "rust");
    let file =
        std::fs::read_to_string(root().join("guest-examples/src/bin/readme-echo.rs")).unwrap();
    let code: String = file
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(code, snippet, "README.md and readme-echo.rs differ");
    let toml = block_after("## Writing a guest with the `wasio` runtime", "toml");
    assert!(toml.contains("[dependencies]\nwasio = "), "{toml}");
}

#[test]
fn the_readme_guest_echoes_on_a_preopened_listener() {
    let port = free_port();
    let mut child = wasio_run()
        .args(["--tcplisten", &format!("127.0.0.1:{port}")])
        .arg(wasm("readme-echo"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The host binds first thing, before it compiles the module.
    let mut s = (0..1000)
        .find_map(|_| {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .inspect_err(|_| std::thread::sleep(Duration::from_millis(10)))
                .ok()
        })
        .expect("the listener never came up");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"hello from the README\n").unwrap();
    let mut back = [0u8; 22];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello from the README\n");
    let _ = child.kill();
    let _ = child.wait();
}
