//! Whole lines on the host's stdout and stderr when several guest
//! instances share them (`wasio run --workers`): each instance's writes
//! are buffered up to the last newline and written out as whole lines,
//! one instance at a time, so lines from different workers never
//! interleave mid-line. A line longer than [`MAX_PENDING`] is written in
//! pieces (under the same lock). Writes wait no later than the run's
//! deadline, like every other host call.

use std::sync::Mutex;
use std::time::Instant;

use super::stdio::{write_all, Stdio};

/// Longest partial line kept back.
pub(crate) const MAX_PENDING: usize = 64 * 1024;

/// The lock every instance writes its lines under.
#[derive(Debug, Default)]
pub struct StdioLines {
    lock: Mutex<()>,
}

/// One instance's partial lines for fds 1 and 2.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    bufs: [Vec<u8>; 2],
}

impl StdioLines {
    /// Writes everything in `data` up to its last newline (with what was
    /// pending before it) to `fd`, the instance's handle on host stream
    /// `stream` (host fd 1 or 2), keeping the rest; waits no later than
    /// `deadline`.
    pub(crate) fn write(
        &self,
        pending: &mut Pending,
        stream: &Stdio,
        data: &[&[u8]],
        deadline: Option<Instant>,
    ) -> std::io::Result<()> {
        let buf = &mut pending.bufs[usize::from(stream.raw == 2)];
        for d in data {
            buf.extend_from_slice(d);
        }
        let cut = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if buf.len() > MAX_PENDING => buf.len(),
            None => return Ok(()),
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let r = write_all(stream, &buf[..cut], deadline);
        buf.drain(..cut);
        r
    }

    /// Writes whatever is pending (at the end of an instance), giving up
    /// at `deadline`.
    pub(crate) fn flush(&self, pending: &mut Pending, deadline: Option<Instant>) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        for (i, buf) in pending.bufs.iter_mut().enumerate() {
            if !buf.is_empty() {
                let stream = Stdio::new(i as i32 + 1);
                let _ = write_all(&stream, buf, deadline);
                buf.clear();
            }
        }
    }
}
