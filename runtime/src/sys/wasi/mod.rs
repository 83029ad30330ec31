//! wasm32-wasip1: one `poll_oneoff` per wait, holding exactly the
//! (fd, direction) pairs some task waits on now, plus one clock for the
//! nearest timer. Nothing stays subscribed between waits, so an idle
//! program with many open connections costs nothing.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::Direction;

pub(crate) mod net;

/// Waits with `poll_oneoff`.
pub(crate) struct Poller {
    subs: Vec<wasi::Subscription>,
    keys: Vec<(RawFd, Direction)>,
    events: Vec<wasi::Event>,
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
        })
    }

    /// Nothing to set up: interest is expressed at wait time.
    pub(crate) fn add_interest(&mut self, _fd: RawFd, _dir: Direction) -> io::Result<bool> {
        Ok(false)
    }

    pub(crate) fn forget(&mut self, _fd: RawFd) {}

    /// Always: every wait asks again about every fd a task waits on, and
    /// `poll_oneoff` is level-triggered.
    pub(crate) fn reports_again(&self, _fd: RawFd) -> bool {
        true
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker
    }

    /// One `poll_oneoff`. `waiting` is every (fd, direction) with a waiting
    /// task; ready ones are appended to `ready`.
    pub(crate) fn wait(
        &mut self,
        waiting: impl Iterator<Item = (RawFd, Direction)>,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Direction)>,
    ) -> io::Result<()> {
        self.subs.clear();
        self.keys.clear();
        for (i, (fd, dir)) in waiting.enumerate() {
            self.subs.push(fd_sub(i as u64, fd, dir));
            self.keys.push((fd, dir));
        }
        if let Some(t) = timeout {
            self.subs.push(clock_sub(t));
        }
        if self.subs.is_empty() {
            return Err(io::Error::other(
                "deadlock: every task is waiting and no fd or timer can wake one",
            ));
        }
        self.events.clear();
        // SAFETY: Event is plain data; poll_oneoff overwrites what it reports.
        self.events
            .resize_with(self.subs.len(), || unsafe { std::mem::zeroed() });
        // SAFETY: both buffers are valid for `subs.len()` elements.
        let n = unsafe {
            wasi::poll_oneoff(
                self.subs.as_ptr(),
                self.events.as_mut_ptr(),
                self.subs.len(),
            )
        }
        .map_err(errno)?;
        for ev in &self.events[..n] {
            if ev.userdata != CLOCK {
                if let Some(k) = self.keys.get(ev.userdata as usize) {
                    // An event carrying an error still wakes the task: its
                    // retry reports the real error.
                    ready.push(*k);
                }
            }
        }
        Ok(())
    }
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
/// sockets with the accept right, found by scanning fds from 3.
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
    Ok(out)
}
