//! [`Evented`]: a non-blocking std object plus the reactor glue.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::runtime::{try_with_current, try_with_reactor, with_reactor, Shared};
use crate::sys::Direction;

/// Wraps a non-blocking object: operations are tried first, and only a
/// `WouldBlock` makes the task wait on the reactor for that direction.
pub(crate) struct Evented<T: AsRawFd> {
    inner: T,
    /// The runtime current when it was made: once that runtime is shut
    /// down, waiting fails (as in tokio, where an object belongs to its
    /// runtime's driver) instead of hanging.
    runtime: Option<Arc<Shared>>,
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for Evented<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evented")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T: AsRawFd> Evented<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            runtime: try_with_current(|i| i.shared.clone()),
        }
    }

    /// Like [`Evented::new`], but belonging to no runtime: for an fd the
    /// thread keeps across runtimes (a signal's stream), which any later
    /// runtime may wait on.
    pub(crate) fn new_unbound(inner: T) -> Self {
        Self {
            inner,
            runtime: None,
        }
    }

    /// Fails with the runtime-shutdown error once the runtime this was
    /// made under is shut down: nothing will drive its waits any more.
    fn check_runtime(&self) -> io::Result<()> {
        match &self.runtime {
            Some(rt) if rt.is_shut_down() => Err(crate::runtime::shutdown::error()),
            _ => Ok(()),
        }
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The object, taken off the reactor (its waiters are woken).
    pub(crate) fn into_inner(self) -> T {
        let fd = self.fd();
        try_with_reactor(|r| r.forget(fd));
        let mut this = std::mem::ManuallyDrop::new(self);
        drop(this.runtime.take());
        // SAFETY: `this` is never used or dropped again, so `inner` is
        // moved out exactly once.
        unsafe { std::ptr::read(&this.inner) }
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
                    self.check_runtime()?;
                    let fd = self.fd();
                    with_reactor(|r| {
                        r.clear_ready(fd, dir);
                        r.wait_io(fd, dir, cx.waker())
                    })?;
                    return Poll::Pending;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    /// [`Evented::poll_io`] for a byte stream's reads and writes of `len`
    /// bytes: a transfer of less than `len` drained the socket (nothing
    /// more to read, no more room to write), so the next call waits for
    /// the reactor without first trying the call that would only say
    /// `WouldBlock` — one system call (a host call on wasm) saved per
    /// request on a request/response connection. Not for datagrams, where
    /// every receive is short.
    pub(crate) fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let fd = self.fd();
        if len > 0 && with_reactor(|r| r.is_blocked(fd, dir)) {
            self.check_runtime()?;
            with_reactor(|r| r.wait_io(fd, dir, cx.waker()))?;
            return Poll::Pending;
        }
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            match op(&self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.check_runtime()?;
                    with_reactor(|r| {
                        r.mark_blocked(fd, dir);
                        r.wait_io(fd, dir, cx.waker())
                    })?;
                    return Poll::Pending;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(n) if n > 0 && n < len => {
                    with_reactor(|r| r.mark_blocked(fd, dir));
                    return Poll::Ready(Ok(n));
                }
                r => return Poll::Ready(r),
            }
        }
    }

    /// Ready once the reactor has seen `dir` ready and no operation has
    /// found it blocked since (no operation is tried). Being woken is not
    /// being ready: a task woken by something else waits on.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        let fd = self.fd();
        self.check_runtime()?;
        with_reactor(|r| {
            if r.is_ready(fd, dir) {
                return Ok(true);
            }
            r.wait_io(fd, dir, cx.waker()).map(|()| false)
        })
        .map_or_else(
            |e| Poll::Ready(Err(e)),
            |ready| {
                if ready {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                }
            },
        )
    }

    /// Runs `op` once, without waiting: `WouldBlock` is returned (and
    /// clears the readiness `dir` had).
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(&self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let fd = self.fd();
                    try_with_reactor(|r| r.clear_ready(fd, dir));
                    return Err(e);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
}

impl<T: AsRawFd> Drop for Evented<T> {
    fn drop(&mut self) {
        let fd = self.fd();
        try_with_reactor(|r| r.forget(fd));
    }
}
