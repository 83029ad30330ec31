//! The cooperative budget, as `tokio::task::coop`: every task gets 128
//! units each time it is polled; wasio's sockets, files and stdio spend
//! one per operation that completes at once, and an operation finding the
//! budget spent yields instead (the task is scheduled again after the
//! others), so a task whose I/O is always ready cannot starve the rest.
//! `io::sink`, `io::empty` and `io::repeat` are wasio's own and spend it
//! too. tokio's own code re-exported here (`wasio::sync`, tokio's
//! in-memory `io` utilities such as `duplex`) consults tokio's budget
//! instead, which only tokio's scheduler sets: those never yield for
//! budget under wasio (docs/porting-from-tokio.md).
//!
//! ```
//! # wasio::block_on(async {
//! use wasio::task::coop;
//! assert!(coop::has_budget_remaining());
//! for _ in 0..1000 {
//!     // A loop over something always ready: yields every 128 rounds.
//!     coop::consume_budget().await;
//! }
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Spends one unit of the running task's budget, yielding first when it
/// is spent (tokio's `consume_budget`).
pub async fn consume_budget() {
    std::future::poll_fn(crate::coop::poll_proceed).await
}

/// Whether the running task has budget left.
pub fn has_budget_remaining() -> bool {
    crate::coop::has_budget_remaining()
}

/// `future`, exempt from the budget: operations inside it never yield for
/// budget (tokio's `unconstrained`; use it sparingly).
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future [`unconstrained`] returns.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Unconstrained<F> {
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: never moved out of
        // `self`, and `Unconstrained` has no `Drop` or `Unpin` impl of its
        // own that would move it.
        let future = unsafe { self.map_unchecked_mut(|s| &mut s.future) };
        crate::coop::unconstrained(|| future.poll(cx))
    }
}

/// `future`, taking part in the budget: each poll first spends a unit,
/// and yields if the budget is spent (tokio's `cooperative`), for a future
/// of your own that may always be ready.
pub fn cooperative<F: Future>(future: F) -> Cooperative<F> {
    Cooperative { future }
}

/// The future [`cooperative`] returns.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Cooperative<F> {
    future: F,
}

impl<F: Future> Future for Cooperative<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        // SAFETY: as for `Unconstrained`: `future` is never moved.
        let future = unsafe { self.map_unchecked_mut(|s| &mut s.future) };
        future.poll(cx)
    }
}
