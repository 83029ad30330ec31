//! Reads lines from stdin and writes them back upper-cased with a line
//! number; reports the totals on stderr.

use std::io::{self, BufRead, Write};

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    let (mut lines, mut bytes) = (0usize, 0usize);
    for line in stdin.lock().lines() {
        let line = line?;
        lines += 1;
        bytes += line.len();
        writeln!(out, "{lines:>4}: {}", line.to_uppercase())?;
    }
    out.flush()?;
    eprintln!("{lines} lines, {bytes} bytes");
    Ok(())
}
