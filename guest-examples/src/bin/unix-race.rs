//! `unix-race PATH SECS`: connects to the Unix socket at `PATH` over and
//! over for `SECS` seconds and prints how many attempts connected and how
//! the others failed, one `NAME COUNT` line each.
//!
//! The sandbox test runs it while the host side swaps `PATH` between a
//! socket inside the preopen and a symlink to one outside: every
//! connection must reach the inside listener.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use wasio::net::UnixStream;

#[wasio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(secs)) = (args.next(), args.next()) else {
        eprintln!("usage: unix-race PATH SECS");
        std::process::exit(2);
    };
    let secs: f64 = secs.parse().expect("SECS must be a number");
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut outcomes = BTreeMap::<String, u64>::new();
    while Instant::now() < end {
        let what = match UnixStream::connect(&path).await {
            Ok(_) => "connected".to_string(),
            Err(e) => wasio_examples::errno_name(&e),
        };
        *outcomes.entry(what).or_default() += 1;
    }
    for (what, n) in outcomes {
        println!("{what} {n}");
    }
}
