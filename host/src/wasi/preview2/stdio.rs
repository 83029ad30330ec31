//! A component's stdout and stderr: the host's fds 1 and 2, written
//! without ever blocking the instance's thread, so that `--timeout` ends a
//! guest whose reader stalled (wasmtime-wasi's own inherited stdout is a
//! blocking `write_all`).
//!
//! As for preview1 (`wasi::stdio`), a pipe, FIFO or terminal is written
//! through a private non-blocking open of it (its mode, shared with the
//! parent, is never changed); anything else through a duplicate of the
//! fd, waited on until writable and then written at most
//! [`PIPE_BUF`](crate::wasi::stdio::PIPE_BUF) bytes at a time. A regular
//! file (which cannot be waited on, and never stalls) is written as it is.

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncWrite, Interest};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use crate::wasi::stdio::{private_handle, PIPE_BUF};

/// The host's stdout (1) or stderr (2), as a component's output stream.
pub(super) struct HostOutput {
    raw: RawFd,
    tty: bool,
}

impl HostOutput {
    /// The host's fd `raw` (1 or 2).
    pub(super) fn new(raw: RawFd) -> Self {
        // SAFETY: fds 1 and 2 stay open for the life of the process.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
        Self {
            raw,
            tty: rustix::termios::isatty(fd),
        }
    }
}

impl IsTerminal for HostOutput {
    fn is_terminal(&self) -> bool {
        self.tty
    }
}

impl StdoutStream for HostOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(Writer::new(self.raw))
    }
}

/// One writer on the host's stream.
enum Writer {
    /// Waited on through the instance's event loop; `capped` when it is in
    /// the host's blocking mode (a duplicate, not a private open).
    Polled { fd: AsyncFd<OwnedFd>, capped: bool },
    /// A regular file, or a stream that cannot be waited on.
    Plain(RawFd),
}

impl Writer {
    fn new(raw: RawFd) -> Self {
        let (fd, capped) = match private_handle(raw) {
            Some(p) => (Some(p), false),
            None => {
                // SAFETY: as above, `raw` is open for the life of the process.
                let host = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
                (rustix::io::fcntl_dupfd_cloexec(host, 3).ok(), true)
            }
        };
        // SAFETY: the `OwnedFd` moves into the `AsyncFd`, which alone
        // closes it, and `as_raw_fd` of an `OwnedFd` never changes.
        let registered =
            fd.map(|fd| unsafe { AsyncFd::register_with_interest(fd, Interest::WRITABLE) });
        match registered {
            Some(Ok(fd)) => Writer::Polled { fd, capped },
            // Not pollable (a regular file), or no fd to spare.
            _ => Writer::Plain(raw),
        }
    }
}

impl AsyncWrite for Writer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &*self {
            Writer::Polled { fd, capped } => {
                let chunk = if *capped {
                    &buf[..buf.len().min(PIPE_BUF)]
                } else {
                    buf
                };
                loop {
                    let mut guard = ready!(fd.poll_write_ready(cx))?;
                    let r = guard.try_io(|fd| {
                        rustix::io::write(fd.get_ref(), chunk).map_err(io::Error::from)
                    });
                    if let Ok(r) = r {
                        return Poll::Ready(r);
                    }
                }
            }
            Writer::Plain(raw) => {
                // SAFETY: as above.
                let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(*raw) };
                Poll::Ready(rustix::io::write(fd, buf).map_err(io::Error::from))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
