//! The one retry loop behind every read, write, accept and send.
//!
//! Host sockets are always non-blocking (mio needs that). A guest fd
//! without `NONBLOCK` must still block, so an operation that would block
//! waits on the reactor and tries again; with `NONBLOCK` the guest gets
//! `AGAIN`. Host standard streams stay in whatever mode they were handed to
//! us (changing them would change the parent's terminal), so for them the
//! wait happens before the call, with `poll(2)`. FIFOs and character
//! devices the guest opens are ours alone: non-blocking on the host, and
//! waited on with `poll(2)` too, so `--timeout` bounds every wait.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno as Os;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::reactor::Direction;
use crate::wasi::table::{Descriptor, Object};

impl WasiCtx {
    /// Runs `op` on the object behind `fd`, blocking as the guest's flags ask.
    pub(crate) fn blocking<T>(
        &mut self,
        fd: u32,
        dir: Direction,
        mut op: impl FnMut(&Object) -> io::Result<T>,
    ) -> Result<T> {
        loop {
            let deadline = self.deadline;
            let d = self.table.get_mut(fd)?;
            if let Object::Stdio(_) = d.object {
                // The host's stdio may be in blocking mode (it is shared,
                // never switched): wait before the call, and without a
                // deadline let the call itself block.
                if !stream_wait(d.object.fd(), dir, d.nonblocking(), deadline, true)? {
                    return Err(if d.nonblocking() {
                        wasi::ERRNO_AGAIN.into()
                    } else {
                        self.timed_out()
                    });
                }
            }
            match op(&d.object) {
                Ok(v) => return Ok(v),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && d.object.is_socket() => {
                    let nonblocking = d.nonblocking();
                    let token = self.arm(fd)?;
                    self.reactor.clear(token, dir);
                    if nonblocking {
                        return Err(wasi::ERRNO_AGAIN.into());
                    }
                    if !self.reactor.wait_for(token, dir, deadline)? {
                        return Err(self.timed_out());
                    }
                }
                // Our own pipes are non-blocking on the host: try first,
                // and wait (bounded by the deadline, for ever without one)
                // only when the call would block.
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        && matches!(d.object, Object::Pipe(_)) =>
                {
                    if d.nonblocking() {
                        return Err(wasi::ERRNO_AGAIN.into());
                    }
                    if !stream_wait(d.object.fd(), dir, false, deadline, false)? {
                        return Err(self.timed_out());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Registers `fd`'s object with the reactor (once) and returns its token.
    pub(crate) fn arm(&mut self, fd: u32) -> Result<mio::Token> {
        let d: &mut Descriptor = self.table.get_mut(fd)?;
        if let Some(t) = d.token {
            return Ok(t);
        }
        let t = self.reactor.register(d.raw_fd())?;
        d.token = Some(t);
        Ok(t)
    }

    /// Drops the reactor's interest in a descriptor that is being closed.
    pub(crate) fn disarm(&mut self, d: &Descriptor) {
        if let Some(t) = d.token {
            match d.object {
                // The host's own stdio outlives the guest fd.
                Object::Stdio(raw) => self.reactor.deregister(t, raw),
                _ => self.reactor.forget(t),
            }
        }
    }
}

/// Level-triggered readiness of a polled stream (host stdio or an
/// [`Object::Pipe`]), waiting until `deadline` (not at all when
/// `nonblocking`; for ever when there is no deadline). When `host_blocks`
/// and there is no deadline, a blocking caller goes ahead at once and lets
/// the system call itself block.
pub(crate) fn stream_wait(
    fd: BorrowedFd<'_>,
    dir: Direction,
    nonblocking: bool,
    deadline: Option<Instant>,
    host_blocks: bool,
) -> Result<bool> {
    if !nonblocking && deadline.is_none() && host_blocks {
        return Ok(true);
    }
    loop {
        let timeout = if nonblocking {
            Some(Duration::ZERO)
        } else {
            deadline.map(|at| at.saturating_duration_since(Instant::now()))
        };
        let timeout = timeout.map(|t| rustix::time::Timespec {
            tv_sec: t.as_secs() as i64,
            tv_nsec: t.subsec_nanos() as _,
        });
        match stream_poll(fd, dir, timeout.as_ref()) {
            Ok(Some(_)) => return Ok(true),
            Ok(None) => {
                if nonblocking || deadline.is_some_and(|at| Instant::now() >= at) {
                    return Ok(false);
                }
            }
            Err(Os::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// One `poll(2)` on a polled stream (no timeout: for ever). `Some(flags)`
/// when ready. Regular files and `/dev/null` are always ready.
pub(crate) fn stream_poll(
    fd: BorrowedFd<'_>,
    dir: Direction,
    timeout: Option<&rustix::time::Timespec>,
) -> rustix::io::Result<Option<PollFlags>> {
    let want = match dir {
        Direction::Read => PollFlags::IN,
        Direction::Write => PollFlags::OUT,
    };
    let mut fds = [PollFd::from_borrowed_fd(fd, want)];
    rustix::event::poll(&mut fds, timeout)?;
    let got = fds[0].revents();
    Ok((!got.is_empty()).then_some(got))
}
