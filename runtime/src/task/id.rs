//! Task ids: [`Id`], [`id`], [`try_id`].

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// A task's identity, unique among the tasks alive in the process
/// (tokio's `task::Id`): from [`JoinHandle::id`](super::JoinHandle::id),
/// [`AbortHandle::id`](super::AbortHandle::id) or, inside the task,
/// [`id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NonZeroU64::new(NEXT.fetch_add(1, Ordering::Relaxed)).expect("2^64 tasks"))
    }
}

thread_local! {
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

/// The id of the task that is running.
///
/// # Panics
/// Outside a task (the future given to `block_on` is not one).
///
/// ```
/// wasio::block_on(async {
///     let h = wasio::spawn(async { wasio::task::id() });
///     let id = h.id();
///     assert_eq!(h.await.unwrap(), id);
/// });
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!("can't get a task id when not inside a task"),
    }
}

/// The id of the task that is running, if a task is.
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(Cell::get).ok().flatten()
}

/// Makes `id` the running task's until dropped (while a task is polled,
/// and while its future or output is dropped).
pub(crate) struct Running(Option<Id>);

impl Running {
    pub(crate) fn new(id: Id) -> Self {
        Self(CURRENT.with(|c| c.replace(Some(id))))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// A task as the run queue holds it: its id is its metadata.
pub(crate) type Runnable = async_task::Runnable<Id>;

/// Runs `r` with its id current.
pub(crate) fn run(r: Runnable) {
    let _running = Running::new(*r.metadata());
    r.run();
}
