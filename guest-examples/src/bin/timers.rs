//! Concurrent sleeps, an interval and a timeout on the wasio runtime,
//! printing in an order fixed by their deadlines (25 ms apart at least).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasio::time::{interval, sleep, timeout, Instant};

#[wasio::main]
async fn main() {
    let start = Instant::now();
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let say = |log: &Rc<RefCell<Vec<String>>>, s: String| {
        println!("{s}");
        log.borrow_mut().push(s);
    };

    let l = log.clone();
    let ticker = wasio::spawn(async move {
        let mut every = interval(Duration::from_millis(50));
        for i in 1..=3 {
            every.tick().await;
            say(&l, format!("interval tick {i}"));
        }
    });
    let l = log.clone();
    let sleeper = wasio::spawn(async move {
        sleep(Duration::from_millis(125)).await;
        say(&l, "sleeper woke after 125ms".into());
    });
    let l = log.clone();
    let waiter = wasio::spawn(async move {
        let slow = sleep(Duration::from_secs(10));
        match timeout(Duration::from_millis(25), slow).await {
            Ok(()) => say(&l, "timeout did not fire?!".into()),
            Err(_) => say(&l, "timeout fired after 25ms".into()),
        }
    });
    let many: Vec<_> = (0..1000u64)
        .map(|i| wasio::spawn(async move { sleep(Duration::from_millis(150 + i % 10)).await }))
        .collect();

    ticker.await.unwrap();
    sleeper.await.unwrap();
    waiter.await.unwrap();
    for h in many {
        h.await.unwrap();
    }
    say(&log, "1000 concurrent sleeps done".into());
    let took = start.elapsed();
    println!(
        "total at least 159ms: {}",
        took >= Duration::from_millis(159)
    );
    println!("events: {}", log.borrow().len());
}
