//! [`JoinSet`]: a set of tasks, awaited in the order they finish.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::{spawn, AbortHandle, JoinError, JoinHandle};

/// Tasks finished (or cancelled) but not yet collected, and who waits.
#[derive(Default)]
struct Done {
    ids: VecDeque<u64>,
    waker: Option<Waker>,
}

/// Marks its task done when dropped: when the task's future completes,
/// panics or is aborted.
struct Finish {
    id: u64,
    done: Rc<RefCell<Done>>,
}

impl Drop for Finish {
    fn drop(&mut self) {
        let mut d = self.done.borrow_mut();
        d.ids.push_back(self.id);
        if let Some(w) = d.waker.take() {
            w.wake();
        }
    }
}

/// A set of tasks spawned together (tokio's `JoinSet`): collect their
/// results with [`join_next`](Self::join_next) in the order they finish;
/// dropping the set aborts every task still in it.
///
/// ```
/// use wasio::task::JoinSet;
///
/// wasio::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..3u64 {
///         set.spawn(async move {
///             wasio::time::sleep(std::time::Duration::from_millis(30 - 10 * i)).await;
///             i
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(r) = set.join_next().await {
///         order.push(r.unwrap());
///     }
///     assert_eq!(order, [2, 1, 0]);
/// });
/// ```
pub struct JoinSet<T> {
    tasks: HashMap<u64, JoinHandle<T>>,
    done: Rc<RefCell<Done>>,
    next_id: u64,
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            tasks: HashMap::new(),
            done: Rc::default(),
            next_id: 0,
        }
    }

    /// Tasks in the set (running, or finished and not yet joined).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Spawns `task` into the set.
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        let id = self.next_id;
        self.next_id += 1;
        let finish = Finish {
            id,
            done: self.done.clone(),
        };
        let h = spawn(async move {
            let _finish = finish;
            task.await
        });
        let abort = h.abort_handle();
        self.tasks.insert(id, h);
        abort
    }

    /// The same as [`spawn`](Self::spawn): every wasio task is local.
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.spawn(task)
    }

    /// Waits for the next task to finish and returns its result; `None`
    /// when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        loop {
            if self.tasks.is_empty() {
                return None;
            }
            let id = std::future::poll_fn(|cx| {
                let mut d = self.done.borrow_mut();
                match d.ids.pop_front() {
                    Some(id) => Poll::Ready(id),
                    None => {
                        d.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await;
            if let Some(h) = self.tasks.remove(&id) {
                return Some(h.await);
            }
        }
    }

    /// The result of a task that has already finished, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        loop {
            let id = self.done.borrow_mut().ids.pop_front()?;
            if let Some(mut h) = self.tasks.remove(&id) {
                let waker = Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                match std::pin::Pin::new(&mut h).poll(&mut cx) {
                    Poll::Ready(r) => return Some(r),
                    // Marked done while its output is being stored: keep it.
                    Poll::Pending => {
                        self.tasks.insert(id, h);
                        self.done.borrow_mut().ids.push_front(id);
                        return None;
                    }
                }
            }
        }
    }

    /// Waits for every task and returns their outputs in the order they
    /// finished.
    ///
    /// # Panics
    /// If a task panicked (the panic is resumed here) or was aborted.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(r) = self.join_next().await {
            match r {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("{e}"),
            }
        }
        out
    }

    /// Aborts every task; they stay in the set until joined (each then
    /// gives a cancelled [`JoinError`] unless it finished first).
    pub fn abort_all(&mut self) {
        for h in self.tasks.values() {
            h.abort();
        }
    }

    /// Removes every task without aborting it: they run on, detached.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
        self.done.borrow_mut().ids.clear();
    }

    /// Aborts every task and waits until all have ended.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for h in self.tasks.values() {
            h.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish()
    }
}
