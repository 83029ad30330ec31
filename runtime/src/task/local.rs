//! [`LocalSet`]: tokio's set of `!Send` tasks, for code that uses one.
//!
//! Every wasio task is already local to its runtime's thread, so a set is
//! not needed to spawn `!Send` futures; it keeps tokio's other promises:
//! tasks spawned on a set (also with [`spawn_local`](super::spawn_local)
//! inside it) are cancelled when the set is dropped, the set as a future
//! completes when they all have, and a set may be given tasks before any
//! runtime runs (they start when it is first driven in one).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::id::{Id, Runnable};

use super::wrap::{Tracked, Wrapped};
use super::JoinHandle;
use crate::runtime::Shared;
use crate::scoped::Scoped;

/// Where a set's tasks are scheduled: held until the set meets a runtime,
/// then that runtime's queue.
enum Target {
    Waiting(Vec<Runnable>),
    Runtime(Arc<Shared>),
}

/// What the set and its tasks share.
struct SetInner {
    target: Arc<Mutex<Target>>,
    /// The set's tasks, to cancel when it drops.
    tasks: RefCell<Vec<Tracked>>,
    /// Tasks not yet ended, and who waits for none to be left.
    live: Cell<usize>,
    idle: RefCell<Option<Waker>>,
    /// `unhandled_panic(ShutdownRuntime)`: a task's panic stops the set.
    shutdown_on_panic: Cell<bool>,
    /// A task of the set panicked.
    panicked: Cell<bool>,
    /// The `run_until` driving the set, woken when a task panics.
    driver: RefCell<Option<Waker>>,
}

impl SetInner {
    /// Panics, as tokio's set does, once a task panicked under
    /// `UnhandledPanic::ShutdownRuntime`.
    fn check_panicked(&self) {
        if self.shutdown_on_panic.get() && self.panicked.get() {
            panic!(
                "a spawned task panicked and the LocalSet is configured to shutdown on \
                 unhandled panic"
            );
        }
    }
}

/// Notes a panic out of a set task's poll (it unwinds through this guard)
/// and wakes whoever drives the set.
struct PanicWatch<'a>(&'a SetInner);

impl Drop for PanicWatch<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.panicked.set(true);
            for w in [self.0.driver.take(), self.0.idle.take()]
                .into_iter()
                .flatten()
            {
                w.wake();
            }
        }
    }
}

thread_local! {
    /// The set `spawn_local` puts tasks in on this thread, while one is
    /// driven or entered.
    static CURRENT_SET: RefCell<Option<Rc<SetInner>>> = const { RefCell::new(None) };
}

/// Makes `set` the current set until dropped.
struct SetScope {
    _scope: Scoped<Rc<SetInner>>,
}

impl SetScope {
    fn new(set: &Rc<SetInner>) -> Self {
        Self {
            _scope: Scoped::set(&CURRENT_SET, set.clone()),
        }
    }
}

/// Counts a task out of its set when its future ends or is dropped.
struct Member(Rc<SetInner>);

impl Drop for Member {
    fn drop(&mut self) {
        let left = self.0.live.get() - 1;
        self.0.live.set(left);
        if left == 0 {
            if let Some(w) = self.0.idle.borrow_mut().take() {
                w.wake();
            }
        }
    }
}

/// A task of a set: the set is current while it runs.
struct InSet<F> {
    member: Member,
    future: F,
}

impl<F: Future> Future for InSet<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let set = self.member.0.clone();
        let _scope = SetScope::new(&set);
        let _watch = PanicWatch(&set);
        // SAFETY: `future` is structurally pinned: never moved out, and
        // `InSet` has no `Drop` or `Unpin` impl of its own.
        unsafe { self.map_unchecked_mut(|s| &mut s.future) }.poll(cx)
    }
}

impl SetInner {
    /// Moves the set onto the current runtime if it waits for one.
    fn attach(&self) {
        let Some(inner) = crate::runtime::current_inner() else {
            return;
        };
        let mut target = self.target.lock().unwrap_or_else(|p| p.into_inner());
        if let Target::Waiting(held) = &mut *target {
            let held = std::mem::take(held);
            *target = Target::Runtime(inner.shared.clone());
            drop(target);
            for t in self.tasks.borrow().iter() {
                inner.track(t.clone());
            }
            for r in held {
                r.schedule();
            }
        }
    }

    fn spawn<F>(self: &Rc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.live.set(self.live.get() + 1);
        let task = InSet {
            member: Member(self.clone()),
            future,
        };
        let id = Id::next();
        let (wrapped, tracked) = Wrapped::new(task, id);
        let target = self.target.clone();
        let build = async_task::Builder::new().metadata(id);
        let (runnable, task) = build.spawn_local(
            |_| wrapped,
            move |r: Runnable| {
                let mut t = target.lock().unwrap_or_else(|p| p.into_inner());
                match &mut *t {
                    Target::Waiting(held) => held.push(r),
                    Target::Runtime(shared) => shared.queue.push(r),
                }
            },
        );
        let handle = JoinHandle::new(task, id, &tracked);
        self.attach();
        if let Some(inner) = crate::runtime::current_inner() {
            inner.track(tracked.clone());
        }
        self.tasks.borrow_mut().push(tracked);
        runnable.schedule();
        handle
    }
}

/// tokio's `LocalSet`: a set of tasks that run on this thread.
///
/// ```
/// use wasio::task::LocalSet;
///
/// let rt = wasio::Runtime::new().unwrap();
/// let local = LocalSet::new();
/// let shared = std::rc::Rc::new(5); // not Send
/// let task = local.spawn_local({
///     let shared = shared.clone();
///     async move { *shared * 2 }
/// });
/// let doubled = local.block_on(&rt, async { task.await.unwrap() });
/// assert_eq!(doubled, 10);
/// ```
pub struct LocalSet {
    inner: Rc<SetInner>,
}

/// Keeps a [`LocalSet`] current (for [`spawn_local`](super::spawn_local))
/// until dropped.
#[must_use = "the set is current only while the guard lives"]
pub struct LocalEnterGuard {
    _scope: SetScope,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalEnterGuard")
    }
}

impl Default for LocalSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.inner.live.get())
            .finish()
    }
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            inner: Rc::new(SetInner {
                target: Arc::new(Mutex::new(Target::Waiting(Vec::new()))),
                tasks: RefCell::new(Vec::new()),
                live: Cell::new(0),
                idle: RefCell::new(None),
                shutdown_on_panic: Cell::new(false),
                panicked: Cell::new(false),
                driver: RefCell::new(None),
            }),
        }
    }

    /// What a panic in one of the set's tasks does (tokio's unstable
    /// `LocalSet::unhandled_panic`): with
    /// [`ShutdownRuntime`](crate::runtime::UnhandledPanic::ShutdownRuntime)
    /// the set's [`run_until`](Self::run_until) (or the set awaited)
    /// panics in turn; with `Ignore`, the default, the panic is only the
    /// task's `JoinError`.
    pub fn unhandled_panic(&mut self, behavior: crate::runtime::UnhandledPanic) -> &mut Self {
        let stop = matches!(behavior, crate::runtime::UnhandledPanic::ShutdownRuntime);
        self.inner.shutdown_on_panic.set(stop);
        self
    }

    /// Makes this set the one [`spawn_local`](super::spawn_local) uses
    /// until the guard drops.
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _scope: SetScope::new(&self.inner),
        }
    }

    /// Spawns `future` on this set: it runs on this thread once the set
    /// is in a runtime (at once when one is current, else when the set is
    /// first driven).
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs `future` to completion on `rt` with this set's tasks.
    pub fn block_on<F: Future>(&self, rt: &crate::Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Runs `future` with this set current, its tasks running meanwhile;
    /// completes with `future`.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            self.inner.check_panicked();
            self.inner.attach();
            *self.inner.driver.borrow_mut() = Some(cx.waker().clone());
            let _scope = SetScope::new(&self.inner);
            future.as_mut().poll(cx)
        })
        .await
    }
}

impl Future for LocalSet {
    type Output = ();

    /// Ready when every task spawned on the set has ended.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.check_panicked();
        self.inner.attach();
        if self.inner.live.get() == 0 {
            return Poll::Ready(());
        }
        *self.inner.idle.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for LocalSet {
    /// Cancels the set's tasks (their futures are dropped when the
    /// runtime next runs, or with it).
    fn drop(&mut self) {
        for t in self.inner.tasks.borrow_mut().drain(..) {
            t.abort();
        }
        // Tasks that never met a runtime are dropped here.
        let mut target = self.inner.target.lock().unwrap_or_else(|p| p.into_inner());
        if let Target::Waiting(held) = &mut *target {
            let held = std::mem::take(held);
            drop(target);
            for r in held {
                super::id::run(r);
            }
        }
    }
}

/// The set `spawn_local` should use on this thread, if one is current.
pub(crate) fn spawn_in_current_set<F>(future: F) -> Result<JoinHandle<F::Output>, F>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match CURRENT_SET.with(|c| c.borrow().clone()) {
        Some(set) => Ok(set.spawn(future)),
        None => Err(future),
    }
}
