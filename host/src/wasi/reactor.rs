//! The persistent mio `Poll` behind `poll_oneoff` and blocking calls.
//!
//! Every pollable host object (socket, pipe, terminal) is registered once,
//! for both directions, the first time a guest waits on it, and stays
//! registered until it is closed: no `epoll_ctl` per call. mio is
//! edge-triggered, so the reactor remembers readiness per registration and
//! forgets a direction only when an operation in that direction reports
//! `WouldBlock` (as tokio does). A stale "ready" costs the guest one
//! `AGAIN`; it can never hide a real event.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

/// What the reactor last learned about one registration.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// Data (or a connection, or EOF) can be read.
    pub(crate) read: bool,
    /// Data can be written.
    pub(crate) write: bool,
    /// The peer closed its writing half, or the object hung up.
    pub(crate) read_closed: bool,
    /// Writing can never succeed again.
    pub(crate) write_closed: bool,
    /// The object reported an error condition.
    pub(crate) error: bool,
}

/// Which direction an operation or a wait is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, receiving, accepting.
    Read,
    /// Writing, sending, connecting.
    Write,
}

impl Readiness {
    /// Whether a wait in direction `d` would end now.
    pub(crate) fn is_ready(&self, d: Direction) -> bool {
        match d {
            Direction::Read => self.read || self.read_closed || self.error,
            Direction::Write => self.write || self.write_closed || self.error,
        }
    }
}

/// One mio `Poll` for the life of a guest instance.
pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    /// Readiness by token; a token is an index, reused after `forget`.
    ready: Vec<Option<Readiness>>,
    free: Vec<usize>,
    /// How many times the reactor waited in the OS (for tests and benches).
    pub(crate) waits: u64,
}

impl Reactor {
    /// Creates the poller.
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            ready: Vec::new(),
            free: Vec::new(),
            waits: 0,
        })
    }

    /// Registers `fd` for both directions and returns its token.
    pub(crate) fn register(&mut self, fd: RawFd) -> io::Result<Token> {
        let index = self.free.pop().unwrap_or(self.ready.len());
        if let Err(e) = self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(index),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            if index < self.ready.len() {
                self.free.push(index);
            }
            return Err(e);
        }
        if index == self.ready.len() {
            self.ready.push(Some(Readiness::default()));
        } else {
            self.ready[index] = Some(Readiness::default());
        }
        Ok(Token(index))
    }

    fn slot(&mut self, token: Token) -> Option<&mut Readiness> {
        self.ready.get_mut(token.0).and_then(Option::as_mut)
    }

    fn release(&mut self, token: Token) {
        if let Some(s) = self.ready.get_mut(token.0) {
            if s.take().is_some() {
                self.free.push(token.0);
            }
        }
    }

    /// Forgets a registration. `fd` must still be open.
    pub(crate) fn deregister(&mut self, token: Token, fd: RawFd) {
        self.release(token);
        // Closing the fd removes it from epoll anyway; an error here only
        // means it was already gone.
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
    }

    /// Forgets a registration whose fd is about to be closed.
    pub(crate) fn forget(&mut self, token: Token) {
        // The fd is closed right after: epoll forgets it, and no event for
        // this token can arrive once it is reused.
        self.release(token);
    }

    /// What is known about `token` now.
    pub(crate) fn readiness(&self, token: Token) -> Readiness {
        self.ready
            .get(token.0)
            .copied()
            .flatten()
            .unwrap_or_default()
    }

    /// An operation in direction `d` returned `WouldBlock`.
    pub(crate) fn clear(&mut self, token: Token, d: Direction) {
        if let Some(r) = self.slot(token) {
            match d {
                Direction::Read => r.read = false,
                Direction::Write => r.write = false,
            }
        }
    }

    /// Waits for OS events for at most `timeout` (`None`: forever) and
    /// folds them into the readiness table. Returns how many arrived.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.waits += 1;
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(e) => return Err(e),
        }
        let mut n = 0;
        for ev in self.events.iter() {
            n += 1;
            if let Some(r) = self.ready.get_mut(ev.token().0).and_then(Option::as_mut) {
                r.read |= ev.is_readable();
                r.write |= ev.is_writable();
                r.read_closed |= ev.is_read_closed();
                r.write_closed |= ev.is_write_closed();
                r.error |= ev.is_error();
            }
        }
        Ok(n)
    }

    /// Blocks until `token` is ready in direction `d` or `deadline` passes.
    /// Returns `false` on deadline.
    pub(crate) fn wait_for(
        &mut self,
        token: Token,
        d: Direction,
        deadline: Option<Instant>,
    ) -> io::Result<bool> {
        loop {
            if self.readiness(token).is_ready(d) {
                return Ok(true);
            }
            let timeout = match deadline {
                Some(at) => {
                    let now = Instant::now();
                    if now >= at {
                        return Ok(false);
                    }
                    Some(at - now)
                }
                None => None,
            };
            self.turn(timeout)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn readiness_is_remembered_until_cleared() {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut r = Reactor::new().unwrap();
        let t = r.register(a.as_raw_fd()).unwrap();
        // Writable at once, not readable.
        assert!(r.wait_for(t, Direction::Write, None).unwrap());
        let soon = Some(Instant::now() + Duration::from_millis(20));
        assert!(!r.wait_for(t, Direction::Read, soon).unwrap());
        b.write_all(b"x").unwrap();
        assert!(r.wait_for(t, Direction::Read, None).unwrap());
        // Remembered across turns (edge-triggered: no second event comes).
        r.turn(Some(Duration::ZERO)).unwrap();
        assert!(r.readiness(t).read);
        r.clear(t, Direction::Read);
        assert!(!r.readiness(t).read);
        drop(b);
        assert!(r.wait_for(t, Direction::Read, None).unwrap());
        assert!(r.readiness(t).read_closed);
        r.deregister(t, a.as_raw_fd());
        assert_eq!(r.readiness(t), Readiness::default());
    }
}
