//! Signals as readiness (`wasio_signal_v1`, `docs/abi.md`): `signal_fd`
//! gives the guest the read end of a socket pair that receives one byte
//! per delivery of SIGINT or SIGTERM, so the runtime waits on it like any
//! socket. The first request for a signal takes it over from its default
//! action (stopping the guest) for the whole process, and a second
//! delivery of it then stops the process at once, as the default would
//! have: a guest that drains too slowly can still be stopped.

use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicBool;
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
/// when it is already set.
fn second_signal_stops(signal: i32) -> std::io::Result<()> {
    static DONE: [OnceLock<std::result::Result<(), String>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = &DONE[usize::from(signal == SIGTERM)];
    slot.get_or_init(|| {
        let seen = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&seen))
            .and_then(|_| signal_hook::flag::register(signal, seen))
            .map(drop)
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(std::io::Error::other)
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
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let mut d = Descriptor::new(
            Object::Socket(Socket {
                fd: read.into(),
                family: Family::Unix,
                kind: SocketKind::Stream,
                listening: false,
            }),
            SIGNAL_RIGHTS,
            0,
        );
        // Waited on, never blocked on: a read with nothing delivered is
        // `AGAIN`.
        d.flags = FDFLAGS_NONBLOCK;
        let fd = self.table.push(d)?;
        let registered = second_signal_stops(signo)
            .and_then(|()| signal_hook::low_level::pipe::register(signo, write));
        match registered {
            Ok(id) => {
                self.signal_ids.push(id);
                mem.put_u32(out, fd)?;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("cannot take over signal {signo}: {e}");
                let _ = self.table.remove(fd);
                Err(ERRNO_NOSYS.into())
            }
        }
    }
}
