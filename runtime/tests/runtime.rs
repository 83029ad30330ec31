//! The runtime module: tasks that outlive `block_on`, shutdown, handles,
//! enter guards, `LocalSet`, task ids and `JoinError`'s words.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use wasio::runtime::{Builder, Handle, LocalOptions};
use wasio::sync::oneshot;
use wasio::task::{self, LocalSet};

/// Sets its flag when dropped.
struct Flag(Arc<AtomicBool>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_task_outlives_block_on_and_goes_on_at_the_next() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let (tx, rx) = oneshot::channel::<u32>();
    let (done_tx, done_rx) = oneshot::channel();
    rt.block_on(async move {
        wasio::spawn(async move {
            let v = rx.await.unwrap();
            done_tx.send(v + 1).unwrap();
        });
    });
    // The task waits on; the next block_on finishes it.
    tx.send(41).unwrap();
    assert_eq!(rt.block_on(done_rx).unwrap(), 42);
}

#[test]
fn a_task_spawned_outside_block_on_waits_for_it() {
    let rt = wasio::Runtime::new().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = rt.spawn(async move { r.store(true, Ordering::SeqCst) });
    assert!(!ran.load(Ordering::SeqCst), "no task runs without block_on");
    rt.block_on(task).unwrap();
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn dropping_the_runtime_cancels_its_tasks() {
    let rt = wasio::Runtime::new().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Flag(dropped.clone());
    let task = rt.spawn(async move {
        let _flag = flag;
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    assert!(!dropped.load(Ordering::SeqCst));
    drop(rt);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the task's future is dropped"
    );
    let err = futures_executor_block_on(task).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn a_handle_spawns_after_shutdown_as_cancelled() {
    let rt = wasio::Runtime::new().unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = handle.spawn(async move { r.store(true, Ordering::SeqCst) });
    assert!(futures_executor_block_on(task).unwrap_err().is_cancelled());
    let blocking = handle.spawn_blocking(|| unreachable!("never run"));
    assert!(futures_executor_block_on(blocking)
        .unwrap_err()
        .is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn enter_makes_the_runtime_current_and_guards_nest() {
    assert!(Handle::try_current().unwrap_err().is_missing_context());
    let a = Builder::new_current_thread().name("a").build().unwrap();
    let b = Builder::new_current_thread().name("b").build().unwrap();
    {
        let _a = a.enter();
        assert_eq!(Handle::current().name(), Some("a"));
        {
            let _b = b.enter();
            assert_eq!(Handle::current().name(), Some("b"));
        }
        assert_eq!(Handle::current().name(), Some("a"));
    }
    assert!(Handle::try_current().is_err());
    assert_ne!(a.handle().id(), b.handle().id());
}

#[cfg(not(target_os = "wasi"))] // panic = abort there
#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn block_on_does_not_nest() {
    let rt = wasio::Runtime::new().unwrap();
    rt.block_on(async {
        wasio::Runtime::new().unwrap().block_on(async {});
    });
}

#[test]
fn block_in_place_may_block_on_another_runtime() {
    let rt = wasio::Runtime::new().unwrap();
    let v = rt.block_on(async {
        task::block_in_place(|| wasio::Runtime::new().unwrap().block_on(async { 7 }))
    });
    assert_eq!(v, 7);
}

#[cfg(not(target_os = "wasi"))]
#[test]
fn another_thread_spawns_through_a_handle() {
    let rt = wasio::Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let task = std::thread::spawn(move || {
        let _in = handle.enter();
        // The runtime is current here too, for spawning Send futures.
        Handle::current().spawn(async { std::thread::current().id() })
    })
    .join()
    .unwrap();
    // It ran on the runtime's thread.
    assert_eq!(rt.block_on(task).unwrap(), std::thread::current().id());
}

#[cfg(not(target_os = "wasi"))]
#[test]
fn a_blocking_closure_runs_with_its_runtime_entered() {
    let rt = wasio::Runtime::new().unwrap();
    let got = rt.block_on(async {
        let inner = task::spawn_blocking(|| {
            let id = task::id();
            Handle::current().spawn(async { 5 });
            id
        });
        let id = inner.id();
        (inner.await.unwrap(), id)
    });
    assert_eq!(got.0, got.1);
}

#[test]
fn a_local_set_cancels_its_tasks_when_dropped_and_waits_for_them_when_awaited() {
    let rt = wasio::Runtime::new().unwrap();
    // Spawned before any runtime runs it.
    let local = LocalSet::new();
    let count = Rc::new(Cell::new(0));
    for _ in 0..3 {
        let c = count.clone();
        local.spawn_local(async move {
            task::yield_now().await;
            c.set(c.get() + 1);
        });
    }
    rt.block_on(local);
    assert_eq!(count.get(), 3);

    let local = LocalSet::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Flag(dropped.clone());
    local.block_on(&rt, async move {
        // `spawn_local` inside the set puts the task in the set.
        task::spawn_local(async move {
            let _flag = flag;
            std::future::pending::<()>().await
        });
        task::yield_now().await;
    });
    drop(local);
    rt.block_on(task::yield_now());
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn a_local_runtime_spawns_futures_that_are_not_send() {
    let rt = Builder::new_current_thread()
        .build_local(LocalOptions::default())
        .unwrap();
    let shared = Rc::new(Cell::new(1));
    let s = shared.clone();
    let task = rt.spawn_local(async move { s.set(s.get() + 1) });
    rt.block_on(task).unwrap();
    assert_eq!(shared.get(), 2);
}

#[test]
fn task_ids_are_those_of_the_handles() {
    assert_eq!(task::try_id(), None);
    let rt = wasio::Runtime::new().unwrap();
    rt.block_on(async {
        assert_eq!(task::try_id(), None, "block_on's future is not a task");
        let a = wasio::spawn(async { task::id() });
        let b = wasio::spawn(async { task::id() });
        let (ia, ib) = (a.id(), b.id());
        assert_ne!(ia, ib);
        assert_eq!(a.await.unwrap(), ia);
        assert_eq!(b.await.unwrap(), ib);
    });
}

#[test]
fn runtime_metrics_count_tasks() {
    let rt = wasio::Runtime::new().unwrap();
    let m = rt.metrics();
    assert_eq!(m.num_workers(), 1);
    let (tx, rx) = oneshot::channel::<()>();
    let task = rt.spawn(async move { rx.await.unwrap() });
    assert_eq!(m.num_alive_tasks(), 1);
    // The task runs once and waits for the send.
    rt.block_on(wasio::task::yield_now());
    tx.send(()).unwrap();
    rt.block_on(task).unwrap();
    assert_eq!(m.num_alive_tasks(), 0);
    // Spawned, then woken by the send: two schedules, none remote.
    assert_eq!(m.worker_local_schedule_count(0), 2);
    assert_eq!(m.remote_schedule_count(), 0);
    #[cfg(not(target_os = "wasi"))]
    {
        let handle = rt.handle().clone();
        let remote = std::thread::spawn(move || handle.spawn(async { 5 }))
            .join()
            .unwrap();
        assert_eq!(rt.block_on(remote).unwrap(), 5);
        assert_eq!(m.remote_schedule_count(), 1);
    }
}

#[test]
fn on_thread_park_runs_before_each_wait() {
    let parks = Rc::new(Cell::new(0));
    let p = parks.clone();
    let rt = Builder::new_current_thread()
        .enable_all()
        .on_thread_park(move || p.set(p.get() + 1))
        .build()
        .unwrap();
    rt.block_on(wasio::time::sleep(std::time::Duration::from_millis(5)));
    assert!(parks.get() >= 1);
}

#[cfg(not(target_os = "wasi"))]
#[test]
fn join_errors_say_what_tokio_says() {
    let rt = wasio::Runtime::new().unwrap();
    rt.block_on(async {
        let e = wasio::spawn(async { panic!("boom {}", 1) })
            .await
            .unwrap_err();
        let id = e.id();
        assert_eq!(
            e.to_string(),
            format!("task {id} panicked with message \"boom 1\"")
        );
        assert_eq!(
            format!("{e:?}"),
            format!("JoinError::Panic({id:?}, \"boom 1\", ...)")
        );
        let h = wasio::spawn(std::future::pending::<()>());
        h.abort();
        let e = h.await.unwrap_err();
        assert_eq!(e.to_string(), format!("task {} was cancelled", e.id()));
    });
}

#[cfg(not(target_os = "wasi"))]
#[test]
fn a_panic_while_an_aborted_task_drops_is_its_result() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("in drop");
        }
    }
    let rt = wasio::Runtime::new().unwrap();
    rt.block_on(async {
        let h = wasio::spawn(async {
            let _p = PanicOnDrop;
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        h.abort();
        assert!(h.await.unwrap_err().is_panic());
    });
}

/// Polls `f` on this thread until it is ready (no runtime).
fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

#[cfg(not(target_os = "wasi"))] // panic = abort there
#[test]
#[should_panic(expected = "configured to shut down on unhandled panic")]
fn a_panicking_task_stops_a_runtime_told_to_shut_down_on_it() {
    let rt = Builder::new_current_thread()
        .unhandled_panic(wasio::runtime::UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap();
    rt.block_on(async {
        wasio::spawn(async { panic!("boom") });
        std::future::pending::<()>().await
    });
}

#[cfg(not(target_os = "wasi"))]
#[wasio::test(
    flavor = "multi_thread",
    worker_threads = 2,
    unhandled_panic = "ignore"
)]
async fn the_test_macro_takes_tokios_arguments() {
    let e = wasio::spawn(async { panic!("ignored") }).await.unwrap_err();
    assert!(e.is_panic());
}

/// tokio's handles cross threads; wasio's do too.
#[test]
fn handles_are_send() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<wasio::Runtime>();
    sync::<wasio::Runtime>();
    send::<Handle>();
    sync::<Handle>();
    send::<wasio::task::JoinHandle<u32>>();
    send::<wasio::task::AbortHandle>();
    send::<wasio::task::JoinSet<u32>>();
    send::<wasio::net::tcp::OwnedReadHalf>();
    send::<wasio::net::tcp::OwnedWriteHalf>();
    send::<wasio::net::unix::OwnedReadHalf>();
    send::<wasio::net::unix::OwnedWriteHalf>();
}

/// A signal's stream is the thread's, not the runtime's that first waited
/// on it: after that runtime is dropped, a later one on the thread waits
/// on it again (it does not fail as a dropped runtime's socket does).
#[test]
fn a_signal_wait_outlives_its_first_runtime() {
    use std::time::Duration;
    for round in 0..2 {
        let rt = Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let waited =
                wasio::time::timeout(Duration::from_millis(20), wasio::signal::ctrl_c()).await;
            assert!(waited.is_err(), "round {round}: {waited:?}");
        });
    }
}

/// Run by `tokios_no_reactor_panic_gets_wasios_hint` in a child process:
/// tokio's own runtime-less panic, under a wasio runtime.
#[test]
fn child_panics_as_tokio_without_its_runtime() {
    if std::env::var_os("WASIO_TEST_CHILD").is_none() {
        return;
    }
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        panic!(
            "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
        )
    });
}

/// tokio's "no reactor" panic (a tokio API that needs tokio's runtime,
/// made callable when a dependency turns tokio's `time` on) is followed
/// by a line that names wasio and the way out; other panics are not.
#[cfg(not(target_os = "wasi"))]
#[test]
fn tokios_no_reactor_panic_gets_wasios_hint() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_panics_as_tokio_without_its_runtime",
            "--nocapture",
        ])
        .env("WASIO_TEST_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child should have panicked");
    assert!(
        stderr.contains("wasio: this panic is tokio's own runtime being asked for")
            && stderr.contains("wasio::time::timeout"),
        "{stderr}"
    );
    // An ordinary panic gets no hint.
    let plain = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "block_on_does_not_nest", "--nocapture"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("wasio: this panic"));
}

/// A timer polled under a runtime that has been shut down panics (nothing
/// would fire it), instead of hanging the thread.
#[test]
#[cfg(not(target_os = "wasi"))] // a panic aborts a wasm32-wasip1 program
#[should_panic(expected = "a wasio timer was polled under a runtime that has been shut down")]
fn a_timer_of_a_dropped_runtime_panics_instead_of_hanging() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let _entered = rt.enter();
    rt.shutdown_background();
    Handle::current().block_on(wasio::time::sleep(std::time::Duration::from_millis(10)));
}
