//! File-copy benchmark: `fs-copy SRC DST` copies with `wasio::fs::copy`
//! (64 KiB chunks) and prints `copy_mb_per_s VALUE MB/s`.

use std::time::Instant;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut a = std::env::args().skip(1);
    let (Some(src), Some(dst)) = (a.next(), a.next()) else {
        eprintln!("usage: fs-copy SRC DST");
        std::process::exit(2);
    };
    let t = Instant::now();
    let n = wasio::fs::copy(&src, &dst).await?;
    let el = t.elapsed().as_secs_f64();
    println!("copy_mb_per_s {:.1} MB/s", n as f64 / 1e6 / el);
    Ok(())
}
