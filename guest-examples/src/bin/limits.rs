//! Misbehaves on request, to exercise the host's limits:
//!
//! - `limits spin SECS`  burn CPU for SECS seconds, then print "spun"
//! - `limits alloc MIB`  allocate and touch MIB MiB, then print "allocated"
//! - `limits exit CODE`  exit with status CODE
//! - `limits trap`       panic (a wasm trap under wasio)
//! - `limits sleep SECS` sleep, then print "slept"
//! - `limits fds PATH`   open PATH until that fails; print how many opened

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
        "fds" => {
            let path = std::env::args().nth(2).expect("path");
            let mut open = Vec::new();
            loop {
                match std::fs::File::open(&path) {
                    Ok(f) => open.push(f),
                    Err(e) => {
                        println!(
                            "opened {}, then {}",
                            open.len(),
                            wasio_examples::errno_name(&e)
                        );
                        break;
                    }
                }
                if open.len() > 100_000 {
                    println!("no limit");
                    break;
                }
            }
        }
        "sleep" => {
            std::thread::sleep(Duration::from_secs(n));
            println!("slept");
        }
        _ => {
            eprintln!("usage: limits spin|alloc|exit|trap|sleep N | limits fds PATH");
            std::process::exit(2);
        }
    }
}
