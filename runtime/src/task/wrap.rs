//! The future a task runs: the spawned future with its panics caught
//! (also a panic while it is dropped), abortable, its end recorded.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use super::{Id, JoinError};

/// What a task's handles and its runtime share.
#[derive(Default)]
struct State {
    aborted: AtomicBool,
    finished: AtomicBool,
    waker: AtomicWaker,
}

/// A task as its runtime (and its `AbortHandle`) sees it: enough to
/// cancel it and to tell whether it ended.
#[derive(Clone, Default)]
pub(crate) struct Tracked(Arc<State>);

impl Tracked {
    /// Cancels the task: it ends at its next poll, its future dropped.
    pub(crate) fn abort(&self) {
        self.0.aborted.store(true, Ordering::SeqCst);
        self.0.waker.wake();
    }

    /// Whether the task has ended (completed, panicked or cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.0.finished.load(Ordering::Acquire)
    }
}

/// The spawned future `F` as a task: see the module docs.
pub(crate) struct Wrapped<F> {
    future: Option<F>,
    state: Tracked,
    id: Id,
}

impl<F: Future> Wrapped<F> {
    pub(crate) fn new(future: F, id: Id) -> (Self, Tracked) {
        let state = Tracked::default();
        let task = Self {
            future: Some(future),
            state: state.clone(),
            id,
        };
        (task, state)
    }
}

/// Drops the future in `slot` in place, catching a panic from its `Drop`.
fn drop_future<F>(mut slot: Pin<&mut Option<F>>, id: Id) -> Result<(), JoinError> {
    catch_unwind(AssertUnwindSafe(move || slot.set(None))).map_err(|p| JoinError::panic(id, p))
}

impl<F: Future> Future for Wrapped<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned (never moved out, only
        // dropped in place); `state` and `id` are not.
        let this = unsafe { self.get_unchecked_mut() };
        let (id, state) = (this.id, &this.state);
        // SAFETY: as above.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let result = if state.0.aborted.load(Ordering::SeqCst) {
            Err(JoinError::cancelled(id))
        } else {
            state.0.waker.register(cx.waker());
            if future.is_none() {
                panic!("a task polled after it ended");
            }
            // A future whose poll panics is dropped during the unwinding,
            // as tokio does (its `Drop` sees `thread::panicking()`).
            struct DropOnUnwind<'a, F>(Option<Pin<&'a mut Option<F>>>);
            impl<F> Drop for DropOnUnwind<'_, F> {
                fn drop(&mut self) {
                    if std::thread::panicking() {
                        if let Some(slot) = self.0.as_mut() {
                            slot.set(None);
                        }
                    }
                }
            }
            match catch_unwind(AssertUnwindSafe(|| {
                let mut guard = DropOnUnwind(Some(future.as_mut()));
                let future = guard.0.as_mut().expect("set above").as_mut();
                let polled = future.as_pin_mut().map(|f| f.poll(cx));
                guard.0 = None;
                polled.expect("checked above")
            })) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(v)) => Ok(v),
                Err(p) => {
                    crate::runtime::task_panicked();
                    Err(JoinError::panic(id, p))
                }
            }
        };
        // Ended: the future is dropped now, while the task's id is current.
        let dropped = drop_future(future, id);
        state.0.finished.store(true, Ordering::Release);
        Poll::Ready(match (result, dropped) {
            // A panic while dropping a cancelled task is what it reports.
            (Err(e), Err(p)) if e.is_cancelled() => Err(p),
            (result, _) => result,
        })
    }
}
