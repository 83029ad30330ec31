//! `poll_oneoff`: wait for clocks and fds in one call — and the one place
//! the host decides readiness. `poll_oneoff`, `wasio_poll_v1.wait` and every
//! blocking call (a read, write, accept or connect on a blocking fd waits
//! as a one-subscription poll, [`WasiCtx::wait_io`]) go through
//! [`WasiCtx::wait_ready`]; `FIONREAD` is asked in one function
//! ([`readable_bytes`]).
//!
//! Clocks become the wait's timeout. Regular files are always ready.
//! Sockets are armed once in the persistent reactor and answered from its
//! readiness table; standard streams, FIFOs and character devices are
//! checked level-triggered with `poll(2)` (stdio may be shared with other
//! processes). A
//! subscription that is wrong (bad fd, missing right, unknown clock) gets an
//! event carrying its own errno; the other subscriptions are still served.

use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use wasi::*;

use super::clock::{now_ns, CLOCKS};
use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::{self, GuestMem};
use crate::wasi::reactor::{Direction, Report};
use crate::wasi::table::{Object, SocketKind};

const SUB_SIZE: u32 = 48;
/// Most subscriptions one call may pass (`INVAL` beyond): a million, far
/// more than a guest has fds to wait on, and at most ~40 MiB of host
/// memory. Without a cap a guest with 4 GiB of memory could make the host
/// allocate ~3 GiB per call.
pub(crate) const MAX_SUBSCRIPTIONS: u32 = 1 << 20;
const EVENT_SIZE: u32 = 32;

#[derive(Debug, Clone, Copy)]
enum Sub {
    Clock(Instant),
    Fd(u32, Direction),
    /// A blocking call's own wait on its fd: as `Fd`, but the call has
    /// checked its rights already (`RIGHTS_POLL_FD_READWRITE` is not
    /// needed to block in a read).
    Call(u32, Direction),
    /// Answered at once with this errno.
    Bad(Errno),
}

#[derive(Debug, Clone, Copy)]
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    flags: u16,
}

impl Default for Event {
    fn default() -> Self {
        Event {
            userdata: 0,
            error: ERRNO_SUCCESS,
            kind: 0,
            nbytes: 0,
            flags: 0,
        }
    }
}

/// One parsed subscription: its userdata, its type tag and what it asks.
type Parsed = (u64, u8, Sub);

/// Reads `n` subscriptions at `subs_ptr` (the caller checked the array).
fn parse_subs(mem: &GuestMem, subs_ptr: u32, n: u32, start: Instant) -> Result<Vec<Parsed>> {
    let mut subs = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let at = mem::elem(subs_ptr, i, SUB_SIZE)?;
        let userdata = mem.u64(at)?;
        let tag = mem.u8(mem::add(at, 8)?)?;
        let sub = match tag {
            0 => clock_sub(mem, mem::add(at, 16)?, start)?,
            1 | 2 => {
                let fd = mem.u32(mem::add(at, 16)?)?;
                let dir = if tag == 1 {
                    Direction::Read
                } else {
                    Direction::Write
                };
                Sub::Fd(fd, dir)
            }
            _ => Sub::Bad(ERRNO_INVAL),
        };
        subs.push((userdata, tag, sub));
    }
    Ok(subs)
}

/// Writes `events` at `events_ptr` and their number at `out`.
fn write_events(mem: &mut GuestMem, events_ptr: u32, events: &[Event], out: u32) -> Result<()> {
    for (i, e) in events.iter().enumerate() {
        let mut b = [0u8; EVENT_SIZE as usize];
        b[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&e.error.raw().to_le_bytes());
        b[10] = e.kind;
        b[16..24].copy_from_slice(&e.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&e.flags.to_le_bytes());
        mem.write(mem::elem(events_ptr, i, EVENT_SIZE)?, &b)?;
    }
    Ok(mem.put_u32(out, events.len() as u32)?)
}

/// Bytes readable now on `fd` (`FIONREAD`; 0 when the system cannot say,
/// as for a listening socket). The only place the host asks.
fn readable_bytes(fd: BorrowedFd<'_>) -> u64 {
    rustix::io::ioctl_fionread(fd).unwrap_or(0)
}

/// Host bytes a wait on `nsubs` subscriptions reporting up to `nevents`
/// watched fds may hold: the parsed list, the events and a flag per
/// subscription.
fn wait_cost(nsubs: u32, nevents: u32) -> usize {
    let per_sub = std::mem::size_of::<Parsed>() + std::mem::size_of::<Event>() + 1;
    nsubs as usize * per_sub + nevents as usize * std::mem::size_of::<Event>()
}

/// Checks that `n` records of `size` bytes at `ptr` are in memory.
fn check_array(mem: &GuestMem, ptr: u32, n: u32, size: u32) -> Result<()> {
    Ok(mem.check(ptr, n.checked_mul(size).ok_or(ERRNO_FAULT)?)?)
}

impl WasiCtx {
    /// `poll_oneoff`: parse → wait ([`WasiCtx::wait_ready`]) → write.
    pub(crate) fn poll_oneoff(
        &mut self,
        mem: &mut GuestMem,
        subs_ptr: u32,
        events_ptr: u32,
        n: u32,
        out: u32,
    ) -> Result<()> {
        if n == 0 {
            return Err(ERRNO_INVAL.into());
        }
        self.wait_into(mem, subs_ptr, n, events_ptr, n, 0, out)
    }

    /// The wait behind `poll_oneoff` and `wasio_poll_v1.wait`
    /// (`extensions/poll.rs`): `nsubs` one-off subscriptions and up to
    /// `reports` reports of watched fds, at most `nevents` events written
    /// at `events_ptr` and their count at `out`. Both arrays and `out` are
    /// checked before anything happens (waiting consumes readiness), and
    /// the host's copy is charged to the guest's account while it lives:
    /// a count beyond any real use is refused.
    pub(crate) fn wait_into(
        &mut self,
        mem: &mut GuestMem,
        subs_ptr: u32,
        nsubs: u32,
        events_ptr: u32,
        nevents: u32,
        reports: usize,
        out: u32,
    ) -> Result<()> {
        check_array(mem, subs_ptr, nsubs, SUB_SIZE)?;
        check_array(mem, events_ptr, nevents, EVENT_SIZE)?;
        mem.check(out, 4)?;
        if nsubs > MAX_SUBSCRIPTIONS || nevents > MAX_SUBSCRIPTIONS {
            return Err(ERRNO_INVAL.into());
        }
        let cost = wait_cost(nsubs, reports as u32);
        self.account.charge(cost)?;
        let events = parse_subs(mem, subs_ptr, nsubs, Instant::now())
            .and_then(|subs| self.wait_ready(&subs, reports));
        self.account.release(cost);
        let mut events = events?;
        events.truncate(nevents as usize);
        write_events(mem, events_ptr, &events, out)
    }

    /// Whether `fd` is ready in `dir` this instant (no wait, no
    /// registration): a non-blocking call's look before a call that could
    /// block on the host.
    pub(crate) fn ready_now(&mut self, fd: u32, dir: Direction) -> Result<bool> {
        Ok(self.fd_ready(fd, dir, false, false)?.is_some())
    }

    /// A blocking call's wait: until `fd` is ready in `dir`, bounded by
    /// the run's deadline (then the run ends, as `--timeout` says). It is a
    /// one-subscription [`WasiCtx::wait_ready`], so a blocking read and a
    /// `poll_oneoff` on the same fd can never disagree.
    pub(crate) fn wait_io(&mut self, fd: u32, dir: Direction) -> Result<()> {
        let tag = match dir {
            Direction::Read => EVENTTYPE_FD_READ.raw(),
            Direction::Write => EVENTTYPE_FD_WRITE.raw(),
        };
        let events = self.wait_ready(&[(0, tag, Sub::Call(fd, dir))], 0)?;
        match events.first() {
            Some(e) if e.error != ERRNO_SUCCESS => Err(e.error.into()),
            _ => Ok(()),
        }
    }

    /// The one wait behind `poll_oneoff`, `wasio_poll_v1.wait` and blocking
    /// calls: scans the one-off subscriptions (and, when `reports` is not
    /// 0, takes up to that many reports of watched fds), and until
    /// something is ready lets the reactor wait for the nearest clock, the
    /// deadline or an OS event. One-off events come first, then reports.
    fn wait_ready(&mut self, subs: &[Parsed], reports: usize) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut taken = Vec::new();
        // Subscriptions already answered: a second look never unanswers one
        // (a reactor turn only adds readiness), so it is not asked again.
        let mut answered = vec![false; subs.len()];
        let mut first = true;
        loop {
            let now = Instant::now();
            let next_clock = self.scan(subs, &mut answered, first, now, &mut events);
            let room = reports.saturating_sub(events.len() + taken.len());
            if room > 0 {
                self.reactor.take_reports(room, &mut taken);
            }
            if !events.is_empty() || !taken.is_empty() {
                if first && (subs.len() > 1 || reports > 0) {
                    // Something was ready at once, but the kernel may hold
                    // events the readiness table has not seen yet: collect
                    // them without waiting and add what became ready, so a
                    // socket that stays ready (say, writable) cannot starve
                    // the others.
                    first = false;
                    self.reactor.turn(Some(Duration::ZERO))?;
                    continue;
                }
                break;
            }
            first = false;
            let limit = match (next_clock, self.deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = self.deadline {
                if now >= at {
                    return Err(self.timed_out());
                }
            }
            let timeout = limit.map(|at| at.saturating_duration_since(now));
            // Sleep at least until the clock's instant: epoll rounds down to
            // milliseconds, so round the wait up.
            let timeout = timeout.map(|t| {
                let ms = Duration::from_millis(t.as_millis() as u64);
                if ms < t {
                    ms + Duration::from_millis(1)
                } else {
                    ms
                }
            });
            // The guest has nothing to do until something happens: it is
            // past its start-up (what restarts look at).
            self.started = true;
            self.reactor.turn(timeout)?;
        }
        for r in taken {
            events.push(self.report_event(&r));
        }
        Ok(events)
    }

    /// Answers every unanswered subscription that is ready now; returns
    /// the nearest clock instant still to come.
    fn scan(
        &mut self,
        subs: &[Parsed],
        answered: &mut [bool],
        first: bool,
        now: Instant,
        events: &mut Vec<Event>,
    ) -> Option<Instant> {
        let mut next_clock: Option<Instant> = None;
        for (i, &(userdata, tag, sub)) in subs.iter().enumerate() {
            if answered[i] {
                continue;
            }
            let before = events.len();
            let ev = |error: Errno| Event {
                userdata,
                error,
                kind: tag,
                ..Default::default()
            };
            match sub {
                Sub::Bad(e) => events.push(ev(e)),
                Sub::Clock(at) if at <= now => events.push(ev(ERRNO_SUCCESS)),
                Sub::Clock(at) => next_clock = Some(next_clock.map_or(at, |c| c.min(at))),
                Sub::Fd(fd, dir) | Sub::Call(fd, dir) => {
                    match self.fd_ready(fd, dir, first, matches!(sub, Sub::Fd(..))) {
                        Ok(Some((nbytes, hup))) => events.push(Event {
                            nbytes,
                            flags: if hup {
                                EVENTRWFLAGS_FD_READWRITE_HANGUP
                            } else {
                                0
                            },
                            ..ev(ERRNO_SUCCESS)
                        }),
                        Ok(None) => {}
                        Err(e) => events.push(ev(e)),
                    }
                }
            }
            answered[i] = events.len() > before;
        }
        next_clock
    }

    /// The event record of a watched fd's report.
    fn report_event(&self, r: &Report) -> Event {
        let (kind, hup) = match r.dir {
            Direction::Read => (EVENTTYPE_FD_READ.raw(), r.readiness.read_closed),
            Direction::Write => (EVENTTYPE_FD_WRITE.raw(), r.readiness.write_closed),
        };
        let nbytes = if r.watch.nbytes && r.dir == Direction::Read {
            // SAFETY: a registration's fd stays open until the registration
            // is released at `fd_close`, and reports are turned into events
            // within the host call that took them, before any close runs.
            readable_bytes(unsafe { BorrowedFd::borrow_raw(r.watch.host_fd) })
        } else {
            0
        };
        Event {
            userdata: r.watch.userdata,
            error: ERRNO_SUCCESS,
            kind,
            nbytes,
            flags: if hup {
                EVENTRWFLAGS_FD_READWRITE_HANGUP
            } else {
                0
            },
        }
    }

    /// Whether `fd` is ready in `dir` now: `Some((nbytes, hangup))`. On
    /// the `first` look of a wait, an fd the reactor does not watch yet is
    /// registered, so the wait can sleep until it changes. `poll_right`:
    /// the fd needs `RIGHTS_POLL_FD_READWRITE` (a subscription does; a
    /// blocking call's own wait does not).
    fn fd_ready(
        &mut self,
        fd: u32,
        dir: Direction,
        first: bool,
        poll_right: bool,
    ) -> std::result::Result<Option<(u64, bool)>, Errno> {
        let d = self.table.get(fd)?;
        if poll_right {
            d.check(RIGHTS_POLL_FD_READWRITE)?;
        }
        match &d.object {
            Object::File(f) => Ok(Some((file_ready(f, dir), false))),
            Object::Dir(_) => Err(ERRNO_BADF),
            Object::Stdio(_) | Object::Pipe(_) => self.stream_ready(fd, dir, first),
            Object::Socket(_) => self.socket_ready(fd, dir),
        }
    }

    /// [`WasiCtx::fd_ready`] for stdio and pipes: a zero-timeout poll(2);
    /// on the `first` look, one that would wait is handed to the reactor
    /// (an fd epoll refuses, such as /dev/null, is always ready).
    fn stream_ready(
        &mut self,
        fd: u32,
        dir: Direction,
        first: bool,
    ) -> std::result::Result<Option<(u64, bool)>, Errno> {
        let d = self.table.get(fd)?;
        let zero = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match super::blocking::stream_poll(d.object.fd(), dir, Some(&zero)) {
            Ok(Some(flags)) => {
                let hup = flags.contains(rustix::event::PollFlags::HUP);
                let nbytes = match dir {
                    Direction::Read => readable_bytes(d.object.fd()),
                    Direction::Write => 0,
                };
                Ok(Some((nbytes, hup)))
            }
            Ok(None) => {
                if first && d.token.is_none() && self.arm(fd).is_err() {
                    return Ok(Some((0, false)));
                }
                Ok(None)
            }
            Err(e) => Err(crate::wasi::errno::from_os(e)),
        }
    }

    /// [`WasiCtx::fd_ready`] for sockets: the reactor's readiness (the fd
    /// registered on first use). A stream's read readiness with nothing to
    /// read and no hang-up is a stale edge, cleared: preview1 readiness is
    /// level-triggered.
    fn socket_ready(
        &mut self,
        fd: u32,
        dir: Direction,
    ) -> std::result::Result<Option<(u64, bool)>, Errno> {
        let d = self.table.get(fd)?;
        let token = match d.token {
            Some(t) => t,
            None => self.arm(fd).map_err(|_| ERRNO_BADF)?,
        };
        let r = self.reactor.readiness(token);
        if !r.is_ready(dir) {
            return Ok(None);
        }
        let d = self.table.get(fd)?;
        let nbytes = match (dir, &d.object) {
            (Direction::Read, Object::Socket(s))
                if !s.listening && s.kind == SocketKind::Stream =>
            {
                let n = readable_bytes(d.object.fd());
                if n == 0 && !r.read_closed && !r.error {
                    self.reactor.clear(token, dir);
                    return Ok(None);
                }
                n
            }
            _ => 0,
        };
        let hup = match dir {
            Direction::Read => r.read_closed,
            Direction::Write => r.write_closed,
        };
        Ok(Some((nbytes, hup)))
    }
}

/// The bytes a regular file has left to read past its position (for
/// writing: 0). A file is always ready.
fn file_ready(f: &impl rustix::fd::AsFd, dir: Direction) -> u64 {
    match dir {
        Direction::Read => {
            let size = rustix::fs::fstat(f).map(|s| s.st_size as u64).unwrap_or(0);
            let pos = rustix::fs::seek(f, rustix::fs::SeekFrom::Current(0)).unwrap_or(0);
            size.saturating_sub(pos)
        }
        Direction::Write => 0,
    }
}

/// Reads a clock subscription at `at` (the union payload).
fn clock_sub(mem: &GuestMem, at: u32, start: Instant) -> Result<Sub> {
    let id = mem.u32(at)?;
    let timeout = mem.u64(mem::add(at, 8)?)?;
    let flags = mem.u16(mem::add(at, 24)?)?;
    if flags & !SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        return Ok(Sub::Bad(ERRNO_INVAL));
    }
    let Some(clock) = CLOCKS.get(id as usize).copied() else {
        return Ok(Sub::Bad(ERRNO_INVAL));
    };
    let wait = if flags & SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        timeout.saturating_sub(now_ns(clock))
    } else {
        timeout
    };
    // Far-future timeouts saturate instead of overflowing `Instant`.
    let wait = Duration::from_nanos(wait).min(Duration::from_secs(100 * 365 * 24 * 3600));
    Ok(Sub::Clock(start + wait))
}
