//! The runtime, with tokio's shapes: [`Runtime`], [`Builder`], [`Handle`]
//! and enter guards.
//!
//! A wasio runtime runs every task on the thread that drives it (the only
//! thread a wasm32-wasip1 guest has), so it is tokio's current-thread
//! runtime: tasks spawned on it run while some thread is in its
//! [`block_on`](Runtime::block_on), they outlive one `block_on` and go on
//! at the next, and dropping the runtime cancels them (their futures are
//! dropped, with the runtime current so their sockets and timers
//! deregister). I/O and timers are always enabled.
//!
//! ```
//! use wasio::runtime::Builder;
//!
//! let rt = Builder::new_current_thread().enable_all().build().unwrap();
//! let task = rt.spawn(async { 6 * 7 });
//! assert_eq!(rt.block_on(task).unwrap(), 42);
//! ```

mod builder;
mod handle;
mod local;
mod scheduler;
pub(crate) mod shutdown;
mod tokio_hint;

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

pub use builder::{Builder, RngSeed, UnhandledPanic};
pub use handle::{EnterGuard, Handle, Id, RuntimeFlavor, RuntimeMetrics, TryCurrentError};
pub use local::{LocalOptions, LocalRuntime};
pub use shutdown::is_rt_shutdown_err;

pub(crate) use scheduler::{
    current_inner, defer, outside_tasks, task_panicked, try_with_current, try_with_reactor,
    with_current, with_reactor, Inner, Shared,
};

use crate::task::JoinHandle;

/// A single-threaded async runtime: executor, timers and I/O reactor.
///
/// ```
/// let rt = wasio::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let task = wasio::spawn(async { 40 + 2 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    handle: Handle,
}

impl Runtime {
    /// Creates a runtime (and its poller): what
    /// `Builder::new_current_thread().enable_all().build()` makes.
    pub fn new() -> io::Result<Self> {
        Builder::new_current_thread().enable_all().build()
    }

    pub(crate) fn from_inner(inner: Rc<Inner>) -> Self {
        Self {
            handle: Handle::new(inner.shared.clone()),
        }
    }

    /// The runtime on its own thread.
    ///
    /// # Panics
    /// On another thread.
    #[track_caller]
    pub(crate) fn inner(&self) -> Rc<Inner> {
        self.handle.shared().local().expect(
            "a wasio runtime is driven on the thread that built it (from others use its Handle)",
        )
    }

    /// Runs `future` to completion on this thread, running spawned tasks
    /// meanwhile. Tasks still pending when it completes stay with the
    /// runtime: they go on at its next `block_on`, and are cancelled when
    /// it is dropped.
    ///
    /// # Panics
    /// When called from inside a `block_on` on this thread (from async
    /// code: await the future instead), on a thread other than the one
    /// that built the runtime, or (on wasm32-wasip1) when every task waits
    /// and nothing can wake one.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner().block_on(future)
    }

    /// Spawns `future` on this runtime, from any thread; it runs while the
    /// runtime is driven (futures that are not `Send`: [`crate::spawn`] on
    /// the runtime's thread, or [`LocalRuntime`]).
    ///
    /// ```
    /// let rt = wasio::Runtime::new().unwrap();
    /// let (tx, rx) = wasio::sync::oneshot::channel();
    /// rt.spawn(async move { tx.send("hello").unwrap() });
    /// assert_eq!(rt.block_on(rx).unwrap(), "hello");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` where it may block: natively on a thread of the blocking
    /// pool, on wasm on this thread (see [`crate::task::spawn_blocking`]).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime the thread's current one (for `wasio::spawn`,
    /// sockets and timers made outside `block_on`) until the guard drops.
    ///
    /// ```
    /// let rt = wasio::Runtime::new().unwrap();
    /// let task = {
    ///     let _guard = rt.enter();
    ///     wasio::spawn(async { 1 })
    /// };
    /// assert_eq!(rt.block_on(task).unwrap(), 1);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Figures about this runtime.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Drops the runtime, cancelling its tasks. (Blocking-pool threads
    /// already running a closure are not waited for, with or without a
    /// timeout.)
    pub fn shutdown_timeout(self, _timeout: Duration) {
        drop(self);
    }

    /// Drops the runtime without waiting for blocking-pool threads.
    pub fn shutdown_background(self) {
        drop(self);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.handle.shared().release();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .finish()
    }
}

/// Runs `future` to completion on a new runtime.
///
/// ```
/// let v = wasio::block_on(async { 7 });
/// assert_eq!(v, 7);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new()
        .expect("wasio: cannot create the runtime's poller")
        .block_on(future)
}
