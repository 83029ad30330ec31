//! Async standard streams.
//!
//! Standard input waits on the reactor (fd 0, level-checked first), then
//! reads; the host's stdin is never switched to non-blocking mode, since
//! it may be shared with other processes. Standard output and error are
//! written directly.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

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
/// wasio::block_on(async {
///     let mut lines = BufReader::new(wasio::io::stdin()).lines();
///     while let Some(line) = lines.next_line().await.unwrap() {
///         println!("{line}");
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

impl Stdin {
    /// Reads from fd 0 once it has input, with `read` doing the reading.
    fn poll_with<R>(
        &mut self,
        cx: &mut Context<'_>,
        read: impl FnOnce(&mut std::fs::File) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
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
        Poll::Ready(read(&mut fd0))
    }
}

fn retry(mut op: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

impl tokio::io::AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().poll_with(cx, |f| {
            crate::io::read_into(buf, usize::MAX, |dst| retry(|| f.read(dst)))
        })
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_with(cx, |f| retry(|| f.read(buf)))
    }
}

fn write_to(mut w: impl Write, buf: &[u8]) -> io::Result<usize> {
    let n = w.write(buf)?;
    w.flush()?;
    Ok(n)
}

/// tokio's (and with `futures-io`, futures') `AsyncWrite` for a standard
/// stream written directly through std's handle `$std`.
macro_rules! std_writer {
    ($t:ty, $std:path) => {
        impl tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(write_to($std().lock(), buf))
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready($std().flush())
            }
            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready($std().flush())
            }
        }

        #[cfg(feature = "futures-io")]
        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(write_to($std().lock(), buf))
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready($std().flush())
            }
            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready($std().flush())
            }
        }
    };
}

std_writer!(Stdout, io::stdout);
std_writer!(Stderr, io::stderr);
