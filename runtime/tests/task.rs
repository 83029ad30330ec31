//! Tasks: spawn, join, abort, yield, detach, panics.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasio::task::yield_now;

#[wasio::test]
async fn spawn_and_join_many() {
    let handles: Vec<_> = (0..1000u64)
        .map(|i| wasio::spawn(async move { i * i }))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    assert_eq!(sum, (0..1000u64).map(|i| i * i).sum());
}

#[wasio::test]
async fn tasks_need_not_be_send() {
    let shared = Rc::new(RefCell::new(Vec::new()));
    let mut hs = Vec::new();
    for i in 0..5 {
        let s = shared.clone();
        hs.push(wasio::spawn_local(async move {
            yield_now().await;
            s.borrow_mut().push(i);
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
    let mut v = shared.borrow().clone();
    v.sort();
    assert_eq!(v, vec![0, 1, 2, 3, 4]);
}

#[wasio::test]
async fn abort_cancels_a_pending_task() {
    let dropped = Rc::new(RefCell::new(false));
    struct Flag(Rc<RefCell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let flag = Flag(dropped.clone());
    let h = wasio::spawn(async move {
        let _flag = flag;
        wasio::time::sleep(Duration::from_secs(3600)).await;
        1
    });
    yield_now().await;
    assert!(!h.is_finished());
    h.abort();
    let err = h.await.unwrap_err();
    assert!(err.is_cancelled());
    assert!(*dropped.borrow(), "the aborted future was dropped");
}

#[wasio::test]
async fn abort_after_completion_keeps_the_output() {
    let h = wasio::spawn(async { 9 });
    while !h.is_finished() {
        yield_now().await;
    }
    h.abort();
    assert_eq!(h.await.unwrap(), 9);
}

#[wasio::test]
async fn dropped_handle_detaches() {
    let (tx, rx) = wasio::sync::oneshot::channel();
    drop(wasio::spawn(async move {
        wasio::time::sleep(Duration::from_millis(5)).await;
        tx.send("still ran").unwrap();
    }));
    assert_eq!(rx.await.unwrap(), "still ran");
}

#[wasio::test]
async fn yield_now_interleaves_tasks() {
    let log = Rc::new(RefCell::new(String::new()));
    let mk = |c: char, log: Rc<RefCell<String>>| {
        wasio::spawn(async move {
            for _ in 0..3 {
                log.borrow_mut().push(c);
                yield_now().await;
            }
        })
    };
    let a = mk('a', log.clone());
    let b = mk('b', log.clone());
    a.await.unwrap();
    b.await.unwrap();
    assert_eq!(&*log.borrow(), "ababab");
}

#[wasio::test]
async fn busy_task_does_not_starve_timers() {
    // A task that is always ready (yields in a loop) must not keep a timer
    // from firing.
    let stop = Rc::new(RefCell::new(false));
    let s = stop.clone();
    let spinner = wasio::spawn(async move {
        let mut n = 0u64;
        while !*s.borrow() {
            n += 1;
            yield_now().await;
        }
        n
    });
    wasio::time::sleep(Duration::from_millis(20)).await;
    *stop.borrow_mut() = true;
    assert!(spinner.await.unwrap() > 0);
}

// Rust aborts on panic on wasm32-wasip1, so only unwinding targets can
// turn a panic into a JoinError.
#[cfg(panic = "unwind")]
#[wasio::test]
async fn a_panicking_task_does_not_take_the_runtime_down() {
    let h = wasio::spawn(async {
        if true {
            panic!("boom");
        }
    });
    let err = h.await.unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("boom"), "{err}");
    // The runtime carries on.
    assert_eq!(wasio::spawn(async { 1 }).await.unwrap(), 1);
}

#[test]
fn block_on_returns_the_value() {
    assert_eq!(wasio::block_on(async { 5 }), 5);
    let rt = wasio::Runtime::new().unwrap();
    assert_eq!(
        rt.block_on(async { wasio::spawn(async { 6 }).await.unwrap() }),
        6
    );
    // A runtime can be used again.
    assert_eq!(rt.block_on(async { 7 }), 7);
}
