//! # wasio
//!
//! A small, tokio-like async runtime for programs that run as WebAssembly
//! (`wasm32-wasip1`) under a WASI preview1 host such as `wasio run` —
//! and, from the same source, natively (on mio).
//!
//! - **tasks**: [`spawn`], [`JoinHandle`],
//!   [`task::yield_now`]; single-threaded, so tasks need not be `Send`;
//! - **time**: [`time::sleep`], [`time::interval`], [`time::timeout`];
//! - **I/O**: the `futures-io` traits and helpers in [`io`], async
//!   stdin/stdout/stderr;
//! - **files**: [`fs`]; **TCP**: [`net`]; **channels and locks**: [`sync`].
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
mod runtime;
mod sys;

pub mod fs;
pub mod io;
pub mod net;
pub mod sync;
pub mod task;
pub mod time;

pub use runtime::{block_on, Runtime};
pub use task::{spawn, spawn_local, JoinHandle};
pub use wasio_macros::{main, test};
