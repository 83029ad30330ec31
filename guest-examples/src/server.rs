//! What every example server needs to survive ordinary abuse: an accept
//! loop that outlives `EMFILE`, and connection tasks that leave nothing
//! behind when they finish.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::io;
use std::ops::AddAssign;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

/// First and longest pause after a failed accept.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Runs `accept` until it succeeds. A failure (`EMFILE` when the fd limit
/// is reached, `ECONNABORTED`, `ENOBUFS`...) is logged to stderr and tried
/// again after a pause that doubles up to one second, so the server keeps
/// serving once descriptors are free again instead of exiting.
///
/// ```no_run
/// # async fn f(listener: wasio::net::TcpListener) {
/// let (conn, peer) = wasio_examples::server::accept_retrying(|| listener.accept()).await;
/// # }
/// ```
pub async fn accept_retrying<T, F, Fut>(mut accept: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut pause = BACKOFF.0;
    loop {
        match accept().await {
            Ok(c) => return c,
            Err(e) => {
                eprintln!("accept: {e}; retrying in {pause:?}");
                wasio::time::sleep(pause).await;
                pause = (pause * 2).min(BACKOFF.1);
            }
        }
    }
}

/// Connection tasks, counted instead of kept: each runs detached, adds its
/// result to a running total when it ends, and is then gone — a server
/// that has handled millions of connections holds nothing for them.
pub struct Tally<T> {
    inner: Rc<Inner<T>>,
}

struct Inner<T> {
    live: Cell<usize>,
    finished: Cell<usize>,
    total: RefCell<T>,
    waiter: RefCell<Option<Waker>>,
}

impl<T: AddAssign + Default + Clone + 'static> Default for Tally<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: AddAssign + Default + Clone + 'static> Tally<T> {
    /// No tasks yet.
    pub fn new() -> Self {
        Self {
            inner: Rc::new(Inner {
                live: Cell::new(0),
                finished: Cell::new(0),
                total: RefCell::new(T::default()),
                waiter: RefCell::new(None),
            }),
        }
    }

    /// Spawns `task`; its output is added to the total when it ends. A
    /// task that is cancelled still counts as finished.
    pub fn spawn(&self, task: impl Future<Output = T> + 'static) {
        struct Done<T>(Rc<Inner<T>>);
        impl<T> Drop for Done<T> {
            fn drop(&mut self) {
                self.0.live.set(self.0.live.get() - 1);
                self.0.finished.set(self.0.finished.get() + 1);
                if self.0.live.get() == 0 {
                    if let Some(w) = self.0.waiter.borrow_mut().take() {
                        w.wake();
                    }
                }
            }
        }
        self.inner.live.set(self.inner.live.get() + 1);
        let done = Done(self.inner.clone());
        // Dropping the handle detaches the task: it is freed when it ends.
        drop(wasio::spawn(async move {
            let out = task.await;
            *done.0.total.borrow_mut() += out;
            drop(done);
        }));
    }

    /// Tasks spawned so far (running or finished).
    pub fn spawned(&self) -> usize {
        self.inner.live.get() + self.inner.finished.get()
    }

    /// Tasks still running.
    pub fn live(&self) -> usize {
        self.inner.live.get()
    }

    /// The sum of the finished tasks' outputs.
    pub fn total(&self) -> T {
        self.inner.total.borrow().clone()
    }

    /// Waits until no task is running, then returns the total.
    pub async fn finish(&self) -> T {
        poll_fn(|cx| {
            if self.inner.live.get() == 0 {
                Poll::Ready(())
            } else {
                *self.inner.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        self.total()
    }
}
