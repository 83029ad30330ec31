//! Reads lines from async stdin and writes each reversed to async stdout,
//! while a timer task keeps ticking (stdin never blocks other tasks).

use wasio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let ticker = wasio::spawn(async {
        let mut n = 0u64;
        loop {
            wasio::time::sleep(std::time::Duration::from_millis(5)).await;
            n += 1;
            if n == u64::MAX {
                break n;
            }
        }
    });
    let mut lines = BufReader::new(wasio::io::stdin()).lines();
    let mut out = wasio::io::stdout();
    let mut count = 0;
    while let Some(line) = lines.next_line().await? {
        count += 1;
        let rev: String = line.chars().rev().collect();
        out.write_all(format!("{count}: {rev}\n").as_bytes())
            .await?;
    }
    out.flush().await?;
    ticker.abort();
    eprintln!("{count} lines");
    Ok(())
}
