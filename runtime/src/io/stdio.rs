//! Async standard streams.
//!
//! Standard input waits on the reactor (fd 0, level-checked first), then
//! reads; the host's stdin is never switched to non-blocking mode, since
//! it may be shared with other processes. Standard output and error are
//! written directly.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::runtime::with_reactor;
use crate::sys::{self, Direction};

/// Async standard input. See [`stdin`].
#[derive(Debug)]
pub struct Stdin(());

/// Async standard output. See [`stdout`].
#[derive(Debug)]
pub struct Stdout(());

/// Async standard error. See [`stderr`].
#[derive(Debug)]
pub struct Stderr(());

/// The process's standard input, read without blocking other tasks.
///
/// ```no_run
/// use wasio::io::{AsyncBufReadExt, BufReader};
/// use futures_util::StreamExt;
/// wasio::block_on(async {
///     let mut lines = BufReader::new(wasio::io::stdin()).lines();
///     while let Some(line) = lines.next().await {
///         println!("{}", line.unwrap());
///     }
/// });
/// ```
pub fn stdin() -> Stdin {
    Stdin(())
}

/// The process's standard output.
pub fn stdout() -> Stdout {
    Stdout(())
}

/// The process's standard error.
pub fn stderr() -> Stderr {
    Stderr(())
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        if !sys::stdin_ready()? {
            with_reactor(|r| r.wait_io(0, Direction::Read, cx.waker()))?;
            return Poll::Pending;
        }
        // Read fd 0 directly: std's `Stdin` buffers, and bytes parked in
        // its buffer would be invisible to the readiness check above.
        // SAFETY: fd 0 stays open for the life of the process, and the
        // `ManuallyDrop` never closes it.
        let mut fd0 = std::mem::ManuallyDrop::new(unsafe {
            <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(0)
        });
        loop {
            match fd0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return Poll::Ready(r),
            }
        }
    }
}

fn write_to(mut w: impl Write, buf: &[u8]) -> io::Result<usize> {
    let n = w.write(buf)?;
    w.flush()?;
    Ok(n)
}

impl AsyncWrite for Stdout {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(write_to(io::stdout().lock(), buf))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(io::stdout().flush())
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncWrite for Stderr {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(write_to(io::stderr().lock(), buf))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(io::stderr().flush())
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
