//! Whole lines on the host's stdout and stderr when several guest
//! instances share them (`wasio run --workers`): each instance's writes
//! are buffered up to the last newline and written out as whole lines,
//! one instance at a time, so lines from different workers never
//! interleave mid-line. A line longer than [`MAX_PENDING`] is written in
//! pieces (under the same lock).

use std::sync::Mutex;

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
    /// pending before it) to host fd `raw` (1 or 2), keeping the rest.
    pub(crate) fn write(
        &self,
        pending: &mut Pending,
        raw: i32,
        data: &[&[u8]],
    ) -> std::io::Result<()> {
        let buf = &mut pending.bufs[usize::from(raw == 2)];
        for d in data {
            buf.extend_from_slice(d);
        }
        let cut = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if buf.len() > MAX_PENDING => buf.len(),
            None => return Ok(()),
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        write_all(raw, &buf[..cut])?;
        buf.drain(..cut);
        Ok(())
    }

    /// Writes whatever is pending (at the end of an instance).
    pub(crate) fn flush(&self, pending: &mut Pending) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        for (i, buf) in pending.bufs.iter_mut().enumerate() {
            if !buf.is_empty() {
                let _ = write_all(i as i32 + 1, buf);
                buf.clear();
            }
        }
    }
}

/// Writes all of `data` to host fd `raw`, waiting while it would block.
fn write_all(raw: i32, mut data: &[u8]) -> std::io::Result<()> {
    // SAFETY: fds 1 and 2 are the host's stdout and stderr, open for the
    // life of the process.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => {
                let mut p = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::OUT,
                )];
                let _ = rustix::event::poll(&mut p, None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
