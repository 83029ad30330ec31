//! # wasio
//!
//! A small, tokio-like async runtime for programs that run as WebAssembly
//! (`wasm32-wasip1`) under a WASI preview1 host such as `wasio run` —
//! and, from the same source, natively (on mio).
//!
//! - **tasks**: [`spawn`], [`JoinHandle`],
//!   [`task::yield_now`]; single-threaded, so tasks need not be `Send`;
//! - **time**: [`time::sleep`], [`time::interval`], [`time::timeout`];
//! - **I/O**: tokio's I/O traits and utilities in [`io`] (every wasio I/O
//!   type implements them), async stdin/stdout/stderr;
//! - **files**: [`fs`]; **TCP, UDP, Unix sockets**: [`net`];
//!   **channels and locks**: tokio's [`sync`];
//! - **signals**: [`signal::ctrl_c`], [`signal::terminate`], to drain and
//!   exit cleanly;
//! - tokio's [`select!`], [`join!`], [`try_join!`] and [`pin!`];
//! - with cargo features: `http` / `http2` — `wasio::http`, hyper and axum
//!   servers and clients; `tls` — `wasio::tls`, rustls on a pure-Rust
//!   provider (`tls-ring` for ring's); `futures-io` — the futures crates'
//!   I/O traits on every I/O type.
//!
//! A tokio program ports by renaming `tokio::` to `wasio::`: what tokio
//! implements without its runtime is tokio's own code, re-exported; the
//! rest (tasks, time, net, fs, stdio) is wasio's, with tokio's names and
//! semantics. `docs/porting-from-tokio.md` lists the differences.
//!
//! On wasm32-wasip1 every wait is one `poll_oneoff` holding exactly the
//! (fd, direction) pairs some task waits on plus the nearest timer; on
//! native targets the same reactor waits on a mio `Poll`. The platform
//! code lives in one place (`sys/wasi`, `sys/native`); everything else is
//! shared.
//!
//! ```
//! use std::time::Duration;
//!
//! #[wasio::main]
//! async fn main() {
//!     let ticker = wasio::spawn(async {
//!         let mut every = wasio::time::interval(Duration::from_millis(5));
//!         for _ in 0..3 {
//!             every.tick().await;
//!         }
//!         "ticked 3 times"
//!     });
//!     wasio::time::sleep(Duration::from_millis(1)).await;
//!     assert_eq!(ticker.await.unwrap(), "ticked 3 times");
//! }
//! # #[allow(clippy::main_recursion)]
//! # fn _doc() {}
//! ```

mod coop;
mod reactor;
pub mod runtime;
mod scoped;
mod sys;

pub mod fs;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
pub mod macros;
pub mod net;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;

pub use runtime::{block_on, Runtime};

/// tokio's `select!`: waits on several branches, runs the first that
/// completes (patterns may be refutable; `else` when none can match;
/// `biased;` to poll in order). Re-exported from tokio, which needs no
/// tokio runtime for it.
#[doc(inline)]
pub use tokio::select;

/// tokio's `join!`: runs several futures at once in this task, waits for
/// all.
#[doc(inline)]
pub use tokio::join;

/// tokio's `try_join!`: like `join!`, stopping at the first `Err`.
#[doc(inline)]
pub use tokio::try_join;

pub use task::{spawn, spawn_local, JoinHandle};
/// tokio's `pin!`: pins a future to the stack.
#[doc(inline)]
pub use tokio::pin;
pub use wasio_macros::{main, test};
