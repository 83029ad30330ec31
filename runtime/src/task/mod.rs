//! Tasks: [`spawn`], [`JoinHandle`], [`JoinSet`], [`AbortHandle`],
//! [`spawn_blocking`], [`yield_now`], [`LocalSet`].
//!
//! wasio runs every task on its runtime's thread (wasm32-wasip1 has no
//! threads), so tasks need not be `Send`: [`spawn`] takes any future, and
//! [`spawn_local`] differs only inside a [`LocalSet`] (which code written
//! for tokio may keep, though wasio does not need one).

mod blocking;
pub mod coop;
pub(crate) mod id;
mod join;
mod join_set;
mod local;
mod task_local;
mod wrap;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use blocking::spawn_blocking;
pub(crate) use blocking::spawn_blocking_on;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use id::{id, try_id, Id};
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use local::{LocalEnterGuard, LocalSet};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

use crate::runtime::{with_current, Inner, Shared};
pub(crate) use wrap::Tracked;
use wrap::Wrapped;

/// Starts `future` as a new task on the current runtime and returns a
/// handle to await its output or abort it. Dropping the handle detaches the
/// task; it keeps running.
///
/// A panic inside the task is caught and reported as a [`JoinError`]
/// where the target unwinds (native builds). On wasm32-wasip1 Rust aborts
/// on panic, so a panicking task ends the program.
///
/// # Panics
/// Outside a wasio runtime.
///
/// ```
/// wasio::block_on(async {
///     let handles: Vec<_> = (0..3).map(|i| wasio::spawn(async move { i * 2 })).collect();
///     let mut sum = 0;
///     for h in handles {
///         sum += h.await.unwrap();
///     }
///     assert_eq!(sum, 6);
/// });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    with_current(|rt| spawn_on(rt, future))
}

/// Ends a task spawned on a runtime that is gone: it is aborted and run
/// once, which drops its future unpolled.
fn cancel_now(runnable: id::Runnable, tracked: &Tracked) {
    tracked.abort();
    id::run(runnable);
}

/// [`spawn`] on the runtime `rt` (current or not), from its own thread.
pub(crate) fn spawn_on<F>(rt: &Rc<Inner>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let id = Id::next();
    let (wrapped, tracked) = Wrapped::new(future, id);
    let shared = rt.shared.clone();
    // `spawn_local`: the future stays on this thread; the schedule function
    // only pushes onto the runtime's queue, which any thread may do.
    let build = async_task::Builder::new().metadata(id);
    let (runnable, task) = build.spawn_local(|_| wrapped, move |r| shared.queue.push(r));
    let handle = JoinHandle::new(task, id, &tracked);
    if rt.shared.shut_down.load(Ordering::SeqCst) {
        cancel_now(runnable, &tracked);
    } else {
        rt.track(tracked);
        runnable.schedule();
    }
    handle
}

/// [`spawn`] of a `Send` future from a thread other than the runtime's:
/// it runs on the runtime's thread; cancelled at once if the runtime is
/// gone.
pub(crate) fn spawn_remote<F>(shared: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id = Id::next();
    let (wrapped, tracked) = Wrapped::new(future, id);
    let to = shared.clone();
    let build = async_task::Builder::new().metadata(id);
    let (runnable, task) = build.spawn(|_| wrapped, move |r| to.queue.push_remote(r));
    let handle = JoinHandle::new(task, id, &tracked);
    let mut remote = shared.remote.lock().unwrap_or_else(|p| p.into_inner());
    // Checked under the lock the runtime's shutdown takes: a task is
    // either cancelled by the shutdown or here.
    if shared.shut_down.load(Ordering::SeqCst) {
        drop(remote);
        cancel_now(runnable, &tracked);
    } else {
        remote.retain(|t| !t.is_finished());
        remote.push(tracked);
        drop(remote);
        runnable.schedule();
    }
    handle
}

/// Spawns a task that stays on this thread: in the current
/// [`LocalSet`] when one is driven or entered (so the set cancels it and
/// waits for it), else on the current runtime as [`spawn`] does (every
/// wasio task is local to its thread; tokio would panic there).
///
/// # Panics
/// Outside a runtime and a `LocalSet`, with tokio's message.
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match local::spawn_in_current_set(future) {
        Ok(handle) => handle,
        Err(future) => match crate::runtime::current_inner() {
            Some(rt) => spawn_on(&rt, future),
            None if crate::runtime::Handle::try_current().is_ok() => panic!(
                "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on"
            ),
            None => panic!(
                "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`"
            ),
        },
    }
}

/// Runs `f` on this thread at once and returns what it returns (tokio's
/// `block_in_place`); inside it a runtime's `block_on` may be called.
/// tokio moves the worker's other tasks to another thread meanwhile;
/// wasio has one thread, so they wait until `f` returns, as for any
/// blocking call in a task. Prefer [`spawn_blocking`] for long work.
///
/// ```
/// wasio::block_on(async {
///     let n = wasio::task::block_in_place(|| 6 * 7);
///     assert_eq!(n, 42);
/// });
/// ```
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::runtime::outside_tasks(f)
}

/// Lets other tasks run before this one continues.
///
/// ```
/// wasio::block_on(async {
///     wasio::task::yield_now().await;
/// });
/// ```
pub async fn yield_now() {
    YieldNow(false).await
}

struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        // Runs again after the tasks already queued, and after a look at
        // I/O, as with tokio's scheduler.
        crate::runtime::defer(cx.waker());
        Poll::Pending
    }
}
