//! Socket addresses between guest memory and the host.

use std::net::SocketAddr;

use rustix::net::SocketAddrAny;
use wasio_abi::{SockAddr, SOCKADDR_SIZE};

use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::table::Family;

/// Reads an IP address at `ptr`; `AFNOSUPPORT` for another family.
pub(crate) fn read(mem: &GuestMem, ptr: u32) -> Result<SocketAddr> {
    let bytes: &[u8; SOCKADDR_SIZE] = mem
        .slice(ptr, SOCKADDR_SIZE as u32)?
        .try_into()
        .expect("slice has the right length");
    SockAddr::from_bytes(bytes)
        .to_socket_addr()
        .ok_or_else(|| wasi::ERRNO_AFNOSUPPORT.into())
}

/// Writes `a` at `ptr`.
pub(crate) fn write(mem: &mut GuestMem, ptr: u32, a: &SockAddr) -> Result<()> {
    mem.write(ptr, &a.to_bytes())?;
    Ok(())
}

/// The ABI form of a host address (Unix paths are not carried).
pub(crate) fn from_any(a: Option<SocketAddrAny>) -> SockAddr {
    match a {
        None => SockAddr::default(),
        Some(any) => match SocketAddr::try_from(any) {
            Ok(ip) => SockAddr::from(ip),
            Err(_) => SockAddr::unix(),
        },
    }
}

/// The IP address and port a socket is bound to (`None` for a Unix
/// socket, or when the system cannot say).
pub(crate) fn local_ip(fd: impl std::os::fd::AsFd) -> Option<SocketAddr> {
    rustix::net::getsockname(fd)
        .ok()
        .and_then(|a| SocketAddr::try_from(a).ok())
}

/// Whether `a` can be used with a socket of `family`.
pub(crate) fn fits(family: Family, a: &SocketAddr) -> bool {
    matches!(
        (family, a),
        (Family::Inet4, SocketAddr::V4(_)) | (Family::Inet6, SocketAddr::V6(_))
    )
}
