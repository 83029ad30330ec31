//! [`Evented`]: a non-blocking std object plus the reactor glue.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use crate::runtime::{try_with_reactor, with_reactor};
use crate::sys::Direction;

/// Wraps a non-blocking object: operations are tried first, and only a
/// `WouldBlock` makes the task wait on the reactor for that direction.
#[derive(Debug)]
pub(crate) struct Evented<T: AsRawFd> {
    inner: T,
}

impl<T: AsRawFd> Evented<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner }
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }

    /// Runs `op` until it does not block, registering interest in `dir`
    /// when it does.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            match op(&self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let fd = self.fd();
                    with_reactor(|r| r.wait_io(fd, dir, cx.waker()))?;
                    return Poll::Pending;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    /// Waits until the reactor reports `dir` ready (no operation tried).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        let fd = self.fd();
        with_reactor(|r| r.wait_io(fd, dir, cx.waker()))?;
        Poll::Pending
    }
}

impl<T: AsRawFd> Drop for Evented<T> {
    fn drop(&mut self) {
        let fd = self.fd();
        try_with_reactor(|r| r.forget(fd));
    }
}
