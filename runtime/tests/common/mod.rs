//! Helpers for the runtime's tests, which run natively and, through the
//! cargo runner `make test` sets, as wasm32-wasip1 under `wasio run`.

use std::path::PathBuf;

/// A fresh scratch directory: under `$TMPDIR` (the runner preopens one as
/// `/tmp` for wasm), else `/tmp`.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let base = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
    // (No process id: wasm has none.)
    let dir = PathBuf::from(base).join(format!(
        "wasio-rt-{name}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
