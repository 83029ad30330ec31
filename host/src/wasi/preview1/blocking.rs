//! The one retry loop behind every read, write, accept and send.
//!
//! Host sockets are always non-blocking (mio needs that). A guest fd
//! without `NONBLOCK` must still block, so an operation that would block
//! waits and tries again; with `NONBLOCK` the guest gets `AGAIN`. The wait
//! is a one-subscription `poll_oneoff` ([`WasiCtx::wait_io`]), bounded by
//! `--timeout`: readiness has one definition on the host. Host standard
//! streams stay in whatever mode they were handed to us (changing them
//! would change the parent's terminal), so for them the look or wait
//! happens before the call. FIFOs and character devices the guest opens
//! are ours alone and non-blocking on the host, like sockets.

use std::io;
use std::os::fd::{AsRawFd as _, BorrowedFd};

use rustix::event::{PollFd, PollFlags};

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::reactor::Direction;
use crate::wasi::table::{Descriptor, Object};

impl WasiCtx {
    /// Runs `op` on the object behind `fd`, blocking as the guest's flags
    /// ask. Every wait here is [`WasiCtx::wait_io`]: readiness is decided
    /// where `poll_oneoff` decides it.
    pub(crate) fn blocking<T>(
        &mut self,
        fd: u32,
        dir: Direction,
        mut op: impl FnMut(&Object) -> io::Result<T>,
    ) -> Result<T> {
        loop {
            let mut d = self.table.get(fd)?;
            if matches!(d.object, Object::Stdio(_)) && !d.object.never_blocks() {
                // The host's stdio may be in blocking mode (it is shared,
                // never switched), so the call itself could block: look (or
                // wait, bounded by the deadline) before it. Without a
                // deadline a blocking call goes ahead and lets it block.
                if d.nonblocking() {
                    if !self.ready_now(fd, dir)? {
                        return Err(wasi::ERRNO_AGAIN.into());
                    }
                } else if self.deadline.is_some() {
                    self.wait_io(fd, dir)?;
                }
                // Looked up again only here: the hot path (a socket) does
                // one table lookup per call.
                d = self.table.get(fd)?;
            }
            match op(&d.object) {
                Ok(v) => return Ok(v),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Sockets, our own pipes and private stdio handles are
                // non-blocking on the host: try first, wait only when the
                // call would block.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && d.object.never_blocks() => {
                    let nonblocking = d.nonblocking();
                    if d.object.is_socket() {
                        // The remembered edge is spent.
                        let token = self.arm(fd)?;
                        self.reactor.clear(token, dir);
                    }
                    if nonblocking {
                        return Err(wasi::ERRNO_AGAIN.into());
                    }
                    self.wait_io(fd, dir)?;
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

    /// Lets go of everything a closed descriptor held on the guest's
    /// behalf: its reactor registration, its readdir snapshot's charge,
    /// and for a signal fd the signal registration and the host fd that
    /// registration holds.
    pub(crate) fn release(&mut self, d: Descriptor) {
        self.disarm(&d);
        if let Some(listing) = d.dir_info.as_ref().and_then(|i| i.entries.as_ref()) {
            self.account.release(listing.bytes());
        }
        if let (Some(kept), Object::Socket(s)) = (&self.kept, &d.object) {
            if s.listening {
                if let Some(a) = crate::wasi::extensions::addr::local_ip(&s.fd) {
                    kept.forget(self.worker, a, &s.fd);
                }
            }
        }
        if !self.signal_ids.is_empty() && d.object.is_socket() {
            let raw = d.raw_fd();
            if let Some(i) = self.signal_ids.iter().position(|(fd, _)| *fd == raw) {
                let (_, id) = self.signal_ids.swap_remove(i);
                signal_hook::low_level::unregister(id);
                self.table.release_extra(1);
            }
        }
    }

    /// Drops the reactor's interest in a descriptor that is being closed.
    fn disarm(&mut self, d: &Descriptor) {
        if let Some(t) = d.token {
            match d.object {
                // The host's own stdio outlives the guest fd.
                Object::Stdio(ref s) => self.reactor.deregister(t, s.fd().as_raw_fd()),
                _ => self.reactor.forget(t),
            }
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
