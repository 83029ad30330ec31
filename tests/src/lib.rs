//! Helpers shared by wasio's end-to-end tests and its conformance runner:
//! where the built binaries are, and how to run a guest under `wasio run`.

pub mod conformance;

use std::path::PathBuf;

/// The cargo target directory this crate was built into.
pub fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return d.into();
    }
    // The test binary lives in target/<profile>/deps/ (or target/<profile>/
    // for binaries); walk up to `target`.
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    while dir.file_name().is_some_and(|n| n != "target") {
        if !dir.pop() {
            break;
        }
    }
    if dir.file_name().is_some_and(|n| n == "target") {
        return dir;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// Build profile directory name (`debug` or `release`) of this binary.
pub fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The `wasio` host binary: `$WASIO`, else the one built beside us.
pub fn wasio_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("WASIO") {
        return p.into();
    }
    target_dir().join(profile()).join("wasio")
}

/// The wasm32-wasip1 build of example `name`.
pub fn wasm_example(name: &str) -> PathBuf {
    target_dir()
        .join("wasm32-wasip1")
        .join(profile())
        .join(format!("{name}.wasm"))
}

/// The native build of example `name`.
pub fn native_example(name: &str) -> PathBuf {
    target_dir().join(profile()).join(name)
}
