//! The executor: a run queue of `async-task` runnables around the reactor,
//! the thread's current runtime, and what a runtime does when it is
//! dropped.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::task::id::Runnable;
use crate::task::Tracked;

use crate::reactor::Reactor;
use crate::scoped::Scoped;
use crate::sys;
use crate::time::clock::Clock;

/// How many tasks run between two looks at I/O while work keeps coming
/// (tokio's `event_interval`).
pub(crate) const EVENT_INTERVAL: u32 = 61;

/// Tasks ready to run. Wakers may fire on other threads (natively), so
/// this is `Send + Sync`; only the runtime's thread runs what it holds.
pub(crate) struct Queue {
    runnables: Mutex<VecDeque<Runnable>>,
    /// Tasks scheduled (spawned or woken): by the runtime's own tasks, and
    /// of tasks spawned from other threads (tokio's local and remote
    /// schedule counts).
    scheduled: [AtomicU64; 2],
    parked: AtomicBool,
    unparker: sys::Unparker,
    /// How many times a wake had to interrupt the poller.
    #[cfg(test)]
    pub(crate) unparks: std::sync::atomic::AtomicUsize,
}

impl Queue {
    /// Queues a task of the runtime's own.
    pub(crate) fn push(&self, r: Runnable) {
        self.enqueue(r, 0);
    }

    /// Queues a task spawned from another thread.
    pub(crate) fn push_remote(&self, r: Runnable) {
        self.enqueue(r, 1);
    }

    fn enqueue(&self, r: Runnable, counter: usize) {
        self.scheduled[counter].fetch_add(1, Ordering::Relaxed);
        self.lock().push_back(r);
        self.notify();
    }

    /// Tasks scheduled so far: (local, remote).
    pub(crate) fn scheduled(&self) -> (u64, u64) {
        (
            self.scheduled[0].load(Ordering::Relaxed),
            self.scheduled[1].load(Ordering::Relaxed),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Runnable>> {
        self.runnables.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn pop(&self) -> Option<Runnable> {
        self.lock().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn notify(&self) {
        if self.parked.load(Ordering::SeqCst) {
            #[cfg(test)]
            self.unparks.fetch_add(1, Ordering::SeqCst);
            self.unparker.unpark();
        }
    }
}

/// The part of a runtime any thread may hold (through a
/// [`Handle`](super::Handle)): its identity, its run queue, and the tasks
/// spawned on it from other threads.
pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) queue: Queue,
    pub(crate) name: Option<String>,
    /// The thread whose runtime this is (the one that may drive it).
    pub(crate) owner: std::thread::ThreadId,
    /// Set when the runtime is dropped: what is spawned after is
    /// cancelled at once.
    pub(crate) shut_down: AtomicBool,
    /// Tasks spawned from other threads, to cancel at shutdown.
    pub(crate) remote: Mutex<Vec<Tracked>>,
    /// `spawn_blocking` closures running: while there are any, a paused
    /// clock does not jump to the next timer (their work takes real time).
    blocking: AtomicUsize,
}

impl Shared {
    /// A `spawn_blocking` closure starts (on a thread: natively).
    #[cfg(not(target_os = "wasi"))]
    pub(crate) fn blocking_started(&self) {
        self.blocking.fetch_add(1, Ordering::SeqCst);
    }

    /// A `spawn_blocking` closure is done (its result sent): the runtime
    /// is woken to look again, its paused clock free to move.
    #[cfg(not(target_os = "wasi"))]
    pub(crate) fn blocking_done(&self) {
        self.blocking.fetch_sub(1, Ordering::SeqCst);
        self.queue.notify();
    }

    /// Whether this thread is the runtime's own.
    pub(crate) fn is_owner(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    /// Tasks spawned from other threads and not finished.
    pub(crate) fn remote_alive(&self) -> usize {
        let remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
        remote.iter().filter(|t| !t.is_finished()).count()
    }

    /// The runtime itself, from its own thread (while it exists).
    pub(crate) fn local(&self) -> Option<Rc<Inner>> {
        if !self.is_owner() {
            return None;
        }
        LOCALS
            .try_with(|l| l.borrow().iter().find(|i| i.shared.id == self.id).cloned())
            .ok()
            .flatten()
    }

    /// Ends the runtime (its `Runtime` is dropped): on its own thread its
    /// tasks are cancelled now; from another thread they are cancelled
    /// when the owning thread next builds a runtime or ends.
    pub(crate) fn release(&self) {
        let own = if self.is_owner() {
            LOCALS
                .try_with(|l| {
                    let mut l = l.borrow_mut();
                    let at = l.iter().position(|i| i.shared.id == self.id)?;
                    Some(l.swap_remove(at))
                })
                .ok()
                .flatten()
        } else {
            None
        };
        match own {
            Some(inner) => inner.shutdown(),
            None => self.mark_shut_down(),
        }
    }

    /// Whether the runtime has been dropped.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }

    /// From now on, what is spawned here is cancelled at once.
    fn mark_shut_down(&self) {
        // Under the lock remote spawns check the flag with.
        let _remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
        self.shut_down.store(true, Ordering::SeqCst);
        drop(_remote);
        self.queue.unparker.unpark();
    }
}

/// What [`Builder`](super::Builder) chose.
#[derive(Default, Clone)]
pub(crate) struct Options {
    pub(crate) name: Option<String>,
    pub(crate) event_interval: Option<u32>,
    pub(crate) shutdown_on_panic: bool,
    pub(crate) on_park: Option<Rc<dyn Fn()>>,
    pub(crate) on_unpark: Option<Rc<dyn Fn()>>,
    /// The clock starts paused (`Builder::start_paused`).
    pub(crate) start_paused: bool,
    /// The seed of the runtime's generator (`Builder::rng_seed`).
    pub(crate) rng_seed: Option<u64>,
}

/// One runtime: its queue, reactor, tasks and options.
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) reactor: RefCell<Reactor>,
    /// Wakes put off until the current batch of tasks has run (a task
    /// that yields goes after the others, and after a look at I/O), as
    /// tokio's scheduler defers them.
    deferred: RefCell<Vec<Waker>>,
    /// Every task spawned and not yet seen finished (pruned as it grows).
    tasks: RefCell<Vec<Tracked>>,
    /// Prune `tasks` when it reaches this length.
    prune_at: Cell<usize>,
    /// A task panicked and the runtime shuts down on that.
    panicked: Cell<bool>,
    /// The runtime's clock (which a test may pause).
    pub(crate) clock: Clock,
    /// The runtime's random generator (`macros::support::thread_rng_n`),
    /// seeded by `Builder::rng_seed` when given.
    pub(crate) rng: Cell<u64>,
    pub(crate) options: Options,
}

impl Inner {
    /// A runtime owned by this thread (registered so that handles find it
    /// here).
    pub(crate) fn new(options: Options) -> io::Result<Rc<Self>> {
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let reactor = Reactor::new()?;
        let shared = Arc::new(Shared {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            queue: Queue {
                runnables: Mutex::new(VecDeque::new()),
                scheduled: Default::default(),
                parked: AtomicBool::new(false),
                unparker: reactor.unparker(),
                #[cfg(test)]
                unparks: Default::default(),
            },
            name: options.name.clone(),
            owner: std::thread::current().id(),
            shut_down: AtomicBool::new(false),
            remote: Mutex::new(Vec::new()),
            blocking: AtomicUsize::new(0),
        });
        let inner = Rc::new(Self {
            shared,
            reactor: RefCell::new(reactor),
            deferred: RefCell::new(Vec::new()),
            tasks: RefCell::new(Vec::new()),
            prune_at: Cell::new(64),
            panicked: Cell::new(false),
            clock: Clock::new(options.start_paused),
            rng: Cell::new(crate::macros::support::seed(options.rng_seed)),
            options,
        });
        // Runtimes of this thread dropped on other threads end here.
        let ended: Vec<Rc<Inner>> = LOCALS.with(|l| {
            let mut l = l.borrow_mut();
            let (ended, live) = std::mem::take(&mut *l)
                .into_iter()
                .partition(|i| i.shared.shut_down.load(Ordering::SeqCst));
            *l = live;
            l.push(inner.clone());
            ended
        });
        for e in ended {
            e.shutdown();
        }
        Ok(inner)
    }

    /// The run queue.
    pub(crate) fn queue(&self) -> &Queue {
        &self.shared.queue
    }

    /// Remembers a task spawned on this runtime (to cancel it when the
    /// runtime is dropped).
    pub(crate) fn track(&self, task: Tracked) {
        let mut tasks = self.tasks.borrow_mut();
        if tasks.len() >= self.prune_at.get() {
            tasks.retain(|t| !t.is_finished());
            self.prune_at.set((tasks.len() * 2).max(64));
        }
        tasks.push(task);
    }

    /// Tasks spawned and not finished (from this thread or others).
    pub(crate) fn alive(&self) -> usize {
        let open = |t: &&Tracked| !t.is_finished();
        let remote = self.shared.remote.lock().unwrap_or_else(|p| p.into_inner());
        self.tasks.borrow().iter().filter(open).count() + remote.iter().filter(open).count()
    }

    /// Runs `future` to completion on this thread, running spawned tasks
    /// meanwhile. Tasks still pending when it completes stay with the
    /// runtime and go on at its next `block_on`.
    pub(crate) fn block_on<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
        let _driving = Driving::new(self.clone());
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            shared: self.shared.clone(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let interval = self.options.event_interval.unwrap_or(EVENT_INTERVAL) as usize;
        loop {
            if main.woken.swap(false, Ordering::SeqCst) {
                crate::coop::reset();
                if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                    return v;
                }
            }
            let mut ran = 0;
            while ran < interval {
                let Some(r) = self.queue().pop() else {
                    break;
                };
                crate::coop::reset();
                crate::task::id::run(r);
                ran += 1;
                if self.panicked.get() {
                    panic!(
                        "a spawned task panicked and the runtime is configured to shut down on \
                         unhandled panic"
                    );
                }
            }
            let busy = |s: &Self| {
                s.queue().len() > 0
                    || main.woken.load(Ordering::SeqCst)
                    || !s.deferred.borrow().is_empty()
            };
            let mut is_busy = busy(self);
            if !is_busy {
                if let Some(hook) = &self.options.on_park {
                    hook();
                    is_busy = busy(self);
                }
            }
            let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
            self.park(is_busy);
            if !is_busy {
                if let Some(hook) = &self.options.on_unpark {
                    hook();
                }
            }
            for w in deferred {
                w.wake();
            }
        }
    }

    fn park(&self, busy: bool) {
        let mut reactor = self.reactor.borrow_mut();
        if busy {
            // Look at I/O and timers without waiting, so ready work cannot
            // starve tasks that wait on sockets.
            reactor
                .park(Some(Duration::ZERO), || {}, &self.clock, false)
                .expect("reactor failed");
            return;
        }
        let q = self.queue();
        q.parked.store(true, Ordering::SeqCst);
        // Re-check after announcing the park: a wake from another thread
        // either sees `parked` or left something we see here.
        if q.len() == 0 {
            if !sys::THREADS && !reactor.has_sources() {
                q.parked.store(false, Ordering::SeqCst);
                panic!("wasio: deadlock: every task is waiting and no fd or timer can wake one");
            }
            // Awake again before the reactor wakes anyone: a task it wakes
            // is pushed on this thread and needs no unpark (a write to the
            // poller's waker natively, and a spurious wake-up after it).
            let awake = || q.parked.store(false, Ordering::SeqCst);
            // A paused clock jumps to the next timer when nothing else can
            // happen: no blocking closure is running.
            let auto_advance =
                self.clock.is_paused() && self.shared.blocking.load(Ordering::SeqCst) == 0;
            if let Err(e) = reactor.park(None, awake, &self.clock, auto_advance) {
                panic!("wasio: reactor failed: {e}");
            }
        }
        q.parked.store(false, Ordering::SeqCst);
    }

    /// Cancels every task (their futures are dropped here, with this
    /// runtime current, so their sockets and timers deregister). A task
    /// spawned by a drop in the meantime is cancelled too.
    pub(crate) fn shutdown(self: &Rc<Self>) {
        let _current = Entered::new(self.clone());
        self.shared.mark_shut_down();
        // Futures still waiting on its sockets (in a `Handle::block_on`
        // after this) fail instead of waiting for a reactor nobody runs.
        if let Ok(mut reactor) = self.reactor.try_borrow_mut() {
            reactor.close();
        }
        for _ in 0..1000 {
            let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            tasks.append(&mut self.shared.remote.lock().unwrap_or_else(|p| p.into_inner()));
            for t in &tasks {
                t.abort();
            }
            // An aborted task ends without polling its future again.
            let mut ran = false;
            while let Some(r) = self.queue().pop() {
                crate::task::id::run(r);
                ran = true;
            }
            self.deferred.borrow_mut().clear();
            if tasks.is_empty() && !ran {
                break;
            }
        }
    }
}

/// Wakes `waker` once the runtime has run the tasks already queued and
/// looked at I/O; at once when no runtime is being driven on this thread
/// (outside one, only entered, or shut down: nothing would run the
/// deferred wakes). For a task that yields: it must not run again before
/// the others (tokio's `yield_now`, and a task whose budget is spent).
pub(crate) fn defer(waker: &Waker) {
    let driving = DRIVING.try_with(Cell::get).unwrap_or(false);
    let kept = CURRENT.with(|c| match c.borrow().as_ref() {
        Some(inner) if driving && !inner.shared.is_shut_down() => {
            inner.deferred.borrow_mut().push(waker.clone());
            true
        }
        _ => false,
    });
    if !kept {
        waker.wake_by_ref();
    }
}

thread_local! {
    /// The runtime `spawn`, sockets and timers use on this thread: set by
    /// `block_on` and by enter guards.
    static CURRENT: RefCell<Option<Rc<Inner>>> = const { RefCell::new(None) };
    /// A runtime of another thread entered here (`Handle::enter` off the
    /// runtime's thread): `Handle::current` finds it; sockets and `spawn`
    /// of non-`Send` futures need the runtime's own thread.
    static FOREIGN: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// The runtimes this thread owns, for handles to find.
    static LOCALS: RefCell<Vec<Rc<Inner>>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread is inside a `block_on` (one may not nest).
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// The thread's current runtime, if any, as a handle would hold it (an
/// error once the thread's locals are being destroyed).
pub(crate) fn current_shared() -> Result<Option<Arc<Shared>>, std::thread::AccessError> {
    let own = CURRENT.try_with(|c| c.borrow().as_ref().map(|i| i.shared.clone()))?;
    match own {
        Some(s) => Ok(Some(s)),
        None => FOREIGN.try_with(|f| f.borrow().clone()),
    }
}

/// Runs `f` as code outside the runtime's tasks: a `block_on` inside it
/// is allowed (tokio's `block_in_place`).
pub(crate) fn outside_tasks<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = DRIVING.try_with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(DRIVING.with(|d| d.replace(false)));
    f()
}

/// A task of the current runtime panicked: noted when the runtime shuts
/// down on that ([`Builder::unhandled_panic`](super::Builder::unhandled_panic)).
pub(crate) fn task_panicked() {
    let _ = CURRENT.try_with(|c| {
        if let Some(inner) = c.borrow().as_ref() {
            if inner.options.shutdown_on_panic {
                inner.panicked.set(true);
            }
        }
    });
}

/// The runtime current on this thread, if it is this thread's own.
pub(crate) fn current_inner() -> Option<Rc<Inner>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Runs `future` to completion on this thread, sleeping while it is
/// pending (no runtime driven: for `Handle::block_on` off the runtime's
/// thread).
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Makes another thread's runtime current here until dropped.
pub(crate) struct EnteredForeign {
    _scope: Scoped<Arc<Shared>>,
}

impl EnteredForeign {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            _scope: Scoped::set(&FOREIGN, shared),
        }
    }
}

/// What `with_current` says outside a runtime (tokio's words, so that
/// code checking for them ports).
pub(crate) const NO_RUNTIME: &str = "there is no reactor running, must be called from the context of a wasio runtime (Runtime::block_on, Runtime::enter or #[wasio::main])";

/// What `with_current` says on a thread that entered another thread's
/// runtime.
const FOREIGN_THREAD: &str = "a wasio runtime runs its tasks, sockets and timers on its own thread: from another thread use Handle::spawn (a Send future)";

/// Runs `f` with the runtime of this thread.
///
/// # Panics
/// Outside a runtime.
pub(crate) fn with_current<R>(f: impl FnOnce(&Rc<Inner>) -> R) -> R {
    CURRENT.with(|c| {
        let c = c.borrow();
        match c.as_ref() {
            Some(inner) => f(inner),
            None if FOREIGN.with(|f| f.borrow().is_some()) => panic!("{FOREIGN_THREAD}"),
            None => panic!("{NO_RUNTIME}"),
        }
    })
}

/// `f` of this thread's current runtime; `None` outside one.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&Rc<Inner>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.try_borrow().ok()?.as_ref().map(f))
        .ok()
        .flatten()
}

/// Runs `f` with the reactor of this thread's runtime.
pub(crate) fn with_reactor<R>(f: impl FnOnce(&mut Reactor) -> R) -> R {
    with_current(|i| f(&mut i.reactor.borrow_mut()))
}

/// Like [`with_reactor`], but does nothing outside a runtime (used from
/// `Drop`, which may run after the runtime is gone).
pub(crate) fn try_with_reactor(f: impl FnOnce(&mut Reactor)) {
    let _ = CURRENT.try_with(|c| {
        if let Some(inner) = c.borrow().as_ref() {
            if let Ok(mut r) = inner.reactor.try_borrow_mut() {
                f(&mut r);
            }
        }
    });
}

struct MainWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.shared.queue.notify();
    }
}

/// Makes a runtime current on this thread until dropped, then puts back
/// the one that was (enter guards nest).
pub(crate) struct Entered {
    _scope: Scoped<Rc<Inner>>,
}

impl Entered {
    pub(crate) fn new(inner: Rc<Inner>) -> Self {
        Self {
            _scope: Scoped::set(&CURRENT, inner),
        }
    }
}

/// The runtime current and driven, for the length of a `block_on`.
struct Driving {
    _entered: Entered,
}

impl Driving {
    fn new(inner: Rc<Inner>) -> Self {
        assert!(
            !DRIVING.with(Cell::get),
            "Cannot start a runtime from within a runtime. This happens because a function \
             (like `block_on`) attempted to block the current thread while the thread is being \
             used to drive asynchronous tasks. If you are in an async function, use `.await` \
             on the future instead of blocking on it."
        );
        DRIVING.with(|d| d.set(true));
        Self {
            _entered: Entered::new(inner),
        }
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        let _ = DRIVING.try_with(|d| d.set(false));
    }
}

#[cfg(all(test, not(target_os = "wasi")))]
mod tests {
    use super::super::Runtime;
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
        assert_eq!(rt.inner().queue().unparks.load(Ordering::SeqCst), 0);
    }
}
