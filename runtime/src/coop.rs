//! Cooperative budgeting: an operation that would always succeed (a file
//! read, a ready socket) still yields now and then, so one busy task
//! cannot starve the others.

use std::cell::Cell;
use std::task::{Context, Poll};

const BUDGET: u32 = 128;

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
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            l.set(left - 1);
            Poll::Ready(())
        }
    })
}
