//! tokio-postgres on wasio: the `pg-client` example. tokio-postgres ≥
//! 0.7.14 links whoami 2, whose WASI 0.2 imports wasio does not provide;
//! under `--unknown-imports trap` the module loads and runs. Against a
//! live server the whole example runs when `WASIO_PG_URL` names one
//! (`postgresql://USER@127.0.0.1:PORT/DB`; `.ci/run` starts a scratch
//! server when PostgreSQL is installed).

use std::process::Command;
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Without the option the module does not start, and the error names the
/// import and the option; with it the module loads and runs, and a
/// refused connection is the program's own error.
#[test]
fn pg_client_loads_with_unknown_imports_trapped() {
    let port = closed_port();
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
    let o = run(
        wasio_run()
            .args(["--allow-connect", "127.0.0.1"])
            .arg(wasm("examples/pg-client"))
            .arg(&url),
        LIMIT,
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("imports `wasi:cli/"), "{err}");
    assert!(err.contains("--unknown-imports trap"), "{err}");

    let o = run(
        wasio_run()
            .args(["--unknown-imports", "trap", "--allow-connect", "127.0.0.1"])
            .arg(wasm("examples/pg-client"))
            .arg(&url),
        LIMIT,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("pg-client: connect 127.0.0.1:{port}:")) && err.contains("refused"),
        "{err}"
    );
    assert!(!err.contains("does not provide"), "{err}");
}

/// The whole example against a live PostgreSQL (`WASIO_PG_URL`), under
/// wasio and natively: version, prepared inserts, a transaction, a sum.
#[test]
fn pg_client_talks_to_a_live_server() {
    let Ok(url) = std::env::var("WASIO_PG_URL") else {
        skipped(
            "pg_client_talks_to_a_live_server",
            "WASIO_PG_URL is not set (`.ci/run` starts a scratch PostgreSQL when one is installed)",
        );
        return;
    };
    let wasm_run = || {
        let mut c = wasio_run();
        c.args(["--unknown-imports", "trap", "--allow-connect", "*"])
            .arg(wasm("examples/pg-client"))
            .arg(&url);
        c
    };
    let native_run = || {
        let mut c = Command::new(native("examples/pg-client"));
        c.arg(&url);
        c
    };
    for mut cmd in [wasm_run(), native_run()] {
        let o = run(&mut cmd, LIMIT);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.starts_with("server: PostgreSQL "), "{out}");
        assert!(
            out.contains("row 1 wasi\nrow 2 wasio\nrow 3 tokio\nrow 4 postgres\n"),
            "{out}"
        );
        assert!(
            out.contains("pg-client: ok (5 rows written, 4 read back, sum 10)"),
            "{out}"
        );
    }
}
