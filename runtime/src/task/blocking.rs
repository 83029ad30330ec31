//! [`spawn_blocking`]: run blocking code without stalling the runtime
//! (natively), or as plainly as the platform allows (wasm).

use super::JoinHandle;
use crate::runtime::Handle;

/// Runs the blocking closure `f` and returns a handle to its result.
///
/// - **Natively**, `f` runs on a pool of threads (started on demand, at
///   most 64, idle ones exit after 10 s), so other tasks keep running.
/// - **On wasm32-wasip1** no thread can exist: `f` runs on the runtime's
///   own thread, as a task, the next time the runtime runs tasks — other
///   tasks wait until it returns. It never panics for lack of threads.
///
/// A panic in `f` is reported as a [`JoinError`](super::JoinError) where
/// the target unwinds. Aborting the handle has no effect once `f` started.
///
/// ```
/// wasio::block_on(async {
///     let sum = wasio::task::spawn_blocking(|| (1..=10u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 55);
/// });
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_on(&Handle::current(), f)
}

/// [`spawn_blocking`] with its task on `handle`'s runtime. Once that
/// runtime is dropped, `f` is dropped unrun and the handle says cancelled.
pub(crate) fn spawn_blocking_on<F, R>(handle: &Handle, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    if handle.is_shut_down() {
        drop(f);
        return handle.spawn(async { unreachable!("a task spawned after shutdown never runs") });
    }
    imp::spawn_blocking(handle, f)
}

#[cfg(target_os = "wasi")]
mod imp {
    use super::{Handle, JoinHandle};

    pub(super) fn spawn_blocking<F, R>(handle: &Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        handle.spawn(async move { f() })
    }
}

#[cfg(not(target_os = "wasi"))]
mod imp {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    use super::{Handle, JoinHandle};

    /// Most pool threads at once.
    const MAX_THREADS: usize = 64;
    /// An idle pool thread exits after this long.
    const KEEP_ALIVE: Duration = Duration::from_secs(10);

    type Job = Box<dyn FnOnce() + Send>;

    struct Pool {
        tx: Mutex<mpsc::Sender<Job>>,
        rx: Mutex<mpsc::Receiver<Job>>,
        threads: AtomicUsize,
        idle: AtomicUsize,
    }

    fn pool() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            Pool {
                tx: Mutex::new(tx),
                rx: Mutex::new(rx),
                threads: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
            }
        })
    }

    fn worker(p: &'static Pool) {
        loop {
            p.idle.fetch_add(1, Ordering::SeqCst);
            let job =
                p.rx.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .recv_timeout(KEEP_ALIVE);
            p.idle.fetch_sub(1, Ordering::SeqCst);
            match job {
                Ok(job) => job(),
                Err(_) => break,
            }
        }
        p.threads.fetch_sub(1, Ordering::SeqCst);
    }

    fn submit(job: Job) {
        let p = pool();
        if p.idle.load(Ordering::SeqCst) == 0 && p.threads.load(Ordering::SeqCst) < MAX_THREADS {
            p.threads.fetch_add(1, Ordering::SeqCst);
            let started = std::thread::Builder::new()
                .name("wasio-blocking".into())
                .spawn(move || worker(p));
            if started.is_err() {
                p.threads.fetch_sub(1, Ordering::SeqCst);
            }
        }
        // Queued even if no thread could start: a running worker takes it.
        let _ = p.tx.lock().unwrap_or_else(|e| e.into_inner()).send(job);
    }

    pub(super) fn spawn_blocking<F, R>(handle: &Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = handle.spawn(async move {
            match rx.await {
                Ok(Ok(v)) => v,
                // Resumed inside the task: `spawn` reports it as a panic.
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => panic!("the blocking pool dropped the job"),
            }
        });
        let id = task.id();
        let handle = handle.clone();
        // Until it is done, the runtime's paused clock (if any) stands.
        handle.shared().blocking_started();
        submit(Box::new(move || {
            // `task::id()` in `f` is its task's, and its runtime is
            // current (`Handle::current`, `spawn_blocking`, `Handle::spawn`).
            let _running = crate::task::id::Running::new(id);
            let enter = handle.enter();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(r);
            drop(enter);
            handle.shared().blocking_done();
        }));
        task
    }
}
