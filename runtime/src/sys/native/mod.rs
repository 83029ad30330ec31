//! Native targets: a mio `Poll`, edge-triggered. An fd is registered for
//! both directions the first time a task waits on it and stays registered
//! until its I/O object is dropped; an edge wakes the tasks waiting then.
//! Tasks always retry their operation before waiting, so an edge that
//! arrives while nobody waits is never needed later.

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::{Direction, FdBits, Registration};

pub(crate) mod net;

const WAKE: Token = Token(usize::MAX);

/// Per-fd state bits: registered with the `Poll`.
const REGISTERED: u8 = 1;
/// epoll refuses it (a regular file): it never blocks.
const ALWAYS_READY: u8 = 2;
/// A registered fd's hang-up or error was reported: its closed state
/// stays, and epoll will not report it again.
const CLOSED: u8 = 4;
/// The peer's hang-up of the read direction was reported (sticky).
const READ_CLOSED: u8 = 8;
/// The write direction was reported closed (sticky).
const WRITE_CLOSED: u8 = 16;

/// Waits with mio.
pub(crate) struct Poller {
    poll: Poll,
    events: Events,
    /// Per-fd state (`REGISTERED`, `ALWAYS_READY`, `CLOSED`), indexed by
    /// fd: it is asked on every wait and every short read.
    fds: FdBits,
    /// How many fds are registered with the `Poll`.
    registered: usize,
    waker: Arc<mio::Waker>,
}

/// Whether another thread could wake a parked runtime (through an
/// [`Unparker`]).
pub(crate) const THREADS: bool = true;

/// Interrupts a `wait` from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Unparker(Arc<mio::Waker>);

impl Unparker {
    pub(crate) fn unpark(&self) {
        // A failed wake means the poller is gone: nobody is left to wake.
        let _ = self.0.wake();
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE)?);
        Ok(Self {
            poll,
            events: Events::with_capacity(1024),
            fds: FdBits::default(),
            registered: 0,
            waker,
        })
    }

    /// Registers `fd` (once), for both directions, until `forget`.
    pub(crate) fn add_interest(&mut self, fd: RawFd, _dir: Direction) -> io::Result<Registration> {
        let st = self.fds.get(fd);
        if st & REGISTERED != 0 {
            return Ok(Registration::Persistent);
        }
        if st & ALWAYS_READY != 0 {
            return Ok(Registration::AlwaysReady);
        }
        match self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(fd as usize),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            Ok(()) => {
                self.fds.set(fd, REGISTERED);
                self.registered += 1;
                Ok(Registration::Persistent)
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {
                self.fds.set(fd, ALWAYS_READY);
                Ok(Registration::AlwaysReady)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn forget(&mut self, fd: RawFd) {
        if self.fds.get(fd) & REGISTERED != 0 {
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            self.registered -= 1;
        }
        self.fds.remove(fd, u8::MAX);
    }

    /// Whether a direction of `fd` found blocked now is sure to be
    /// reported by a later `wait` once it is ready: edge-triggered epoll
    /// reports every new arrival on a registered fd, but a hang-up only
    /// once.
    pub(crate) fn reports_again(&self, fd: RawFd) -> bool {
        self.fds.get(fd) & (REGISTERED | CLOSED) == REGISTERED
    }

    /// Whether a look at I/O could learn something even with no task
    /// waiting: registered fds may have hang-ups to report (`closed`).
    pub(crate) fn has_news(&self) -> bool {
        self.registered > 0
    }

    /// Whether a hang-up of `fd`'s (read, write) direction was reported.
    /// An fd never waited on (one assumed ready) is registered here, so
    /// that its hang-up is reported at all.
    pub(crate) fn closed(&mut self, fd: RawFd) -> (bool, bool) {
        // A failure shows again at the next wait, which returns it.
        let _ = self.add_interest(fd, Direction::Read);
        let bits = self.fds.get(fd);
        (bits & READ_CLOSED != 0, bits & WRITE_CLOSED != 0)
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker(self.waker.clone())
    }

    /// One `epoll_wait`; `per_wait` is always empty (registrations
    /// persist).
    pub(crate) fn wait(
        &mut self,
        _per_wait: impl Iterator<Item = (RawFd, Direction)>,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Direction)>,
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        for ev in self.events.iter() {
            if ev.token() == WAKE {
                continue;
            }
            let fd = ev.token().0 as RawFd;
            if ev.is_read_closed() || ev.is_write_closed() || ev.is_error() {
                let mut bits = CLOSED;
                if ev.is_read_closed() {
                    bits |= READ_CLOSED;
                }
                if ev.is_write_closed() {
                    bits |= WRITE_CLOSED;
                }
                self.fds.insert(fd, bits);
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                ready.push((fd, Direction::Read));
            }
            if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
                ready.push((fd, Direction::Write));
            }
        }
        Ok(())
    }
}

/// Whether fd 0 has input (or EOF) now.
/// Natively every path is the system's: no preopen is ever missing.
pub(crate) fn no_preopen_for(_path: &std::path::Path) -> Option<std::path::PathBuf> {
    None
}

/// Once per process, when a runtime is built: nothing to set natively
/// (see the wasi seam's `init`).
pub(crate) fn init() {}

/// A symlink at `link` whose target is `original`.
pub(crate) fn symlink(original: &std::path::Path, link: &std::path::Path) -> io::Result<()> {
    std::os::unix::fs::symlink(original, link)
}

pub(crate) fn stdin_ready() -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags};
    let stdin = rustix::stdio::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let zero = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    poll(&mut fds, Some(&zero))?;
    Ok(!fds[0].revents().is_empty())
}

/// systemd socket activation: `LISTEN_FDS` sockets from fd 3, when
/// `LISTEN_PID` names this process.
pub(crate) fn preopened_listener_fds() -> io::Result<Vec<RawFd>> {
    let pid_ok = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<RawFd>().ok())
        .unwrap_or(0);
    if !pid_ok || count <= 0 {
        return Ok(Vec::new());
    }
    Ok((3..3 + count).collect())
}

/// A stream that receives one byte per delivery of `signal` (SIGINT or
/// SIGTERM) from now on. The first request for a signal replaces its
/// default action for the process; a second delivery then performs it
/// (the process stops), as the wasio host does for a guest.
pub(crate) fn signal_fd(signal: super::Signal) -> io::Result<std::os::fd::OwnedFd> {
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};
    let signo = match signal {
        super::Signal::Interrupt => signal_hook::consts::SIGINT,
        super::Signal::Terminate => signal_hook::consts::SIGTERM,
    };
    static ARMED: Mutex<[bool; 2]> = Mutex::new([false; 2]);
    {
        let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut armed[usize::from(signo == signal_hook::consts::SIGTERM)];
        if !*slot {
            let seen = Arc::new(AtomicBool::new(false));
            signal_hook::flag::register_conditional_default(signo, Arc::clone(&seen))?;
            signal_hook::flag::register(signo, seen)?;
            *slot = true;
        }
    }
    let (read, write) = std::os::unix::net::UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    signal_hook::low_level::pipe::register(signo, write)?;
    Ok(read.into())
}
