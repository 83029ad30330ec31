//! # wasio-host
//!
//! The host side of [wasio](https://example.invalid/wasio): it runs WASI
//! preview1 command modules under wasmtime with a sandbox you spell out on
//! the command line. Everything in `wasi_snapshot_preview1` is implemented
//! here, not borrowed from wasmtime-wasi: files through cap-std, readiness
//! through one persistent mio `Poll`, sockets included.
//!
//! The `wasio` binary is a thin layer over [`run::RunConfig`]:
//!
//! ```no_run
//! use wasio_host::run::RunConfig;
//!
//! let mut cfg = RunConfig::new("guest.wasm");
//! cfg.args.push("--verbose".into());
//! cfg.dirs.push(("/srv/data".into(), "/data".into(), false));
//! let status = cfg.run().expect("guest could not start");
//! std::process::exit(status);
//! ```

pub mod activation;
pub mod cli;
pub mod engine;
#[doc(hidden)]
pub mod fuzz;
pub mod limits;
pub mod policy;
mod rlimit;
pub mod run;
pub mod wasi;
