//! Sockets on wasm32-wasip1: the wasio extension (`wasio_sock_v1`) to
//! create, bind, connect and address them; preview1 for the rest.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use wasio_abi::{opt, raw, SockAddr, SOCKADDR_SIZE};

use crate::sys::net_types::{Family, Kind, Opt};

fn check(errno: u16) -> io::Result<()> {
    if errno == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(errno as i32))
    }
}

fn p1(r: Result<(), wasi::Errno>) -> io::Result<()> {
    r.map_err(|e| io::Error::from_raw_os_error(e.raw() as i32))
}

fn fd(s: &OwnedFd) -> u32 {
    s.as_raw_fd() as u32
}

pub(crate) fn socket(family: Family, kind: Kind) -> io::Result<OwnedFd> {
    // A guest with sockets waits with `wasio_poll_v1`.
    super::watch::enable();
    let domain = match family {
        Family::V4 => wasio_abi::AF_INET4,
        Family::V6 => wasio_abi::AF_INET6,
        Family::Unix => wasio_abi::AF_UNIX,
    };
    let ty = match kind {
        Kind::Stream => wasio_abi::SOCK_STREAM,
        Kind::Datagram => wasio_abi::SOCK_DGRAM,
    };
    let mut out = 0u32;
    // SAFETY: `out` is a valid u32 for the call.
    check(unsafe { raw::socket(domain.into(), ty, wasi::FDFLAGS_NONBLOCK.into(), &mut out) })?;
    // SAFETY: the host just created this fd for us.
    Ok(unsafe { OwnedFd::from_raw_fd(out as RawFd) })
}

pub(crate) fn bind(s: &OwnedFd, a: &SocketAddr) -> io::Result<()> {
    let b = SockAddr::from(*a).to_bytes();
    // SAFETY: `b` is a full SockAddr.
    check(unsafe { raw::bind(fd(s), b.as_ptr()) })
}

pub(crate) fn listen(s: &OwnedFd, backlog: u32) -> io::Result<()> {
    // SAFETY: plain values.
    check(unsafe { raw::listen(fd(s), backlog) })
}

/// `Ok(true)`: connected; `Ok(false)`: under way (wait for writability).
pub(crate) fn connect(s: &OwnedFd, a: &SocketAddr) -> io::Result<bool> {
    let b = SockAddr::from(*a).to_bytes();
    // SAFETY: `b` is a full SockAddr.
    in_progress(check(unsafe { raw::connect(fd(s), b.as_ptr()) }))
}

fn in_progress(r: io::Result<()>) -> io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        // AGAIN is not under way (a full Unix listener queue): an error.
        Err(e) if e.raw_os_error() == Some(wasi::ERRNO_INPROGRESS.raw() as i32) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Preopened directories: (guest path, fd), longest first.
fn preopens() -> &'static [(PathBuf, u32)] {
    static PREOPENS: OnceLock<Vec<(PathBuf, u32)>> = OnceLock::new();
    PREOPENS.get_or_init(|| {
        let mut out = Vec::new();
        for fd in 3u32.. {
            // SAFETY: prestat only describes the fd.
            let Ok(st) = (unsafe { wasi::fd_prestat_get(fd) }) else {
                break;
            };
            // SAFETY: reading the union's only variant (directories).
            let len = unsafe { st.u.dir.pr_name_len };
            let mut name = vec![0u8; len];
            // SAFETY: `name` holds `len` bytes.
            if unsafe { wasi::fd_prestat_dir_name(fd, name.as_mut_ptr(), len) }.is_ok() {
                if let Ok(s) = String::from_utf8(name) {
                    out.push((PathBuf::from(s), fd));
                }
            }
        }
        out.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        out
    })
}

/// For an absolute `path` that no preopened directory holds, the
/// preopen the host would need (its first component); `None` when one
/// holds it, or it is relative.
pub(crate) fn no_preopen_for(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    if preopens()
        .iter()
        .any(|(prefix, _)| prefix.is_absolute() && path.starts_with(prefix))
    {
        return None;
    }
    let mut needed = PathBuf::from("/");
    needed.push(path.components().nth(1)?);
    Some(needed)
}

/// A guest path → (preopened dir fd, path relative to it), as wasi-libc
/// resolves file paths.
pub(super) fn resolve_path(path: &Path) -> io::Result<(u32, String)> {
    for (prefix, dirfd) in preopens() {
        let rel = if prefix.as_os_str() == "." && path.is_relative() {
            Some(path)
        } else {
            path.strip_prefix(prefix).ok()
        };
        if let Some(rel) = rel {
            let parts: Vec<_> = rel
                .components()
                .filter(|c| !matches!(c, Component::CurDir))
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if !parts.is_empty() {
                return Ok((*dirfd, parts.join("/")));
            }
        }
    }
    // Like a file path outside every preopen: the guest lacks the capability.
    Err(io::Error::from_raw_os_error(
        wasi::ERRNO_NOTCAPABLE.raw() as i32
    ))
}

pub(crate) fn bind_unix(s: &OwnedFd, path: &Path) -> io::Result<()> {
    let (dirfd, rel) = resolve_path(path)?;
    // SAFETY: `rel` outlives the call.
    check(unsafe { raw::bind_unix(fd(s), dirfd, rel.as_ptr(), rel.len()) })
}

pub(crate) fn connect_unix(s: &OwnedFd, path: &Path) -> io::Result<bool> {
    let (dirfd, rel) = resolve_path(path)?;
    // SAFETY: `rel` outlives the call.
    in_progress(check(unsafe {
        raw::connect_unix(fd(s), dirfd, rel.as_ptr(), rel.len())
    }))
}

/// What `wasio run` cannot do for a guest's Unix sockets.
fn unix_unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "{what} is not available under `wasio run` (its socket extension has no such call)"
        ),
    )
}

/// A connected pair of Unix sockets: not available to a guest.
pub(crate) fn unix_pair(_kind: Kind) -> io::Result<(OwnedFd, OwnedFd)> {
    Err(unix_unsupported("a Unix socket pair"))
}

/// A datagram to a Unix socket path: not available to a guest.
pub(crate) fn send_to_unix(_s: &OwnedFd, _buf: &[u8], _path: &Path) -> io::Result<usize> {
    Err(unix_unsupported("sending to a Unix socket path"))
}

/// Receives a datagram; the host does not say where from (unnamed).
pub(crate) fn recv_from_unix(
    s: &OwnedFd,
    buf: &mut [u8],
    peek: bool,
) -> io::Result<(usize, Option<PathBuf>)> {
    recv_from(s, buf, peek).map(|(n, _)| (n, None))
}

/// A guest's Unix socket paths are not carried back (unnamed).
pub(crate) fn unix_local_path(_s: &OwnedFd) -> io::Result<Option<PathBuf>> {
    Ok(None)
}

/// A guest's Unix socket paths are not carried back (unnamed).
pub(crate) fn unix_peer_path(_s: &OwnedFd) -> io::Result<Option<PathBuf>> {
    Ok(None)
}

pub(crate) fn accept(s: &OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: preview1 call on our fd.
    let n = unsafe { wasi::sock_accept(fd(s), wasi::FDFLAGS_NONBLOCK) }
        .map_err(|e| io::Error::from_raw_os_error(e.raw() as i32))?;
    // SAFETY: the host just handed us this fd.
    Ok(unsafe { OwnedFd::from_raw_fd(n as RawFd) })
}

pub(crate) fn recv(s: &OwnedFd, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let iov = [wasi::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: buf.len(),
    }];
    let flags = if peek { wasi::RIFLAGS_RECV_PEEK } else { 0 };
    // SAFETY: the iovec points into `buf`.
    unsafe { wasi::sock_recv(fd(s), &iov, flags) }
        .map(|(n, _)| n)
        .map_err(|e| io::Error::from_raw_os_error(e.raw() as i32))
}

pub(crate) fn send(s: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    let iov = [wasi::Ciovec {
        buf: buf.as_ptr(),
        buf_len: buf.len(),
    }];
    // SAFETY: the iovec points into `buf`.
    unsafe { wasi::sock_send(fd(s), &iov, 0) }
        .map_err(|e| io::Error::from_raw_os_error(e.raw() as i32))
}

/// Receives into `bufs` in order: the host's `sock_recv` fills only the
/// first non-empty iovec, so a filled buffer is followed by a receive into
/// the next, until one comes back short (what was there is taken).
pub(crate) fn recv_vectored(s: &OwnedFd, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
    let mut total = 0;
    for b in bufs.iter_mut().filter(|b| !b.is_empty()) {
        match recv(s, b, false) {
            Ok(n) => {
                total += n;
                if n < b.len() {
                    break;
                }
            }
            // What came before the error is the answer; the error shows
            // again on the next call.
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// One `sock_send` gathering `bufs` in order.
pub(crate) fn send_vectored(s: &OwnedFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    let iov: Vec<wasi::Ciovec> = bufs
        .iter()
        .map(|b| wasi::Ciovec {
            buf: b.as_ptr(),
            buf_len: b.len(),
        })
        .collect();
    // SAFETY: each iovec points into one of `bufs`, which outlive the call.
    unsafe { wasi::sock_send(fd(s), &iov, 0) }
        .map_err(|e| io::Error::from_raw_os_error(e.raw() as i32))
}

pub(crate) fn recv_from(
    s: &OwnedFd,
    buf: &mut [u8],
    peek: bool,
) -> io::Result<(usize, Option<SocketAddr>)> {
    let iov = [wasi::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: buf.len(),
    }];
    let (mut n, mut flags) = (0u32, 0u16);
    let mut from = [0u8; SOCKADDR_SIZE];
    let peek = if peek { wasio_abi::RECV_PEEK } else { 0 };
    // SAFETY: all out-pointers are valid locals; the iovec points into `buf`.
    check(unsafe {
        raw::recv_from(
            fd(s),
            iov.as_ptr().cast(),
            1,
            peek,
            &mut n,
            &mut flags,
            from.as_mut_ptr(),
        )
    })?;
    Ok((n as usize, SockAddr::from_bytes(&from).to_socket_addr()))
}

pub(crate) fn send_to(s: &OwnedFd, buf: &[u8], a: &SocketAddr) -> io::Result<usize> {
    let iov = [wasi::Ciovec {
        buf: buf.as_ptr(),
        buf_len: buf.len(),
    }];
    let b = SockAddr::from(*a).to_bytes();
    let mut n = 0u32;
    // SAFETY: pointers into live locals.
    check(unsafe { raw::send_to(fd(s), iov.as_ptr().cast(), 1, b.as_ptr(), &mut n) })?;
    Ok(n as usize)
}

pub(crate) fn shutdown(s: &OwnedFd, how: std::net::Shutdown) -> io::Result<()> {
    let how = match how {
        std::net::Shutdown::Read => wasi::SDFLAGS_RD,
        std::net::Shutdown::Write => wasi::SDFLAGS_WR,
        std::net::Shutdown::Both => wasi::SDFLAGS_RD | wasi::SDFLAGS_WR,
    };
    // SAFETY: preview1 call on our fd.
    p1(unsafe { wasi::sock_shutdown(fd(s), how) })
}

fn addr_of(f: unsafe extern "C" fn(u32, *mut u8) -> u16, s: &OwnedFd) -> io::Result<SocketAddr> {
    let mut b = [0u8; SOCKADDR_SIZE];
    // SAFETY: `b` is a full SockAddr buffer.
    check(unsafe { f(fd(s), b.as_mut_ptr()) })?;
    SockAddr::from_bytes(&b)
        .to_socket_addr()
        .ok_or_else(|| io::Error::new(io::ErrorKind::Unsupported, "not an IP socket"))
}

pub(crate) fn local_addr(s: &OwnedFd) -> io::Result<SocketAddr> {
    addr_of(raw::local_addr, s)
}

pub(crate) fn peer_addr(s: &OwnedFd) -> io::Result<SocketAddr> {
    addr_of(raw::peer_addr, s)
}

/// The `wasio_sock_v1` number of an option (the values agree: flags
/// 0/1, counts, linger seconds or `LINGER_OFF`).
fn abi_opt(o: Opt) -> u32 {
    match o {
        Opt::ReuseAddr => opt::REUSEADDR,
        Opt::ReusePort => opt::REUSEPORT,
        Opt::NoDelay => opt::NODELAY,
        Opt::KeepAlive => opt::KEEPALIVE,
        Opt::Ttl => opt::TTL,
        Opt::Broadcast => opt::BROADCAST,
        Opt::RecvBufferSize => opt::RECV_BUFFER_SIZE,
        Opt::SendBufferSize => opt::SEND_BUFFER_SIZE,
        Opt::Linger => opt::LINGER,
        Opt::OnlyV6 => opt::ONLY_V6,
        Opt::MulticastTtlV4 => opt::MULTICAST_TTL_V4,
        Opt::MulticastLoopV4 => opt::MULTICAST_LOOP_V4,
        Opt::MulticastLoopV6 => opt::MULTICAST_LOOP_V6,
    }
}

/// Sets option `o` (values already checked by `sys::sockopt`).
pub(crate) fn set_opt(s: &OwnedFd, o: Opt, value: u64) -> io::Result<()> {
    // SAFETY: plain values.
    check(unsafe { raw::set_opt(fd(s), abi_opt(o), value) })
}

/// Reads option `o`.
pub(crate) fn get_opt(s: &OwnedFd, o: Opt) -> io::Result<u64> {
    let mut v = 0u64;
    // SAFETY: `v` is a valid u64.
    check(unsafe { raw::get_opt(fd(s), abi_opt(o), &mut v) })?;
    Ok(v)
}

/// The pending error of a socket (how a finished connect reports).
pub(crate) fn take_error(s: &OwnedFd) -> io::Result<Option<io::Error>> {
    let mut e = 0u64;
    // SAFETY: `e` is a valid u64.
    check(unsafe { raw::get_opt(fd(s), opt::ERROR, &mut e) })?;
    Ok((e != 0).then(|| io::Error::from_raw_os_error(e as i32)))
}

pub(crate) fn multicast(
    s: &OwnedFd,
    group: &SocketAddr,
    iface: &SocketAddr,
    join: bool,
) -> io::Result<()> {
    let g = SockAddr::from(*group).to_bytes();
    let i = SockAddr::from(*iface).to_bytes();
    let f = if join {
        raw::multicast_join
    } else {
        raw::multicast_leave
    };
    // SAFETY: both are full SockAddr buffers.
    check(unsafe { f(fd(s), g.as_ptr(), i.as_ptr()) })
}

pub(crate) fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    const MAX: usize = 32;
    let mut out = vec![0u8; MAX * SOCKADDR_SIZE];
    let mut n = 0u32;
    // SAFETY: `out` holds MAX addresses; `host` outlives the call.
    check(unsafe {
        raw::resolve(
            host.as_ptr(),
            host.len(),
            port.into(),
            out.as_mut_ptr(),
            MAX as u32,
            &mut n,
        )
    })?;
    Ok(out
        .as_chunks::<SOCKADDR_SIZE>()
        .0
        .iter()
        .take(n as usize)
        .filter_map(|c| SockAddr::from_bytes(c).to_socket_addr())
        .collect())
}
