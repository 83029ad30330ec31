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
use std::time::Duration;

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

/// A guest's persistent interest in one registration (`wasio_poll_v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Watch {
    /// Returned with every report.
    pub(crate) userdata: u64,
    /// Directions watched (bit 0 read, bit 1 write).
    pub(crate) dirs: u8,
    /// Whether read reports carry `nbytes`.
    pub(crate) nbytes: bool,
    /// The host fd, open as long as the registration (for `nbytes`).
    pub(crate) host_fd: RawFd,
}

/// One registration: what is known of it and who watches it.
#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    readiness: Readiness,
    watch: Option<Watch>,
    /// Directions that became ready since they were last reported to the
    /// watcher (bit 0 read, bit 1 write).
    pending: u8,
}

/// A report for a watched registration, taken by [`Reactor::take_reports`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    /// The registration.
    pub(crate) token: Token,
    /// The watch it was taken for.
    pub(crate) watch: Watch,
    /// The direction that became ready.
    pub(crate) dir: Direction,
    /// What is known of the registration now.
    pub(crate) readiness: Readiness,
}

fn dir_bit(d: Direction) -> u8 {
    match d {
        Direction::Read => 1,
        Direction::Write => 2,
    }
}

/// One mio `Poll` for the life of a guest instance.
pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    /// Registrations by token; a token is an index, reused after `forget`.
    ready: Vec<Option<Slot>>,
    free: Vec<usize>,
    /// Watched registrations with pending directions, in the order they
    /// became ready: a wait takes reports from here in O(ready), never
    /// scanning the watches. May hold a token twice or a stale one; the
    /// slot's `pending` bits decide.
    queue: std::collections::VecDeque<usize>,
    /// How many registrations are watched.
    watches: usize,
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
            queue: std::collections::VecDeque::new(),
            watches: 0,
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
            self.ready.push(Some(Slot::default()));
        } else {
            self.ready[index] = Some(Slot::default());
        }
        Ok(Token(index))
    }

    fn slot(&mut self, token: Token) -> Option<&mut Slot> {
        self.ready.get_mut(token.0).and_then(Option::as_mut)
    }

    /// Starts (or changes) a guest's watch of `token`. Directions known
    /// to be ready now are reported at the next take, so a watch begun
    /// after the edge still hears of it.
    pub(crate) fn watch(&mut self, token: Token, watch: Watch) {
        let Some(slot) = self.slot(token) else { return };
        let new = slot.watch.replace(watch).is_none();
        let mut now = 0;
        for d in [Direction::Read, Direction::Write] {
            if slot.readiness.is_ready(d) {
                now |= dir_bit(d);
            }
        }
        let was = slot.pending;
        slot.pending = (slot.pending | now) & watch.dirs;
        if was == 0 && slot.pending != 0 {
            self.queue.push_back(token.0);
        }
        if new {
            self.watches += 1;
        }
    }

    /// Ends a watch; its untaken reports are dropped. Whether there was
    /// one.
    pub(crate) fn unwatch(&mut self, token: Token) -> bool {
        let was = match self.slot(token) {
            Some(slot) => {
                slot.pending = 0;
                slot.watch.take().is_some()
            }
            None => false,
        };
        if was {
            self.watches -= 1;
        }
        was
    }

    /// Whether any registration is watched (a wait with nothing else to
    /// wait for can still end).
    pub(crate) fn has_watches(&self) -> bool {
        self.watches > 0
    }

    /// Takes up to `max` reports, oldest first; the rest stay queued.
    pub(crate) fn take_reports(&mut self, max: usize, out: &mut Vec<Report>) {
        let mut taken = 0;
        while taken < max {
            let Some(&index) = self.queue.front() else {
                break;
            };
            let Some(slot) = self.ready.get_mut(index).and_then(Option::as_mut) else {
                self.queue.pop_front();
                continue;
            };
            let Some(watch) = slot.watch else {
                slot.pending = 0;
                self.queue.pop_front();
                continue;
            };
            for d in [Direction::Read, Direction::Write] {
                if taken < max && slot.pending & dir_bit(d) != 0 {
                    slot.pending &= !dir_bit(d);
                    out.push(Report {
                        token: Token(index),
                        watch,
                        dir: d,
                        readiness: slot.readiness,
                    });
                    taken += 1;
                }
            }
            if slot.pending == 0 {
                self.queue.pop_front();
            }
        }
    }

    fn release(&mut self, token: Token) {
        if let Some(s) = self.ready.get_mut(token.0) {
            if let Some(slot) = s.take() {
                self.free.push(token.0);
                if slot.watch.is_some() {
                    self.watches -= 1;
                }
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
            .map(|s| s.readiness)
            .unwrap_or_default()
    }

    /// An operation in direction `d` returned `WouldBlock`.
    pub(crate) fn clear(&mut self, token: Token, d: Direction) {
        if let Some(Slot { readiness: r, .. }) = self.slot(token) {
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
            let index = ev.token().0;
            if let Some(slot) = self.ready.get_mut(index).and_then(Option::as_mut) {
                let r = &mut slot.readiness;
                r.read |= ev.is_readable();
                r.write |= ev.is_writable();
                r.read_closed |= ev.is_read_closed();
                r.write_closed |= ev.is_write_closed();
                r.error |= ev.is_error();
                if let Some(w) = slot.watch {
                    let mut bits = 0;
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        bits |= dir_bit(Direction::Read);
                    }
                    if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
                        bits |= dir_bit(Direction::Write);
                    }
                    let was = slot.pending;
                    slot.pending |= bits & w.dirs;
                    if was == 0 && slot.pending != 0 {
                        self.queue.push_back(index);
                    }
                }
            }
        }
        Ok(n)
    }
}

impl std::os::fd::AsRawFd for Reactor {
    /// The `epoll` fd (readable when events are waiting).
    fn as_raw_fd(&self) -> RawFd {
        self.poll.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    /// Turns the reactor until `t` is ready in `d` or `deadline` passes
    /// (what a blocking call's wait does, without the guest's table).
    fn wait_for(r: &mut Reactor, t: Token, d: Direction, deadline: Option<Instant>) -> bool {
        loop {
            if r.readiness(t).is_ready(d) {
                return true;
            }
            let timeout = match deadline {
                Some(at) if Instant::now() >= at => return false,
                Some(at) => Some(at - Instant::now()),
                None => None,
            };
            r.turn(timeout).unwrap();
        }
    }

    #[test]
    fn readiness_is_remembered_until_cleared() {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut r = Reactor::new().unwrap();
        let t = r.register(a.as_raw_fd()).unwrap();
        // Writable at once, not readable.
        assert!(wait_for(&mut r, t, Direction::Write, None));
        let soon = Some(Instant::now() + Duration::from_millis(20));
        assert!(!wait_for(&mut r, t, Direction::Read, soon));
        b.write_all(b"x").unwrap();
        assert!(wait_for(&mut r, t, Direction::Read, None));
        // Remembered across turns (edge-triggered: no second event comes).
        r.turn(Some(Duration::ZERO)).unwrap();
        assert!(r.readiness(t).read);
        r.clear(t, Direction::Read);
        assert!(!r.readiness(t).read);
        drop(b);
        assert!(wait_for(&mut r, t, Direction::Read, None));
        assert!(r.readiness(t).read_closed);
        r.deregister(t, a.as_raw_fd());
        assert_eq!(r.readiness(t), Readiness::default());
    }
}
