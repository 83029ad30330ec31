//! What I/O fails with once its runtime is shut down, and tokio's test
//! for it.

use std::{fmt, io};

/// The inner error of [`error`]: a type, so the test below cannot be
/// fooled by a message.
#[derive(Debug)]
struct ShutDown;

impl fmt::Display for ShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the wasio runtime has been shut down: it drives no more sockets")
    }
}

impl std::error::Error for ShutDown {}

/// The error a socket operation gives under a runtime that has been
/// dropped (or shut down with `shutdown_timeout`/`shutdown_background`).
pub(crate) fn error() -> io::Error {
    io::Error::other(ShutDown)
}

/// Fails with [`error`] when this thread's current runtime has been shut
/// down; fine under a live runtime, or none.
pub(crate) fn check() -> io::Result<()> {
    match super::try_with_current(|inner| inner.shared.is_shut_down()) {
        Some(true) => Err(error()),
        _ => Ok(()),
    }
}

/// Whether `err` says the runtime was shut down (tokio's
/// `runtime::is_rt_shutdown_err`). After a runtime is dropped, making a
/// socket under it and waiting on one it holds fail with this error
/// instead of waiting forever; files and stdio, which need no runtime
/// under wasio, keep working.
///
/// ```
/// # #[cfg(not(target_os = "wasi"))] {
/// use wasio::runtime::{is_rt_shutdown_err, Builder, Handle};
///
/// let rt = Builder::new_current_thread().enable_all().build().unwrap();
/// let _guard = rt.enter();
/// rt.shutdown_background();
/// let err = Handle::current()
///     .block_on(wasio::net::TcpListener::bind("127.0.0.1:0"))
///     .unwrap_err();
/// assert!(is_rt_shutdown_err(&err));
/// assert!(!is_rt_shutdown_err(&std::io::Error::other("something else")));
/// # }
/// ```
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<ShutDown>())
}
