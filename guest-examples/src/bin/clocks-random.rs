//! Checks clocks and randomness and prints what it found in a form that is
//! the same on every run and platform.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let t0 = Instant::now();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    // 2020-01-01 .. 2200-01-01: a sane realtime clock.
    println!(
        "realtime plausible: {}",
        (1_577_836_800..7_258_118_400).contains(&wall.as_secs())
    );
    std::thread::sleep(Duration::from_millis(30));
    let slept = t0.elapsed();
    println!(
        "sleep(30ms) took at least 30ms: {}",
        slept >= Duration::from_millis(30)
    );
    println!(
        "sleep(30ms) took under 2s: {}",
        slept < Duration::from_secs(2)
    );
    let a = Instant::now();
    let b = Instant::now();
    println!("monotonic never goes back: {}", b >= a);

    let mut buf1 = [0u8; 64];
    let mut buf2 = [0u8; 64];
    fill_random(&mut buf1);
    fill_random(&mut buf2);
    println!("random buffers differ: {}", buf1 != buf2);
    println!("random not all zero: {}", buf1.iter().any(|&b| b != 0));
}

#[cfg(target_os = "wasi")]
fn fill_random(buf: &mut [u8]) {
    // SAFETY: the buffer is valid for writes of its length.
    unsafe { wasi::random_get(buf.as_mut_ptr(), buf.len()) }.expect("random_get");
}

#[cfg(not(target_os = "wasi"))]
fn fill_random(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .expect("/dev/urandom");
}
