//! Tasks: [`spawn`], [`JoinHandle`], [`JoinSet`], [`AbortHandle`],
//! [`spawn_blocking`], [`yield_now`].
//!
//! wasio runs every task on one thread (wasm32-wasip1 has no threads), so
//! tasks need not be `Send`; [`spawn`] and [`spawn_local`] are the same
//! function, and tokio's `LocalSet` is not needed: every wasio task is
//! already local.

mod blocking;
pub mod coop;
mod join;
mod join_set;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_util::future::Abortable;
use futures_util::FutureExt as _;

pub use blocking::spawn_blocking;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;

use crate::runtime::with_current;

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
    let (abort, registration) = futures_util::future::AbortHandle::new_pair();
    let finished = Rc::new(Cell::new(false));
    let done = finished.clone();
    let wrapped = Abortable::new(
        std::panic::AssertUnwindSafe(future).catch_unwind(),
        registration,
    )
    .map(move |r| {
        done.set(true);
        match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(panic)) => Err(JoinError::panic(panic)),
            Err(_aborted) => Err(JoinError::cancelled()),
        }
    });
    let queue = with_current(|rt| rt.queue.clone());
    // `spawn_local`: the future stays on this thread; the schedule function
    // only pushes onto the runtime's queue, which any thread may do.
    let (runnable, task) = async_task::spawn_local(wrapped, move |r| queue.push(r));
    runnable.schedule();
    JoinHandle::new(task, abort, finished)
}

/// The same as [`spawn`]: every wasio task is local to its thread.
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn(future)
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
