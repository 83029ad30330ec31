//! The baseline of the file-copy benchmark: `std::fs::copy` (which the
//! kernel may do without copying through user space).

use std::time::Instant;

fn main() -> std::io::Result<()> {
    let mut a = std::env::args().skip(1);
    let (Some(src), Some(dst)) = (a.next(), a.next()) else {
        eprintln!("usage: std-copy SRC DST");
        std::process::exit(2);
    };
    let t = Instant::now();
    let n = std::fs::copy(&src, &dst)?;
    let el = t.elapsed().as_secs_f64();
    println!("copy_mb_per_s {:.1} MB/s", n as f64 / 1e6 / el);
    Ok(())
}
