//! The portable reactor: which task waits on which (fd, direction), the
//! timer heap, and one `park` that asks the platform poller to wait for
//! exactly those — listing only the ones the poller does not keep itself.

use std::io;
use std::os::fd::RawFd;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::sys::{self, Direction, Registration};
use crate::time::clock::Clock;
use crate::time::timer::Timers;

mod waiters;

pub(crate) struct Reactor {
    /// Who waits on what; the keys the poller needs listed in every wait
    /// ([`Registration::PerWait`]) are kept apart (the rest the poller
    /// keeps itself), so a wait costs O(those + ready), not O(waiting).
    waiters: waiters::Waiters,
    /// Directions the poller has reported ready and no operation has since
    /// found blocked (bit 0: read, bit 1: write), and directions known to
    /// block until the poller reports them (bits 2, 3). This is what
    /// `readable()`/`writable()` answer from, as tokio's readiness does: an
    /// edge consumed by a read that did not drain the socket stays ready.
    /// Indexed by fd (fds are small and dense; this is on every wake-up).
    readiness: sys::FdBits,
    pub(crate) timers: Timers,
    /// The clock when the last wait ended: "now" for timers, to within a
    /// turn of the run queue, without a clock read (a host call on wasm).
    pub(crate) last_now: Option<Instant>,
    sys: sys::Poller,
    ready: Vec<(RawFd, Direction)>,
    /// The runtime was shut down: no more waiting (see [`Reactor::close`]).
    closed: bool,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            waiters: waiters::Waiters::default(),
            readiness: sys::FdBits::default(),
            timers: Timers::default(),
            last_now: None,
            sys: sys::Poller::new()?,
            ready: Vec::new(),
            closed: false,
        })
    }

    /// The runtime is shut down: every waiting task is woken, and from now
    /// on a wait fails with the runtime-shutdown error (so a future polled
    /// after the runtime is gone fails instead of waiting forever).
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.waiters.wake_all();
    }

    pub(crate) fn unparker(&self) -> sys::Unparker {
        self.sys.unparker()
    }

    /// Wake `waker` once `fd` is ready in `dir`. The waiter is one-shot:
    /// the task registers again if its retry would block again.
    pub(crate) fn wait_io(&mut self, fd: RawFd, dir: Direction, waker: &Waker) -> io::Result<()> {
        if self.closed {
            return Err(crate::runtime::shutdown::error());
        }
        let per_wait = match self.sys.add_interest(fd, dir)? {
            Registration::AlwaysReady => {
                // It can never block (a regular file).
                self.set_ready(fd, dir);
                waker.wake_by_ref();
                return Ok(());
            }
            Registration::PerWait => true,
            Registration::Persistent => false,
        };
        self.waiters.add(fd, dir, waker, per_wait);
        Ok(())
    }

    /// Whether `fd` was last seen ready in `dir` (and no operation has
    /// found it blocked since).
    pub(crate) fn is_ready(&self, fd: RawFd, dir: Direction) -> bool {
        self.readiness.get(fd) & bit(dir) != 0
    }

    /// Whether the poller reported a hang-up of `fd`'s (read, write)
    /// direction.
    pub(crate) fn closed(&mut self, fd: RawFd) -> (bool, bool) {
        self.sys.closed(fd)
    }

    /// `fd` is a new connection, taken as ready in `dir` until an
    /// operation finds it blocked (see
    /// [`crate::net::socket::new_accepted_io`]).
    pub(crate) fn assume_ready(&mut self, fd: RawFd, dir: Direction) {
        self.set_ready(fd, dir);
    }

    fn set_ready(&mut self, fd: RawFd, dir: Direction) {
        self.readiness.update(fd, blocked_bit(dir), bit(dir));
    }

    /// Whether an operation is known to block on `fd` in `dir` until the
    /// poller reports it again (see [`Reactor::mark_blocked`]): the caller
    /// can wait without trying.
    pub(crate) fn is_blocked(&self, fd: RawFd, dir: Direction) -> bool {
        self.readiness.get(fd) & blocked_bit(dir) != 0
    }

    /// An operation on `fd` in `dir` blocked, or drained it (a stream read
    /// or write that moved less than asked for): it is not ready, and the
    /// next attempt can skip the call that would only say `WouldBlock`
    /// until the poller reports it ready — as tokio skips it. Only when
    /// the poller is sure to report it again (`sys::Poller::reports_again`:
    /// always on wasip1, whose waits are level-triggered; natively once
    /// the fd is registered and no hang-up has been seen).
    pub(crate) fn mark_blocked(&mut self, fd: RawFd, dir: Direction) {
        self.clear_ready(fd, dir);
        if !self.sys.reports_again(fd) {
            return;
        }
        self.readiness.insert(fd, blocked_bit(dir));
    }

    /// An operation on `fd` in `dir` would block: it is not ready until the
    /// poller says so again.
    pub(crate) fn clear_ready(&mut self, fd: RawFd, dir: Direction) {
        self.readiness.remove(fd, bit(dir));
    }

    /// `fd` is being closed: drop its waiters (waking them, so nobody
    /// sleeps on a number that may be reused) and its registration.
    pub(crate) fn forget(&mut self, fd: RawFd) {
        for dir in [Direction::Read, Direction::Write] {
            self.waiters.wake(fd, dir);
        }
        self.readiness.remove(fd, u8::MAX);
        self.sys.forget(fd);
    }

    /// Whether anything (fd or timer) could ever wake a task.
    pub(crate) fn has_sources(&mut self) -> bool {
        !self.waiters.is_empty() || !self.timers.is_empty()
    }

    /// Waits for I/O for at most `max` (`None`: until something happens)
    /// and the nearest timer, then wakes whoever became ready. `awake` runs
    /// when the wait is over, before anyone is woken: the executor uses it
    /// to stop counting itself parked, so the wakes that follow (on its own
    /// thread) do not write to the poller's waker for nothing. Time is
    /// `clock`'s; with `auto_advance` (a paused clock, nothing else that
    /// could happen) a wait that would end at a timer only looks at I/O,
    /// and if nothing is ready the clock jumps to that timer.
    pub(crate) fn park(
        &mut self,
        max: Option<Duration>,
        awake: impl FnOnce(),
        clock: &Clock,
        auto_advance: bool,
    ) -> io::Result<()> {
        if max == Some(Duration::ZERO)
            && self.waiters.is_empty()
            && self.timers.is_empty()
            && !self.sys.has_news()
        {
            // A busy runtime's quick look with nothing to look at: skip even
            // the clock read (a host call on wasm).
            awake();
            return Ok(());
        }
        let now = clock.now();
        self.timers.resolve(now);
        let timer = self
            .timers
            .next_wake()
            .map(|at| at.saturating_duration_since(now));
        let jump = timer.filter(|_| auto_advance && max.is_none());
        let timeout = match (max, timer) {
            _ if jump.is_some() => Some(Duration::ZERO),
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let poll_io =
            !self.waiters.is_empty() || timeout != Some(Duration::ZERO) || self.sys.has_news();
        let mut woke = false;
        if poll_io {
            let Self {
                waiters,
                sys,
                ready,
                ..
            } = self;
            let waited = sys.wait(waiters.per_wait(), timeout, ready);
            awake();
            waited?;
            // Taken out and put back, so its allocation is reused.
            let mut ready = std::mem::take(&mut self.ready);
            woke = !ready.is_empty();
            for (fd, dir) in ready.drain(..) {
                self.set_ready(fd, dir);
                self.waiters.wake(fd, dir);
            }
            self.ready = ready;
        } else {
            awake();
        }
        if let Some(d) = jump.filter(|_| !woke) {
            clock.advance(d);
        }
        let now = clock.now();
        self.last_now = Some(now);
        self.timers.fire(now);
        Ok(())
    }
}

fn bit(dir: Direction) -> u8 {
    match dir {
        Direction::Read => 1,
        Direction::Write => 2,
    }
}

/// The "known to block" bit of `dir` (bits 2 and 3).
fn blocked_bit(dir: Direction) -> u8 {
    bit(dir) << 2
}
