//! `resolve`: host name and port to addresses.

use std::net::ToSocketAddrs;

use wasi::*;
use wasio_abi::{SockAddr, SOCKADDR_SIZE};

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;

/// Longest host name (RFC 1035).
const MAX_NAME: u32 = 253;

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
        if len == 0 || len > MAX_NAME {
            return Err(ERRNO_INVAL.into());
        }
        let port = u16::try_from(port).map_err(|_| ERRNO_INVAL)?;
        let name = mem.str(host, len)?.to_string();
        if name.contains('\0') {
            return Err(ERRNO_INVAL.into());
        }
        // A literal address needs no permission; a name does.
        let literal = name.parse::<std::net::IpAddr>().is_ok();
        if !literal && !self.policy.allows_dns(&name) {
            return Err(ERRNO_ACCES.into());
        }
        let addrs: Vec<_> = match (name.as_str(), port).to_socket_addrs() {
            Ok(it) => it.collect(),
            Err(e) => {
                tracing::debug!("resolving `{name}` failed: {e}");
                return Err(ERRNO_NOENT.into());
            }
        };
        let n = addrs.len().min(max as usize);
        for (i, a) in addrs.iter().take(n).enumerate() {
            let at = crate::wasi::mem::elem(out, i, SOCKADDR_SIZE as u32)?;
            mem.write(at, &SockAddr::from(*a).to_bytes())?;
        }
        mem.put_u32(count, n as u32)?;
        Ok(())
    }
}
