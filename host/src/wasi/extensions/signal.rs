//! Signals as readiness (`wasio_signal_v1`, `docs/abi.md`): `signal_fd`
//! gives the guest the read end of a socket pair that receives one byte
//! per delivery of SIGINT or SIGTERM, so the runtime waits on it like any
//! socket. The first request for a signal takes it over from its default
//! action (stopping the guest) for the whole process, and a second
//! delivery of it then stops the process at once, as the default would
//! have: a guest that drains too slowly can still be stopped.

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::table::{Descriptor, Family, Object, Socket, SocketKind};

/// Rights of a signal fd: read it, wait on it, nothing else.
const SIGNAL_RIGHTS: Rights =
    RIGHTS_FD_READ | RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_FILESTAT_GET | RIGHTS_POLL_FD_READWRITE;

/// Installs, once per signal and process, "the second delivery stops the
/// process": a flag set by the first delivery, and the default action
/// when it is already set. Returns that flag: whether the signal has been
/// delivered.
fn second_signal_stops(signal: i32) -> std::io::Result<Arc<AtomicBool>> {
    static DONE: [OnceLock<std::result::Result<Arc<AtomicBool>, String>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = &DONE[usize::from(signal == SIGTERM)];
    slot.get_or_init(|| {
        let seen = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&seen))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&seen)))
            .map(|_| seen)
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(std::io::Error::other)
}

/// Takes `signal` (SIGINT or SIGTERM) over from its default action for
/// the whole process and writes one byte to `write` per delivery from now
/// on. A delivery that came before (to the process, while this instance
/// was starting: another worker had taken the signal over) is written at
/// once, so no instance misses a stop that reached the process.
pub(crate) fn forward(signal: i32, write: UnixStream) -> std::io::Result<signal_hook::SigId> {
    let seen = second_signal_stops(signal)?;
    let early = write.try_clone()?;
    let id = signal_hook::low_level::pipe::register(signal, write)?;
    if seen.load(Ordering::SeqCst) {
        // Non-blocking: a full pipe already says "delivered".
        let _ = (&early).write(&[1]);
    }
    Ok(id)
}

impl WasiCtx {
    /// `signal_fd(signal, out_fd)`.
    pub(crate) fn ext_signal_fd(
        &mut self,
        mem: &mut GuestMem,
        signal: u32,
        out: u32,
    ) -> Result<()> {
        let signo = match signal {
            wasio_abi::signal::INTERRUPT => SIGINT,
            wasio_abi::signal::TERMINATE => SIGTERM,
            _ => return Err(ERRNO_INVAL.into()),
        };
        mem.check(out, 4)?;
        // Two host fds: the guest's read end, and the write end the signal
        // registration holds until the guest closes its fd.
        if self.table.len() + 2 > self.table.max_open() {
            return Err(ERRNO_MFILE.into());
        }
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let raw = read.as_raw_fd();
        let mut d = Descriptor::new(
            Object::Socket(Socket {
                fd: read.into(),
                family: Family::Unix,
                kind: SocketKind::Stream,
                listening: false,
                linger: None,
            }),
            SIGNAL_RIGHTS,
            0,
        );
        // Waited on, never blocked on: a read with nothing delivered is
        // `AGAIN`.
        d.flags = FDFLAGS_NONBLOCK;
        let fd = self.table.push(d)?;
        self.table.hold_extra(1)?;
        let registered = forward(signo, write);
        match registered {
            Ok(id) => {
                self.signal_ids.push((raw, id));
                mem.put_u32(out, fd)?;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("cannot take over signal {signo}: {e}");
                self.table.release_extra(1);
                let _ = self.table.remove(fd);
                Err(ERRNO_NOSYS.into())
            }
        }
    }
}
