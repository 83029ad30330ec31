//! Micro-benchmarks of the wasio runtime itself. Built natively and for
//! wasm32-wasip1 (run under `wasio run`); prints `name value unit` lines
//! for the `bench` driver.
//!
//! `rt-bench [SCALE]`: SCALE (default 1.0) multiplies every iteration
//! count, for quick smoke runs.

use std::time::{Duration, Instant};

use wasio::time::sleep;

fn report(name: &str, value: f64, unit: &str) {
    println!("{name} {value:.3} {unit}");
}

#[wasio::main]
async fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let n = |base: u64| ((base as f64 * scale) as u64).max(1);

    // 1. spawn + join of tiny tasks, 1000 alive at a time.
    let total = n(1_000_000);
    let t = Instant::now();
    let mut done = 0;
    while done < total {
        let batch = 1000.min(total - done);
        let hs: Vec<_> = (0..batch)
            .map(|i| wasio::spawn(async move { i + 1 }))
            .collect();
        for h in hs {
            std::hint::black_box(h.await.unwrap());
        }
        done += batch;
    }
    let el = t.elapsed();
    report(
        "spawn_join_tasks_per_s",
        total as f64 / el.as_secs_f64(),
        "tasks/s",
    );
    report(
        "spawn_join_ns_per_task",
        el.as_nanos() as f64 / total as f64,
        "ns",
    );

    // 2. concurrent timers, deadlines spread over 100 ms.
    let timers = n(100_000);
    let t = Instant::now();
    let hs: Vec<_> = (0..timers)
        .map(|i| {
            wasio::spawn(async move { sleep(Duration::from_micros(i * 100_000 / timers)).await })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    let el = t.elapsed();
    report("timers_total_ms", el.as_secs_f64() * 1e3, "ms");
    report(
        "timers_overhead_ns_per_timer",
        el.saturating_sub(Duration::from_millis(100)).as_nanos() as f64 / timers as f64,
        "ns",
    );

    // 3. ping-pong between two tasks over channels.
    let rounds = n(1_000_000);
    let (to_b, mut b_rx) = wasio::sync::mpsc::channel::<u64>(1);
    let (to_a, mut a_rx) = wasio::sync::mpsc::channel::<u64>(1);
    let b = wasio::spawn(async move {
        while let Some(v) = b_rx.recv().await {
            if to_a.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    let t = Instant::now();
    for i in 0..rounds {
        to_b.send(i).await.unwrap();
        let back = a_rx.recv().await.unwrap();
        debug_assert_eq!(back, i + 1);
    }
    let el = t.elapsed();
    drop(to_b);
    b.await.unwrap();
    report(
        "pingpong_ns_per_round_trip",
        el.as_nanos() as f64 / rounds as f64,
        "ns",
    );

    // 4. timer wake-up latency through the reactor (one real wait each).
    let sleeps = n(500);
    let mut late = Duration::ZERO;
    for _ in 0..sleeps {
        let t = Instant::now();
        sleep(Duration::from_millis(1)).await;
        late += t.elapsed().saturating_sub(Duration::from_millis(1));
    }
    report(
        "sleep_1ms_lateness_us",
        late.as_secs_f64() * 1e6 / sleeps as f64,
        "us",
    );
}
