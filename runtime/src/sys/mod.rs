//! The one platform seam. Everything above `sys` is shared; below it,
//! `wasi` waits with preview1 `poll_oneoff`, `native` with a mio `Poll`.
//!
//! Both expose the same items:
//! - `Poller::new()`, `Poller::add_interest(fd, dir)` (a [`Registration`]:
//!   whether the poller keeps the interest itself or needs it passed to
//!   every wait, or the fd can never block), `Poller::wait(per_wait,
//!   timeout, ready)`, `Poller::forget(fd)`, `Poller::reports_again(fd)`,
//!   `Poller::closed(fd)` (hang-ups reported, for `Ready::is_read_closed`),
//!   `Poller::has_news()` (a look at I/O is worth it with nothing waiting),
//!   `Poller::unparker()`;
//! - `Unparker::unpark()` to interrupt a `wait` from another thread;
//! - `stdin_ready()`, a level-triggered readiness check of fd 0;
//! - `THREADS`: whether another thread can wake a parked runtime;
//! - `preopened_listener_fds()`: listening sockets the host handed over;
//! - `signal_fd(signal)`: a stream receiving a byte per delivery;
//! - `symlink(original, link)`: std has no stable call for it on WASI;
//! - `init()`: once per process, at the first runtime (on wasm: `$TMPDIR`
//!   as tempfile's default, std's `temp_dir()` being a panic there);
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

/// How the poller holds a task's interest in an (fd, direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registration {
    /// The fd can never block (a regular file): it is ready now. (On
    /// wasm the host answers for files within the wait.)
    #[cfg_attr(target_os = "wasi", allow(dead_code))]
    AlwaysReady,
    /// The poller keeps the interest (mio natively; `wasio_poll_v1` on
    /// wasm): waits need not list it.
    Persistent,
    /// Every wait must list it (preview1 `poll_oneoff`). Never natively.
    #[cfg_attr(not(target_os = "wasi"), allow(dead_code))]
    PerWait,
}

/// A signal a program can take over (`wasio::signal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT.
    Interrupt,
    /// SIGTERM.
    Terminate,
}

mod fd_bits;
pub(crate) mod net_types;
pub(crate) mod sockopt;

pub(crate) use fd_bits::FdBits;

#[cfg(target_os = "wasi")]
mod wasi;
#[cfg(target_os = "wasi")]
pub(crate) use self::wasi::*;

#[cfg(not(target_os = "wasi"))]
mod native;
#[cfg(not(target_os = "wasi"))]
pub(crate) use self::native::*;
