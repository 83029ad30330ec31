//! Misbehaves on request, to exercise the host's limits:
//!
//! - `limits spin SECS`  burn CPU for SECS seconds, then print "spun"
//! - `limits alloc MIB`  allocate and touch MIB MiB, then print "allocated"
//! - `limits exit CODE`  exit with status CODE
//! - `limits trap`       panic (a wasm trap under wasio)
//! - `limits sleep SECS` sleep, then print "slept"

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_default();
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    match what.as_str() {
        "spin" => {
            let end = Instant::now() + Duration::from_secs(n);
            let mut x = 0u64;
            while Instant::now() < end {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            println!("spun {}", x % 2 + 1 > 0);
        }
        "alloc" => {
            let v = vec![1u8; (n as usize) << 20];
            println!(
                "allocated {} MiB",
                v.iter().map(|&b| b as usize).sum::<usize>() >> 20
            );
        }
        "exit" => std::process::exit(n as i32),
        "trap" => panic!("deliberate trap"),
        "sleep" => {
            std::thread::sleep(Duration::from_secs(n));
            println!("slept");
        }
        _ => {
            eprintln!("usage: limits spin|alloc|exit|trap|sleep N");
            std::process::exit(2);
        }
    }
}
