//! `copy SRC DST`: copies a file with wasio's async file I/O and prints
//! the byte count and an FNV-1a checksum of what was copied.

use wasio::io::{AsyncReadExt, AsyncWriteExt};

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(src), Some(dst)) = (args.next(), args.next()) else {
        eprintln!("usage: copy SRC DST");
        std::process::exit(2);
    };
    let mut from = wasio::fs::File::open(&src).await?;
    let mut to = wasio::fs::File::create(&dst).await?;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut total, mut hash) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            hash = (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        to.write_all(&buf[..n]).await?;
        total += n as u64;
    }
    to.sync_all().await?;
    println!("copied {total} bytes, fnv1a {hash:016x}");
    Ok(())
}
