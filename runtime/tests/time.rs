//! Timers: sleep, interval, timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use wasio::time::{interval, sleep, sleep_until, timeout, MissedTickBehavior};

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
