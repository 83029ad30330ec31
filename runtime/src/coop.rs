//! Cooperative budgeting: an operation that would always succeed (a file
//! read, a ready socket) still yields now and then, so one busy task
//! cannot starve the others. The public face is [`crate::task::coop`].

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units a task may spend per poll, as tokio's.
pub(crate) const BUDGET: u32 = 128;

/// The budget inside [`crate::task::coop::unconstrained`]: more than one
/// poll can spend, and put back as it was afterwards.
const UNLIMITED: u32 = u32::MAX;

thread_local! {
    static LEFT: Cell<u32> = const { Cell::new(BUDGET) };
}

/// Called by the executor before it polls a task.
pub(crate) fn reset() {
    LEFT.with(|l| l.set(BUDGET));
}

/// Spends one unit; when the task's budget is gone, schedules it again and
/// returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
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
    LEFT.with(Cell::get) > 0
}

/// Runs `f` with budgeting off: what it spends is put back after (even on
/// a panic), so it neither yields nor uses the task's budget.
pub(crate) fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            LEFT.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(LEFT.with(|l| l.replace(UNLIMITED)));
    f()
}
