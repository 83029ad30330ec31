//! What a guest imports decides which hosts can run it: a guest that uses
//! no sockets imports `wasi_snapshot_preview1` alone and runs on any
//! preview1 host; one with sockets adds `wasio_sock_v1` and the scalable
//! wait `wasio_poll_v1` (linked only then).

use std::collections::BTreeSet;
use std::path::Path;

use wasio_tests::*;

/// The import modules of a wasm file.
fn import_modules(path: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = BTreeSet::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload.unwrap() {
            for imports in reader {
                match imports.unwrap() {
                    wasmparser::Imports::Single(_, i) => {
                        out.insert(i.module.to_string());
                    }
                    wasmparser::Imports::Compact1 { module, .. }
                    | wasmparser::Imports::Compact2 { module, .. } => {
                        out.insert(module.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn guests_without_sockets_import_only_preview1() {
    for name in ["timers", "copy", "fs-tour", "clocks-random"] {
        let got = import_modules(&wasm(name));
        assert_eq!(
            got,
            BTreeSet::from(["wasi_snapshot_preview1".to_string()]),
            "{name}"
        );
    }
}

#[test]
fn guests_with_sockets_import_the_extension_and_the_scalable_wait() {
    for name in ["echo-tcp", "http-hello", "echo-udp"] {
        let got = import_modules(&wasm(name));
        let want: BTreeSet<String> = ["wasi_snapshot_preview1", "wasio_poll_v1", "wasio_sock_v1"]
            .map(String::from)
            .into();
        assert_eq!(got, want, "{name}");
    }
}
