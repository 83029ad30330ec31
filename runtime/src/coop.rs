//! Cooperative budgeting: an operation that would always succeed (a file
//! read, a ready socket) still yields now and then, so one busy task
//! cannot starve the others. The public face is [`crate::task::coop`].

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units a task may spend per poll, as tokio's.
pub(crate) const BUDGET: u32 = 128;

thread_local! {
    static LEFT: Cell<u32> = const { Cell::new(BUDGET) };
    /// Inside [`crate::task::coop::unconstrained`]: nothing is spent.
    static UNCONSTRAINED: Cell<bool> = const { Cell::new(false) };
}

/// Called by the executor before it polls a task.
pub(crate) fn reset() {
    LEFT.with(|l| l.set(BUDGET));
}

/// Spends one unit; when the task's budget is gone, schedules it again and
/// returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    if UNCONSTRAINED.with(Cell::get) {
        return Poll::Ready(());
    }
    LEFT.with(|l| {
        let left = l.get();
        if left == 0 {
            // After the other tasks, as tokio does.
            crate::runtime::defer(cx.waker());
            Poll::Pending
        } else {
            l.set(left - 1);
            Poll::Ready(())
        }
    })
}

/// Whether the running task has budget left (always, when unconstrained).
pub(crate) fn has_budget_remaining() -> bool {
    UNCONSTRAINED.with(Cell::get) || LEFT.with(Cell::get) > 0
}

/// Runs `f` with budgeting off (restored after, even on a panic).
pub(crate) fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            UNCONSTRAINED.with(|u| u.set(self.0));
        }
    }
    let _restore = Restore(UNCONSTRAINED.with(|u| u.replace(true)));
    f()
}
