//! [`LocalRuntime`]: tokio's runtime for `!Send` tasks — what every wasio
//! runtime already is.

use std::future::Future;
use std::time::Duration;

use super::{EnterGuard, Handle, Runtime, RuntimeMetrics};
use crate::task::JoinHandle;

/// Options for [`Builder::build_local`](super::Builder::build_local)
/// (none yet, as in tokio).
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct LocalOptions {}

/// tokio's `LocalRuntime`: a runtime whose tasks need not be `Send`. Every
/// wasio [`Runtime`] is one; this type gives tokio's name and its
/// [`spawn_local`](Self::spawn_local).
///
/// ```
/// use wasio::runtime::{Builder, LocalOptions};
///
/// let rt = Builder::new_current_thread().build_local(LocalOptions::default()).unwrap();
/// let shared = std::rc::Rc::new(3);
/// let task = rt.spawn_local(async move { *shared + 1 });
/// assert_eq!(rt.block_on(task).unwrap(), 4);
/// ```
#[derive(Debug)]
pub struct LocalRuntime(Runtime, std::marker::PhantomData<std::rc::Rc<()>>);

impl LocalRuntime {
    pub(crate) fn new(rt: Runtime) -> Self {
        Self(rt, std::marker::PhantomData)
    }

    /// Runs `future` to completion, driving the runtime meanwhile (see
    /// [`Runtime::block_on`]).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    /// Spawns a task on this runtime; it need not be `Send`.
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        crate::task::spawn_on(&self.0.inner(), future)
    }

    /// Spawns a `Send` task on this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    /// See [`Runtime::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.0.spawn_blocking(f)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        self.0.handle()
    }

    /// Makes this runtime current until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.0.enter()
    }

    /// Figures about this runtime.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.0.metrics()
    }

    /// Drops the runtime, cancelling its tasks.
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.0.shutdown_timeout(timeout)
    }

    /// Drops the runtime without waiting for blocking-pool threads.
    pub fn shutdown_background(self) {
        self.0.shutdown_background()
    }
}
