//! [`Handle`]: a reference to a runtime, to spawn on it, enter it or
//! drive it, from any thread.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::rc::Rc;
use std::sync::Arc;

use super::scheduler::{self, Entered, EnteredForeign, Inner, Shared};
use crate::task::JoinHandle;

/// A reference to a runtime (tokio's `Handle`): `Send + Sync`, clone it
/// freely. It does not keep the runtime's tasks alive: once the
/// [`Runtime`](super::Runtime) is dropped, what is spawned through a handle
/// is cancelled at once.
///
/// The runtime runs its tasks, sockets and timers on the thread that made
/// it. From that thread a handle does all a `Runtime` does; from another
/// thread it spawns `Send` futures (they run on the runtime's thread),
/// enters the runtime (so `Handle::current` finds it there) and blocks on
/// futures that need no socket or timer of the runtime.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

/// A runtime's identity, unique in the process (tokio's `runtime::Id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which scheduler a runtime has: wasio's is always one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread that drives the runtime.
    CurrentThread,
}

/// Why [`Handle::try_current`] found no runtime.
#[derive(Debug)]
pub struct TryCurrentError {
    destroyed: bool,
}

impl TryCurrentError {
    /// This thread is outside any runtime.
    pub fn is_missing_context(&self) -> bool {
        !self.destroyed
    }

    /// The thread's runtime context was already torn down (a thread-local
    /// destructor).
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.destroyed
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.destroyed {
            f.write_str("the wasio runtime context was destroyed with its thread")
        } else {
            f.write_str(scheduler::NO_RUNTIME)
        }
    }
}

impl std::error::Error for TryCurrentError {}

/// Figures about a runtime (tokio's stable `RuntimeMetrics`).
#[derive(Clone)]
pub struct RuntimeMetrics {
    shared: Arc<Shared>,
}

impl RuntimeMetrics {
    /// Threads that run tasks: always 1.
    pub fn num_workers(&self) -> usize {
        1
    }

    /// Tasks spawned and not yet finished (counted on the runtime's own
    /// thread; elsewhere those spawned from other threads).
    pub fn num_alive_tasks(&self) -> usize {
        match self.shared.local() {
            Some(inner) => inner.alive(),
            None => self.shared.remote_alive(),
        }
    }

    /// Tasks queued to run.
    pub fn global_queue_depth(&self) -> usize {
        self.shared.queue.len()
    }

    /// Tasks scheduled to run (spawned or woken) from outside the runtime:
    /// those spawned from other threads (tokio's unstable
    /// `remote_schedule_count`).
    pub fn remote_schedule_count(&self) -> u64 {
        self.shared.queue.scheduled().1
    }

    /// Tasks the runtime's one worker scheduled (spawned or woken) for
    /// itself; `worker` is 0 (tokio's unstable
    /// `worker_local_schedule_count`).
    pub fn worker_local_schedule_count(&self, worker: usize) -> u64 {
        assert_eq!(worker, 0, "a wasio runtime has one worker");
        self.shared.queue.scheduled().0
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_alive_tasks", &self.num_alive_tasks())
            .finish()
    }
}

/// Keeps a runtime current on this thread (from [`Handle::enter`] or
/// [`Runtime::enter`](super::Runtime::enter)); the one before comes back
/// when it drops. Guards must be dropped in the reverse order of their
/// making.
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _entered: Guard,
    _handle: PhantomData<&'a Handle>,
}

/// Either kind of entering; dropping it leaves.
#[allow(dead_code)] // held for its `Drop`
enum Guard {
    Local(Entered),
    Foreign(EnteredForeign),
}

impl EnterGuard<'_> {
    pub(crate) fn local(inner: &Rc<Inner>) -> Self {
        Self {
            _entered: Guard::Local(Entered::new(inner.clone())),
            _handle: PhantomData,
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The runtime current on this thread.
    ///
    /// # Panics
    /// Outside a runtime (use [`try_current`](Self::try_current)).
    ///
    /// ```
    /// wasio::block_on(async {
    ///     let h = wasio::runtime::Handle::current();
    ///     assert_eq!(h.spawn(async { 3 }).await.unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Self {
        match Self::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// The runtime current on this thread, or why there is none.
    ///
    /// ```
    /// assert!(wasio::runtime::Handle::try_current().unwrap_err().is_missing_context());
    /// ```
    pub fn try_current() -> Result<Self, TryCurrentError> {
        match scheduler::current_shared() {
            Ok(Some(shared)) => Ok(Self { shared }),
            Ok(None) => Err(TryCurrentError { destroyed: false }),
            Err(_) => Err(TryCurrentError { destroyed: true }),
        }
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        match self.shared.local() {
            Some(inner) => EnterGuard::local(&inner),
            None => EnterGuard {
                _entered: Guard::Foreign(EnteredForeign::new(self.shared.clone())),
                _handle: PhantomData,
            },
        }
    }

    /// Spawns `future` on this runtime, from any thread; it runs on the
    /// runtime's thread. After the runtime is dropped the task is
    /// cancelled at once.
    ///
    /// ```
    /// let rt = wasio::Runtime::new().unwrap();
    /// let handle = rt.handle().clone(); // Send: may go to another thread
    /// let task = handle.spawn(async { 2 + 2 });
    /// assert_eq!(rt.block_on(task).unwrap(), 4);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.shared.local() {
            Some(inner) => crate::task::spawn_on(&inner, future),
            None => crate::task::spawn_remote(&self.shared, future),
        }
    }

    /// Runs `f` where it may block (see [`crate::task::spawn_blocking`]),
    /// its task on this runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::task::spawn_blocking_on(self, f)
    }

    /// Runs `future` to completion on this thread. On the runtime's own
    /// thread it drives the runtime meanwhile (its tasks, sockets and
    /// timers), as [`Runtime::block_on`](super::Runtime::block_on) does;
    /// on another thread it enters the runtime and waits for `future`
    /// alone (as tokio's does for a current-thread runtime driven
    /// elsewhere).
    ///
    /// # Panics
    /// From inside a `block_on` on this thread.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.shared.local() {
            Some(inner) => inner.block_on(future),
            None => {
                let _enter = self.enter();
                scheduler::park_on(future)
            }
        }
    }

    /// Whether the runtime has been dropped.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shared.is_shut_down()
    }

    /// Always [`RuntimeFlavor::CurrentThread`].
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        RuntimeFlavor::CurrentThread
    }

    /// The name given with [`Builder::name`](super::Builder::name).
    pub fn name(&self) -> Option<&str> {
        self.shared.name.as_deref()
    }

    /// The runtime's identity.
    pub fn id(&self) -> Id {
        Id(NonZeroU64::new(self.shared.id).expect("runtime ids start at 1"))
    }

    /// Figures about this runtime.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics {
            shared: self.shared.clone(),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.shared.id)
            .field("name", &self.name())
            .finish()
    }
}
