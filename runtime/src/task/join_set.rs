//! [`JoinSet`]: a set of tasks, awaited in the order they finish.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use super::{spawn, spawn_blocking, AbortHandle, Id, JoinError, JoinHandle, LocalSet};
use crate::runtime::Handle;

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
    done: Arc<Mutex<Done>>,
}

/// The set's record of finished tasks.
fn lock(done: &Mutex<Done>) -> MutexGuard<'_, Done> {
    done.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Finish {
    fn drop(&mut self) {
        let waker = {
            let mut d = lock(&self.done);
            d.ids.push_back(self.id);
            d.waker.take()
        };
        // Woken outside the lock, which the wake may need.
        if let Some(w) = waker {
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
    done: Arc<Mutex<Done>>,
    next_id: u64,
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            tasks: HashMap::new(),
            done: Arc::default(),
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

    /// Puts a task in the set: `start` spawns the future it is given
    /// (`task`, which tells the set when it ends).
    fn insert<F, S>(&mut self, task: F, start: S) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        S: FnOnce(TaskInSet<F>) -> JoinHandle<T>,
    {
        let id = self.next_id;
        self.next_id += 1;
        let finish = Finish {
            id,
            done: self.done.clone(),
        };
        let h = start(TaskInSet {
            _finish: finish,
            task,
        });
        let abort = h.abort_handle();
        self.tasks.insert(id, h);
        abort
    }

    /// Spawns `task` into the set, on the current runtime.
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(task, spawn)
    }

    /// Spawns `task` into the set, on `handle`'s runtime.
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(task, |t| handle.spawn(t))
    }

    /// Spawns `task` into the set, in the current
    /// [`LocalSet`](super::LocalSet) if one is current (see
    /// [`spawn_local`](super::spawn_local)).
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(task, super::spawn_local)
    }

    /// Spawns `task` into the set, in `local`.
    pub fn spawn_local_on<F>(&mut self, task: F, local: &LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(task, |t| local.spawn_local(t))
    }

    /// Runs the blocking `f` (see [`spawn_blocking`](super::spawn_blocking))
    /// as a task of the set.
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        let id = self.next_id;
        self.next_id += 1;
        let finish = Finish {
            id,
            done: self.done.clone(),
        };
        let h = spawn_blocking(move || {
            let _finish = finish;
            f()
        });
        let abort = h.abort_handle();
        self.tasks.insert(id, h);
        abort
    }

    /// [`spawn_blocking`](Self::spawn_blocking) with its task on
    /// `handle`'s runtime.
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        let _guard = handle.enter();
        self.spawn_blocking(f)
    }

    /// Waits for the next task to finish and returns its result; `None`
    /// when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        Some(self.join_next_with_id().await?.map(|(_, v)| v))
    }

    /// [`join_next`](Self::join_next), with the task's id.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Polls for the next finished task: `Ready(None)` when the set is
    /// empty, `Pending` (and `cx` woken later) while none has finished.
    pub fn poll_join_next(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|r| r.map(|r| r.map(|(_, v)| v)))
    }

    /// [`poll_join_next`](Self::poll_join_next), with the task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        loop {
            if self.tasks.is_empty() {
                return Poll::Ready(None);
            }
            let id = {
                let mut d = lock(&self.done);
                match d.ids.pop_front() {
                    Some(id) => id,
                    None => {
                        let replaced = d.waker.replace(cx.waker().clone());
                        // The waker replaced is dropped after the lock is
                        // released: its drop may run anything, this set
                        // included (tokio's
                        // `replace_parent_waker_drops_outside_lock`).
                        drop(d);
                        drop(replaced);
                        return Poll::Pending;
                    }
                }
            };
            if let Some(mut h) = self.tasks.remove(&id) {
                let task = h.id();
                match std::pin::Pin::new(&mut h).poll(cx) {
                    Poll::Ready(r) => return Poll::Ready(Some(r.map(|v| (task, v)))),
                    // Marked done while its output is being stored: the
                    // handle wakes `cx` when it is.
                    Poll::Pending => {
                        self.tasks.insert(id, h);
                        lock(&self.done).ids.push_front(id);
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    /// The result of a task that has already finished, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        Some(self.try_join_next_with_id()?.map(|(_, v)| v))
    }

    /// [`try_join_next`](Self::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        loop {
            let id = lock(&self.done).ids.pop_front()?;
            if let Some(mut h) = self.tasks.remove(&id) {
                let waker = Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                let task = h.id();
                match std::pin::Pin::new(&mut h).poll(&mut cx) {
                    Poll::Ready(r) => return Some(r.map(|v| (task, v))),
                    // Marked done while its output is being stored: keep it.
                    Poll::Pending => {
                        self.tasks.insert(id, h);
                        lock(&self.done).ids.push_front(id);
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
        lock(&self.done).ids.clear();
    }

    /// Aborts every task and waits until all have ended.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

/// A task of a set: its future, and its mark in the set when it ends.
pub(super) struct TaskInSet<F> {
    _finish: Finish,
    task: F,
}

impl<F: Future> Future for TaskInSet<F> {
    type Output = F::Output;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        // SAFETY: `task` is structurally pinned: never moved out, and
        // `TaskInSet` has no `Drop` or `Unpin` impl of its own.
        unsafe { self.map_unchecked_mut(|s| &mut s.task) }.poll(cx)
    }
}

impl<T: 'static, F: Future<Output = T> + 'static> Extend<F> for JoinSet<T> {
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}

impl<T: 'static, F: Future<Output = T> + 'static> FromIterator<F> for JoinSet<T> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
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
