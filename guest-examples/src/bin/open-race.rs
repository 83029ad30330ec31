//! `open-race PATH SECS`: reads the file at `PATH` over and over for `SECS`
//! seconds and prints how many reads returned each content and how the
//! others failed, one `NAME COUNT` line each (`read:CONTENT` for a read).
//!
//! The sandbox test runs it while the host side swaps a name on `PATH`
//! (the file itself, or a directory on the way to it) between a target
//! inside the preopen and one outside: no read may return the outside
//! file.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[wasio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(secs)) = (args.next(), args.next()) else {
        eprintln!("usage: open-race PATH SECS");
        std::process::exit(2);
    };
    let secs: f64 = secs.parse().expect("SECS must be a number");
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut outcomes = BTreeMap::<String, u64>::new();
    while Instant::now() < end {
        let what = match wasio::fs::read_to_string(&path).await {
            Ok(text) => format!("read:{}", text.trim()),
            Err(e) => wasio_examples::errno_name(&e),
        };
        *outcomes.entry(what).or_default() += 1;
    }
    for (what, n) in outcomes {
        println!("{what} {n}");
    }
}
