//! `resolve`: host name and port to addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc;
use std::time::Instant;

use wasi::*;
use wasio_abi::{SockAddr, SOCKADDR_SIZE};

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;

use crate::wasi::lookup::{self, LOOKUP_TIMEOUT, MAX_NAME};

impl WasiCtx {
    /// `resolve(host, host_len, port, out_addrs, max, out_count)`.
    pub(crate) fn ext_resolve(
        &mut self,
        mem: &mut GuestMem,
        host: u32,
        len: u32,
        port: u32,
        out: u32,
        max: u32,
        count: u32,
    ) -> Result<()> {
        mem.check(count, 4)?;
        let room = max.checked_mul(SOCKADDR_SIZE as u32).ok_or(ERRNO_FAULT)?;
        mem.check(out, room)?;
        if len == 0 || len as usize > MAX_NAME {
            return Err(ERRNO_INVAL.into());
        }
        let port = u16::try_from(port).map_err(|_| ERRNO_INVAL)?;
        let name = mem.str(host, len)?.to_string();
        if name.contains('\0') {
            return Err(ERRNO_INVAL.into());
        }
        // A literal address needs no permission; a name does.
        let addrs: Vec<SocketAddr> = match name.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) if !self.policy.allows_dns(&name) => return Err(ERRNO_ACCES.into()),
            Err(_) => self.lookup(name, port)?,
        };
        let n = addrs.len().min(max as usize);
        for (i, a) in addrs.iter().take(n).enumerate() {
            let at = crate::wasi::mem::elem(out, i, SOCKADDR_SIZE as u32)?;
            mem.write(at, &SockAddr::from(*a).to_bytes())?;
        }
        mem.put_u32(count, n as u32)?;
        Ok(())
    }

    /// Resolves `name` with the system resolver on a thread of its own, so
    /// that the wait is bounded: by [`LOOKUP_TIMEOUT`] (`TIMEDOUT`) and by
    /// the run's deadline (the run ends).
    fn lookup(&self, name: String, port: u16) -> Result<Vec<SocketAddr>> {
        let (tx, rx) = mpsc::sync_channel(1);
        if !lookup::spawn(name.clone(), port, move |r| {
            let _ = tx.send(r);
        }) {
            return Err(ERRNO_AGAIN.into());
        }
        let started = Instant::now();
        let mut bound = LOOKUP_TIMEOUT;
        let mut ends_run = false;
        if let Some(d) = self.deadline {
            let left = d.saturating_duration_since(started);
            if left < bound {
                (bound, ends_run) = (left, true);
            }
        }
        match rx.recv_timeout(bound) {
            Ok(Ok(addrs)) => Ok(addrs),
            Ok(Err(e)) => {
                tracing::debug!("resolving `{name}` failed: {e}");
                Err(ERRNO_NOENT.into())
            }
            Err(_) if ends_run => Err(self.timed_out()),
            Err(_) => {
                tracing::warn!(
                    "resolving `{name}` took longer than {} s; the guest gets TIMEDOUT",
                    LOOKUP_TIMEOUT.as_secs()
                );
                Err(ERRNO_TIMEDOUT.into())
            }
        }
    }
}
