//! The one platform seam. Everything above `sys` is shared; below it,
//! `wasi` waits with preview1 `poll_oneoff`, `native` with a mio `Poll`.
//!
//! Both expose the same items:
//! - `Poller::new()`, `Poller::add_interest(fd, dir)` (returns `true` when
//!   the fd can never block, such as a regular file), `Poller::wait(waiting,
//!   timeout, ready)`, `Poller::forget(fd)`, `Poller::unparker()`;
//! - `Unparker::unpark()` to interrupt a `wait` from another thread;
//! - `stdin_ready()`, a level-triggered readiness check of fd 0;
//! - `THREADS`: whether another thread can wake a parked runtime;
//! - `preopened_listener_fds()`: listening sockets the host handed over;
//! - `net::*`: socket calls on raw fds (create, bind, listen, connect,
//!   accept, send/recv, addresses, options by typed name, multicast,
//!   resolve), the wasio extension on wasm and plain system calls natively.
//!
//! `sockopt` (shared) gives the typed option calls the rest of the runtime
//! uses, checked once for both targets.

/// Which way an fd is waited on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Read,
    Write,
}

pub(crate) mod net_types;
pub(crate) mod sockopt;

#[cfg(target_os = "wasi")]
mod wasi;
#[cfg(target_os = "wasi")]
pub(crate) use self::wasi::*;

#[cfg(not(target_os = "wasi"))]
mod native;
#[cfg(not(target_os = "wasi"))]
pub(crate) use self::native::*;
