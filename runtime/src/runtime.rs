//! The executor: a run queue of `async-task` runnables around the reactor.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_task::Runnable;

use crate::reactor::Reactor;
use crate::sys;

/// How many tasks run between two looks at I/O while work keeps coming.
const BATCH: usize = 61;

/// Tasks ready to run. Wakers may fire on other threads (natively), so
/// this is `Send + Sync`; only the runtime's thread runs what it holds.
pub(crate) struct Queue {
    runnables: Mutex<VecDeque<Runnable>>,
    parked: AtomicBool,
    unparker: sys::Unparker,
    /// How many times a wake had to interrupt the poller.
    #[cfg(test)]
    unparks: std::sync::atomic::AtomicUsize,
}

impl Queue {
    pub(crate) fn push(&self, r: Runnable) {
        self.runnables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(r);
        self.notify();
    }

    fn pop(&self) -> Option<Runnable> {
        self.runnables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    fn is_empty(&self) -> bool {
        self.runnables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    fn notify(&self) {
        if self.parked.load(Ordering::SeqCst) {
            #[cfg(test)]
            self.unparks.fetch_add(1, Ordering::SeqCst);
            self.unparker.unpark();
        }
    }
}

pub(crate) struct Inner {
    pub(crate) queue: Arc<Queue>,
    pub(crate) reactor: RefCell<Reactor>,
    /// Wakes put off until the current batch of tasks has run (a task
    /// that yields goes after the others, and after a look at I/O), as
    /// tokio's scheduler defers them.
    deferred: RefCell<Vec<Waker>>,
}

/// Wakes `waker` once the runtime has run the tasks already queued and
/// looked at I/O; at once outside a runtime. For a task that yields: it
/// must not run again before the others (tokio's `yield_now`, and a task
/// whose budget is spent).
pub(crate) fn defer(waker: &Waker) {
    let kept = CURRENT.with(|c| match c.borrow().as_ref() {
        Some(inner) => {
            inner.deferred.borrow_mut().push(waker.clone());
            true
        }
        None => false,
    });
    if !kept {
        waker.wake_by_ref();
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Inner>>> = const { RefCell::new(None) };
}

/// Runs `f` with the runtime of this thread.
///
/// # Panics
/// Outside [`Runtime::block_on`].
pub(crate) fn with_current<R>(f: impl FnOnce(&Rc<Inner>) -> R) -> R {
    CURRENT.with(|c| {
        let c = c.borrow();
        let inner = c.as_ref().expect(
            "this must be called from inside a wasio runtime (Runtime::block_on or #[wasio::main])",
        );
        f(inner)
    })
}

/// Runs `f` with the reactor of this thread's runtime.
pub(crate) fn with_reactor<R>(f: impl FnOnce(&mut Reactor) -> R) -> R {
    with_current(|i| f(&mut i.reactor.borrow_mut()))
}

/// Like [`with_reactor`], but does nothing outside a runtime (used from
/// `Drop`, which may run after the runtime is gone).
pub(crate) fn try_with_reactor(f: impl FnOnce(&mut Reactor)) {
    CURRENT.with(|c| {
        if let Some(inner) = c.borrow().as_ref() {
            if let Ok(mut r) = inner.reactor.try_borrow_mut() {
                f(&mut r);
            }
        }
    })
}

struct MainWaker {
    woken: AtomicBool,
    queue: Arc<Queue>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.queue.notify();
    }
}

/// A single-threaded async runtime: executor, timers and I/O reactor.
///
/// ```
/// let rt = wasio::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let task = wasio::spawn(async { 40 + 2 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    inner: Rc<Inner>,
}

impl Runtime {
    /// Creates a runtime (and its poller).
    pub fn new() -> io::Result<Self> {
        let reactor = Reactor::new()?;
        let queue = Arc::new(Queue {
            runnables: Mutex::new(VecDeque::new()),
            parked: AtomicBool::new(false),
            unparker: reactor.unparker(),
            #[cfg(test)]
            unparks: Default::default(),
        });
        Ok(Self {
            inner: Rc::new(Inner {
                queue,
                reactor: RefCell::new(reactor),
                deferred: RefCell::new(Vec::new()),
            }),
        })
    }

    /// Runs `future` to completion, running spawned tasks meanwhile.
    ///
    /// Tasks still pending when `future` completes are dropped with the
    /// runtime.
    ///
    /// # Panics
    /// When called from inside another `block_on` on this thread, or (on
    /// wasm32-wasip1) when every task waits and nothing can wake one.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = Enter::new(self.inner.clone());
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            queue: self.inner.queue.clone(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.woken.swap(false, Ordering::SeqCst) {
                crate::coop::reset();
                if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                    return v;
                }
            }
            let mut ran = 0;
            while ran < BATCH {
                let Some(r) = self.inner.queue.pop() else {
                    break;
                };
                crate::coop::reset();
                r.run();
                ran += 1;
            }
            let deferred = std::mem::take(&mut *self.inner.deferred.borrow_mut());
            let busy = !self.inner.queue.is_empty()
                || main.woken.load(Ordering::SeqCst)
                || !deferred.is_empty();
            self.park(busy);
            for w in deferred {
                w.wake();
            }
        }
    }

    fn park(&self, busy: bool) {
        let mut reactor = self.inner.reactor.borrow_mut();
        if busy {
            // Look at I/O and timers without waiting, so ready work cannot
            // starve tasks that wait on sockets.
            reactor
                .park(Some(Duration::ZERO), || {})
                .expect("reactor failed");
            return;
        }
        let q = &self.inner.queue;
        q.parked.store(true, Ordering::SeqCst);
        // Re-check after announcing the park: a wake from another thread
        // either sees `parked` or left something we see here.
        if q.is_empty() {
            if !sys::THREADS && !reactor.has_sources() {
                q.parked.store(false, Ordering::SeqCst);
                panic!("wasio: deadlock: every task is waiting and no fd or timer can wake one");
            }
            // Awake again before the reactor wakes anyone: a task it wakes
            // is pushed on this thread and needs no unpark (a write to the
            // poller's waker natively, and a spurious wake-up after it).
            let awake = || q.parked.store(false, Ordering::SeqCst);
            if let Err(e) = reactor.park(None, awake) {
                panic!("wasio: reactor failed: {e}");
            }
        }
        q.parked.store(false, Ordering::SeqCst);
    }
}

/// Marks this thread as running a runtime for the duration of `block_on`.
struct Enter;

impl Enter {
    fn new(inner: Rc<Inner>) -> Self {
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            assert!(
                c.is_none(),
                "wasio: cannot start a runtime from inside a runtime (nested block_on)"
            );
            *c = Some(inner);
        });
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        // Drop queued tasks while the runtime is still current, so their
        // I/O objects can deregister.
        let inner = CURRENT.with(|c| c.borrow().clone());
        if let Some(inner) = inner {
            while let Some(r) = inner.queue.pop() {
                drop(r);
            }
        }
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

/// Runs `future` to completion on a new runtime.
///
/// ```
/// let v = wasio::block_on(async { 7 });
/// assert_eq!(v, 7);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new()
        .expect("wasio: cannot create the runtime's poller")
        .block_on(future)
}

#[cfg(all(test, not(target_os = "wasi")))]
mod tests {
    use super::*;
    use crate::io::{AsyncReadExt, AsyncWriteExt};
    use crate::net::{TcpListener, TcpStream};

    /// Wakes that the reactor hands out on the runtime's own thread, after
    /// its wait, must not interrupt the poller (natively a write to its
    /// eventfd and a spurious wake-up, once per request of a server).
    #[test]
    fn wakes_after_a_wait_do_not_unpark_the_poller() {
        let rt = Runtime::new().unwrap();
        let got = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let reader = crate::spawn(async move {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut got = Vec::new();
                conn.read_to_end(&mut got).await.unwrap();
                got
            });
            let mut conn = TcpStream::connect(addr).await.unwrap();
            for i in 0..5u8 {
                // Both the reader (on I/O) and this task (on a timer) are
                // woken out of a wait.
                crate::time::sleep(Duration::from_millis(2)).await;
                conn.write_all(&[i]).await.unwrap();
            }
            drop(conn);
            reader.await.unwrap()
        });
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert_eq!(rt.inner.queue.unparks.load(Ordering::SeqCst), 0);
    }
}
