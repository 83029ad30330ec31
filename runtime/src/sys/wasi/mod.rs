//! wasm32-wasip1: one wait per park. Once the guest has sockets, that is
//! `wasio_poll_v1.wait` (see `watch.rs`): sockets are watched in the host
//! once, and the wait lists only the other (fd, direction) pairs some task
//! waits on (stdio, pipes) and one clock for the nearest timer, so it
//! costs O(ready). Without sockets it is one `poll_oneoff` with exactly
//! those pairs. Nothing is subscribed while nobody waits, so an idle
//! program with many open connections costs nothing.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{Direction, FdBits, Registration};

pub(crate) mod net;
pub(crate) use net::no_preopen_for;
mod watch;

/// Per-fd state of the scalable wait (bits of `Poller::fds`).
const WATCHED: u8 = 1;
/// `watch` refused the fd (not a socket): every wait lists it.
const UNWATCHABLE: u8 = 2;
/// A watched fd's hang-up or error was reported: reports stop coming.
const CLOSED: u8 = 4;
/// The userdata of watched fds' reports: the fd, tagged.
const WATCH_TAG: u64 = 1 << 62;
/// How many reports of watched fds one wait takes at most (the rest wait
/// in the host for the next).
const MAX_REPORTS: usize = 1024;

/// Waits with `poll_oneoff`.
pub(crate) struct Poller {
    subs: Vec<wasi::Subscription>,
    keys: Vec<(RawFd, Direction)>,
    events: Vec<wasi::Event>,
    /// Scalable-wait state by fd (`WATCHED`, `UNWATCHABLE`, `CLOSED`).
    fds: FdBits,
}

/// Whether another thread could wake a parked runtime. Not on wasip1: a
/// runtime with nothing to wait for there is deadlocked.
pub(crate) const THREADS: bool = false;

/// wasip1 has no threads: nothing can need to interrupt a wait.
#[derive(Clone, Debug)]
pub(crate) struct Unparker;

impl Unparker {
    pub(crate) fn unpark(&self) {}
}

const CLOCK: u64 = u64::MAX;

fn errno(e: wasi::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw() as i32)
}

fn fd_sub(userdata: u64, fd: RawFd, dir: Direction) -> wasi::Subscription {
    let tag = match dir {
        Direction::Read => wasi::EVENTTYPE_FD_READ,
        Direction::Write => wasi::EVENTTYPE_FD_WRITE,
    };
    wasi::Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: tag.raw(),
            u: wasi::SubscriptionUU {
                fd_read: wasi::SubscriptionFdReadwrite {
                    file_descriptor: fd as u32,
                },
            },
        },
    }
}

fn clock_sub(timeout: Duration) -> wasi::Subscription {
    wasi::Subscription {
        userdata: CLOCK,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id: wasi::CLOCKID_MONOTONIC,
                    timeout: timeout.as_nanos().min(u64::MAX as u128) as u64,
                    precision: 0,
                    flags: 0,
                },
            },
        },
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            subs: Vec::new(),
            keys: Vec::new(),
            events: Vec::new(),
            fds: FdBits::default(),
        })
    }

    /// With the scalable wait, a socket is watched (once, both
    /// directions) and kept by the host; anything else is listed in every
    /// wait.
    pub(crate) fn add_interest(&mut self, fd: RawFd, _dir: Direction) -> io::Result<Registration> {
        let Some(ops) = watch::ops() else {
            return Ok(Registration::PerWait);
        };
        let st = self.fds.get(fd);
        if st & WATCHED != 0 {
            return Ok(Registration::Persistent);
        }
        if st & UNWATCHABLE != 0 || fd < 0 {
            return Ok(Registration::PerWait);
        }
        let interest = wasio_abi::poll::READ | wasio_abi::poll::WRITE;
        if (ops.watch)(fd as u32, interest, WATCH_TAG | fd as u64) == 0 {
            self.fds.set(fd, WATCHED);
            Ok(Registration::Persistent)
        } else {
            self.fds.set(fd, UNWATCHABLE);
            Ok(Registration::PerWait)
        }
    }

    /// The fd is being closed (or handed out): its watch ends.
    pub(crate) fn forget(&mut self, fd: RawFd) {
        if self.fds.get(fd) & WATCHED != 0 {
            if let Some(ops) = watch::ops() {
                // The fd is still open; an error means the watch was
                // already gone.
                let _ = (ops.unwatch)(fd as u32);
            }
        }
        self.fds.remove(fd, u8::MAX);
    }

    /// Whether a look at I/O could learn something with no task waiting:
    /// no (hang-ups are not reported apart, see `closed`), so a busy
    /// runtime with nothing waiting makes no host call.
    pub(crate) fn has_news(&self) -> bool {
        false
    }

    /// Whether a hang-up of `fd`'s (read, write) direction was reported:
    /// preview1's wait does not tell the two apart (nor does wasio's host
    /// report them), so never; a closed peer shows as readable.
    pub(crate) fn closed(&mut self, _fd: RawFd) -> (bool, bool) {
        (false, false)
    }

    /// Whether a direction found blocked now is sure to be reported
    /// again: a listed fd always is (`poll_oneoff` is level-triggered); a
    /// watched one until its hang-up has been reported (edge-triggered).
    pub(crate) fn reports_again(&self, fd: RawFd) -> bool {
        let st = self.fds.get(fd);
        st & WATCHED == 0 || st & CLOSED == 0
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker
    }

    /// One wait. `per_wait` is every (fd, direction) with a waiting task
    /// that the host does not watch; ready ones, and the reports of
    /// watched fds, are appended to `ready`.
    pub(crate) fn wait(
        &mut self,
        per_wait: impl Iterator<Item = (RawFd, Direction)>,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Direction)>,
    ) -> io::Result<()> {
        self.subs.clear();
        self.keys.clear();
        for (i, (fd, dir)) in per_wait.enumerate() {
            self.subs.push(fd_sub(i as u64, fd, dir));
            self.keys.push((fd, dir));
        }
        if let Some(t) = timeout {
            self.subs.push(clock_sub(t));
        }
        let ops = watch::ops();
        if self.subs.is_empty() && ops.is_none() {
            return Err(io::Error::other(
                "deadlock: every task is waiting and no fd or timer can wake one",
            ));
        }
        let room = self.subs.len() + if ops.is_some() { MAX_REPORTS } else { 0 };
        if self.events.len() < room {
            // Grown once, then reused: the wait writes what it reports
            // and only the first `n` records are read.
            // SAFETY: Event is plain data.
            self.events
                .resize_with(room, || unsafe { std::mem::zeroed() });
        }
        let n = match ops {
            Some(ops) => (ops.wait)(&self.subs, &mut self.events[..room]).map_err(|e| {
                if e == wasi::ERRNO_INVAL.raw() && self.subs.is_empty() {
                    io::Error::other(
                        "deadlock: every task is waiting and no fd or timer can wake one",
                    )
                } else {
                    io::Error::from_raw_os_error(e as i32)
                }
            })?,
            // SAFETY: both buffers are valid for `subs.len()` elements.
            None => unsafe {
                wasi::poll_oneoff(
                    self.subs.as_ptr(),
                    self.events.as_mut_ptr(),
                    self.subs.len(),
                )
            }
            .map_err(errno)?,
        };
        for i in 0..n.min(room) {
            let ev = self.events[i];
            if ev.userdata == CLOCK {
                continue;
            }
            if ev.userdata & WATCH_TAG != 0 {
                let fd = (ev.userdata & !WATCH_TAG) as RawFd;
                if self.fds.get(fd) & WATCHED == 0 {
                    continue;
                }
                if ev.fd_readwrite.flags & wasi::EVENTRWFLAGS_FD_READWRITE_HANGUP != 0 {
                    self.fds.set(fd, WATCHED | CLOSED);
                }
                let dir = if ev.type_ == wasi::EVENTTYPE_FD_WRITE {
                    Direction::Write
                } else {
                    Direction::Read
                };
                ready.push((fd, dir));
            } else if let Some(k) = self.keys.get(ev.userdata as usize) {
                // An event carrying an error still wakes the task: its
                // retry reports the real error.
                ready.push(*k);
            }
        }
        Ok(())
    }
}

/// Once per process, when a runtime is built: where temporary files go.
/// std's `env::temp_dir()` panics on wasm32-wasip1 ("not supported by
/// WASI yet", in std itself), so `tempfile`, which Rust's temporary files
/// and directories nearly all go through, is pointed at `$TMPDIR` when the
/// host passes one (`wasio run --env TMPDIR=/tmp --dir HOST_DIR::/tmp`).
/// A program that set tempfile's default itself keeps its own.
pub(crate) fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Some(dir) = std::env::var_os("TMPDIR").filter(|d| !d.is_empty()) {
            let _ = tempfile::env::override_temp_dir(std::path::Path::new(&dir));
        }
    });
}

/// A symlink at `link` (resolved against the preopens, as wasi-libc
/// resolves paths) whose target is `original`, kept as written.
pub(crate) fn symlink(original: &std::path::Path, link: &std::path::Path) -> io::Result<()> {
    let (dirfd, rel) = net::resolve_path(link)?;
    let target = original.to_str().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a symlink target must be UTF-8 under WASI",
        )
    })?;
    // SAFETY: both strings outlive the call; `dirfd` is a preopen.
    unsafe { wasi::path_symlink(target, dirfd, &rel) }.map_err(errno)
}

/// Whether fd 0 has input (or EOF) now.
pub(crate) fn stdin_ready() -> io::Result<bool> {
    let subs = [fd_sub(0, 0, Direction::Read), clock_sub(Duration::ZERO)];
    // SAFETY: plain data.
    let mut events: [wasi::Event; 2] = unsafe { std::mem::zeroed() };
    // SAFETY: both buffers hold two elements.
    let n = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), 2) }.map_err(errno)?;
    Ok(events[..n].iter().any(|e| e.userdata == 0))
}

/// Listening sockets the host preopened (`wasio run --tcplisten`): stream
/// sockets with the accept right, found by scanning fds from 3. Finding
/// one switches the scalable wait on.
pub(crate) fn preopened_listener_fds() -> io::Result<Vec<RawFd>> {
    let mut out = Vec::new();
    let mut misses = 0;
    let mut fd = 3u32;
    // Preopens are dense from fd 3; stop after a run of closed numbers.
    while misses < 16 {
        // SAFETY: fdstat only reads metadata of the fd number.
        match unsafe { wasi::fd_fdstat_get(fd) } {
            Ok(st) => {
                misses = 0;
                if st.fs_filetype == wasi::FILETYPE_SOCKET_STREAM
                    && st.fs_rights_base & wasi::RIGHTS_SOCK_ACCEPT != 0
                {
                    out.push(fd as RawFd);
                }
            }
            Err(_) => misses += 1,
        }
        fd += 1;
    }
    if !out.is_empty() {
        watch::enable();
    }
    Ok(out)
}

/// The host's signal fd for `signal` (`wasio_signal_v1`): a stream that
/// receives one byte per delivery; asking for it takes the signal over
/// from the host's default of stopping the guest.
pub(crate) fn signal_fd(signal: super::Signal) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let which = match signal {
        super::Signal::Interrupt => wasio_abi::signal::INTERRUPT,
        super::Signal::Terminate => wasio_abi::signal::TERMINATE,
    };
    // Waiting on it is waiting on a socket.
    watch::enable();
    let mut fd = 0u32;
    // SAFETY: `fd` is a valid u32 for the call.
    let e = unsafe { wasio_abi::signal::raw::signal_fd(which, &mut fd) };
    if e != 0 {
        return Err(io::Error::from_raw_os_error(e as i32));
    }
    // SAFETY: the host just created this fd for us.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) })
}
