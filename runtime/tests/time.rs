//! Timers: sleep, interval, timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasio::time::{interval, sleep, sleep_until, timeout, Instant, MissedTickBehavior};

#[wasio::test]
async fn sleep_waits_at_least_its_duration() {
    let t = Instant::now();
    sleep(Duration::from_millis(30)).await;
    assert!(t.elapsed() >= Duration::from_millis(30));
    sleep(Duration::ZERO).await;
    sleep_until(Instant::now() - Duration::from_millis(1)).await;
}

#[wasio::test]
async fn concurrent_sleeps_finish_in_deadline_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut hs = Vec::new();
    for ms in [40u64, 10, 30, 20, 0] {
        let o = order.clone();
        hs.push(wasio::spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            o.borrow_mut().push(ms);
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
    assert_eq!(*order.borrow(), vec![0, 10, 20, 30, 40]);
}

#[wasio::test]
async fn ten_thousand_timers() {
    let start = Instant::now();
    let hs: Vec<_> = (0..10_000u64)
        .map(|i| wasio::spawn(async move { sleep(Duration::from_millis(i % 50)).await }))
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    assert!(start.elapsed() >= Duration::from_millis(49));
}

#[wasio::test]
async fn interval_ticks_on_schedule() {
    let start = Instant::now();
    let mut iv = interval(Duration::from_millis(10));
    let first = iv.tick().await;
    assert!(first.duration_since(start) < Duration::from_millis(10));
    for _ in 0..3 {
        iv.tick().await;
    }
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[wasio::test]
async fn missed_ticks_burst_delay_or_skip() {
    for (behaviour, max_fast) in [
        (MissedTickBehavior::Burst, 4),
        (MissedTickBehavior::Delay, 1),
        (MissedTickBehavior::Skip, 1),
    ] {
        let mut iv = interval(Duration::from_millis(10));
        iv.set_missed_tick_behavior(behaviour);
        iv.tick().await;
        // Block the task (not the runtime's timers) for 5 periods.
        std::thread::sleep(Duration::from_millis(55));
        let mut fast = 0;
        loop {
            let t = Instant::now();
            iv.tick().await;
            if t.elapsed() >= Duration::from_millis(3) {
                break;
            }
            fast += 1;
            assert!(fast <= 6, "{behaviour:?} kept bursting");
        }
        match behaviour {
            MissedTickBehavior::Burst => assert!(fast >= max_fast, "{behaviour:?}: {fast}"),
            _ => assert!(fast <= max_fast, "{behaviour:?}: {fast}"),
        }
    }
}

#[wasio::test]
async fn timeout_fires_or_passes_through() {
    assert_eq!(timeout(Duration::from_millis(50), async { 3 }).await, Ok(3));
    let slow = sleep(Duration::from_secs(10));
    let t = Instant::now();
    assert!(timeout(Duration::from_millis(10), slow).await.is_err());
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[wasio::test]
async fn dropping_a_sleep_cancels_it() {
    // A dropped far-future sleep must not keep the runtime waiting.
    let s = sleep(Duration::from_secs(3600));
    drop(s);
    let t = Instant::now();
    sleep(Duration::from_millis(1)).await;
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// A paused clock stands still, moves by `advance` exactly, and jumps to
/// the next timer when every task waits on time.
#[wasio::test(start_paused = true)]
async fn a_paused_clock_moves_only_when_told_or_when_all_wait() {
    let start = Instant::now();
    let real = std::time::Instant::now();
    assert_eq!(Instant::now(), start, "time stands still");
    wasio::time::advance(Duration::from_micros(51_592)).await;
    assert_eq!(start.elapsed(), Duration::from_micros(51_592));
    // An hour's sleep ends at once, exactly an hour later by this clock.
    let before = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(before.elapsed(), Duration::from_secs(3600));
    // Timers fire in deadline order, each at its own time.
    let order = Rc::new(RefCell::new(Vec::new()));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for ms in [30u64, 10, 20] {
        let order = order.clone();
        tasks.push(wasio::task::spawn_local(async move {
            sleep(Duration::from_millis(ms)).await;
            order.borrow_mut().push((ms, t0.elapsed()));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got = order.borrow().clone();
    let want: Vec<_> = [10u64, 20, 30]
        .iter()
        .map(|&ms| (ms, Duration::from_millis(ms)))
        .collect();
    assert_eq!(got, want);
    // A timeout against a future that never ends elapses at its limit.
    let t1 = Instant::now();
    let r = timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    assert!(r.is_err());
    assert_eq!(t1.elapsed(), Duration::from_secs(30));
    assert!(
        real.elapsed() < Duration::from_secs(30),
        "no real time was waited"
    );
}

/// `advance` fires what is due by then, and no more; a sleep is elapsed
/// only once it has fired (never before its first poll).
#[wasio::test(start_paused = true)]
async fn advance_fires_what_is_due() {
    use std::future::Future;
    use std::task::{Context, Poll};
    let mut s = Box::pin(sleep(Duration::from_millis(1)));
    assert!(!s.is_elapsed(), "not elapsed before its first poll");
    let poll = |s: &mut std::pin::Pin<Box<wasio::time::Sleep>>| {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        s.as_mut().poll(&mut cx)
    };
    assert!(poll(&mut s).is_pending());
    wasio::time::advance(Duration::from_micros(999)).await;
    assert!(!s.is_elapsed());
    assert!(poll(&mut s).is_pending());
    wasio::time::advance(Duration::from_micros(1)).await;
    assert!(s.is_elapsed(), "fired by the advance");
    assert_eq!(poll(&mut s), Poll::Ready(()));
}

/// `resume` lets the clock run again from where it stood; `pause` and
/// `resume` refuse a clock already in that state, as tokio's do.
#[wasio::test]
async fn pause_and_resume() {
    wasio::time::pause();
    let frozen = Instant::now();
    wasio::time::advance(Duration::from_secs(10)).await;
    wasio::time::resume();
    let after = Instant::now();
    assert!(after >= frozen + Duration::from_secs(10));
    sleep(Duration::from_millis(5)).await;
    assert!(Instant::now() >= after + Duration::from_millis(5));
    #[cfg(panic = "unwind")]
    {
        let again = std::panic::catch_unwind(wasio::time::resume);
        assert!(again.is_err(), "resume of a running clock panics");
        wasio::time::pause();
        let twice = std::panic::catch_unwind(wasio::time::pause);
        assert!(twice.is_err(), "pause of a paused clock panics");
    }
}

/// While a blocking closure runs, a paused clock does not jump to the
/// next timer: its work takes real time.
#[wasio::test(start_paused = true)]
async fn a_blocking_closure_holds_a_paused_clock() {
    let start = Instant::now();
    let r = timeout(
        Duration::from_millis(1),
        wasio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(30))),
    )
    .await;
    assert!(r.is_ok(), "the timeout did not jump past the closure");
    assert!(start.elapsed() < Duration::from_millis(1));
}

/// Outside a runtime `Instant::now` is the system's clock, and a paused
/// runtime's clock is its own.
#[test]
fn a_paused_clock_belongs_to_its_runtime() {
    let rt = wasio::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    let inside = rt.block_on(async {
        let t = Instant::now();
        sleep(Duration::from_secs(5)).await;
        t.elapsed()
    });
    assert_eq!(inside, Duration::from_secs(5));
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(2));
    assert!(
        t.elapsed() >= Duration::from_millis(2),
        "the system clock outside"
    );
    let a = rt.block_on(async { Instant::now() });
    std::thread::sleep(Duration::from_millis(5));
    let b = rt.block_on(async { Instant::now() });
    assert_eq!(a, b, "the runtime's clock stood while the real one ran");
}
