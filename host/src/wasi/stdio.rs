//! The host's standard streams as a guest sees them, under the deadline.
//!
//! fds 0-2 belong to the host process and its parent: their mode is never
//! changed (making a shared pipe or terminal non-blocking would change it
//! for the parent too). To still wait for them within `--timeout`, each
//! one that is a pipe, FIFO or character device (a terminal) is opened
//! anew through `/proc/self/fd/N`: a private open file description of the
//! same pipe or device, non-blocking, that the host alone uses. A read or
//! write on it never blocks; one that would is a wait in the reactor,
//! bounded by the deadline, like any socket's.
//!
//! A stream that cannot be reopened that way (a regular file, which never
//! blocks; a socket; a pipe whose reader is already gone) is used as it
//! is: waited on first, and under a deadline written at most
//! [`PIPE_BUF`] bytes at a time — what a pipe or socket that polled
//! writable takes without blocking.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Instant;

use rustix::fs::{FileType, Mode, OFlags};

/// What a write to a pipe that polled writable takes without blocking.
pub(crate) const PIPE_BUF: usize = 4096;

/// One of the host's standard streams behind a guest fd.
#[derive(Debug)]
pub(crate) struct Stdio {
    /// The host's fd: 0, 1 or 2.
    pub(crate) raw: RawFd,
    /// A private non-blocking open of the same pipe or device, when it
    /// could be made.
    pub(crate) private: Option<OwnedFd>,
}

impl Stdio {
    /// Host stream `raw`, with a private handle when one can be made.
    pub(crate) fn new(raw: RawFd) -> Self {
        Self {
            raw,
            private: private_handle(raw),
        }
    }

    /// The fd every call uses: the private handle, else the host's own.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        match &self.private {
            Some(p) => p.as_fd(),
            // SAFETY: fds 0, 1 and 2 stay open for the life of the process;
            // the host never closes them.
            None => unsafe { BorrowedFd::borrow_raw(self.raw) },
        }
    }
}

/// Opens host fd `raw` anew, non-blocking, when it is a pipe, FIFO or
/// character device; `None` otherwise or when that is not possible.
pub(crate) fn private_handle(raw: RawFd) -> Option<OwnedFd> {
    // SAFETY: `raw` is 0, 1 or 2, open for the life of the process (a
    // closed one makes fstat fail, and nothing is opened).
    let host = unsafe { BorrowedFd::borrow_raw(raw) };
    let st = rustix::fs::fstat(host).ok()?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Fifo | FileType::CharacterDevice => {}
        _ => return None,
    }
    let access = rustix::fs::fcntl_getfl(host).ok()? & OFlags::RWMODE;
    let flags = access | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::open(format!("/proc/self/fd/{raw}"), flags, Mode::empty()).ok()?;
    let again = rustix::fs::fstat(&fd).ok()?;
    (again.st_dev == st.st_dev && again.st_ino == st.st_ino).then_some(fd)
}

/// Writes all of `data` to `stream`, waiting while it would block, until
/// `deadline` (`TimedOut` then). A stream without a private handle is in
/// the host's blocking mode: once it polls writable it is written at most
/// [`PIPE_BUF`] bytes at a time, so no write outlasts the deadline by more
/// than that takes.
pub(crate) fn write_all(
    stream: &Stdio,
    mut data: &[u8],
    deadline: Option<Instant>,
) -> std::io::Result<()> {
    let fd = stream.fd();
    let capped = stream.private.is_none() && deadline.is_some();
    while !data.is_empty() {
        if capped {
            wait_writable(fd, deadline)?;
        }
        let chunk = if capped {
            &data[..data.len().min(PIPE_BUF)]
        } else {
            data
        };
        match rustix::io::write(fd, chunk) {
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => wait_writable(fd, deadline)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Waits until `fd` polls writable, or `deadline` passes (`TimedOut`).
fn wait_writable(fd: BorrowedFd<'_>, deadline: Option<Instant>) -> std::io::Result<()> {
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
                Some(rustix::time::Timespec {
                    tv_sec: left.as_secs() as i64,
                    tv_nsec: left.subsec_nanos() as i64,
                })
            }
            None => None,
        };
        let mut p = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::OUT,
        )];
        match rustix::event::poll(&mut p, timeout.as_ref()) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd as _;

    #[test]
    fn a_pipe_gets_a_private_nonblocking_handle_and_a_file_does_not() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = rustix::io::dup(&w).unwrap();
        let private = private_handle(fd.as_raw_fd()).expect("a pipe can be reopened");
        assert!(rustix::fs::fcntl_getfl(&private)
            .unwrap()
            .contains(OFlags::NONBLOCK));
        // The host's own handle keeps its mode.
        assert!(!rustix::fs::fcntl_getfl(&w)
            .unwrap()
            .contains(OFlags::NONBLOCK));
        rustix::io::write(&private, b"x").unwrap();
        let mut b = [0u8; 1];
        assert_eq!(rustix::io::read(&r, &mut b).unwrap(), 1);

        let file = tempfile::tempfile().unwrap();
        assert!(private_handle(file.as_raw_fd()).is_none());
    }

    #[test]
    fn a_stalled_pipe_write_ends_at_the_deadline() {
        let (_r, w) = std::io::pipe().unwrap();
        let data = vec![7u8; 1 << 20];
        let deadline = Instant::now() + std::time::Duration::from_millis(200);
        // The host's own, blocking handle; then the private one.
        let host = Stdio {
            raw: w.as_raw_fd(),
            private: None,
        };
        let e = write_all(&host, &data, Some(deadline)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        let private = Stdio {
            raw: w.as_raw_fd(),
            private: private_handle(w.as_raw_fd()),
        };
        assert!(private.private.is_some());
        let deadline = Instant::now() + std::time::Duration::from_millis(200);
        let e = write_all(&private, &data, Some(deadline)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }
}
