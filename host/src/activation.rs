//! systemd socket activation: listening sockets handed to the host at
//! fd 3 onwards (`LISTEN_FDS`, for the process `LISTEN_PID` names) become
//! the guest's preopened listeners, as `--tcplisten` ones do. The service
//! manager keeps them open across restarts, so connection attempts made
//! while the host restarts wait in the backlog instead of being refused.

use std::net::TcpListener;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use anyhow::{bail, Result};

/// The first fd systemd passes.
const FIRST: RawFd = 3;

/// Takes the sockets systemd passed, if `LISTEN_PID` is this process; the
/// variables are then removed (a child would not be their target). Each
/// must be a listening TCP socket; anything else is an error naming it.
pub fn take_listeners() -> Result<Vec<TcpListener>> {
    let pid = std::env::var("LISTEN_PID").ok();
    let count = std::env::var("LISTEN_FDS").ok();
    let (Some(pid), Some(count)) = (pid, count) else {
        return Ok(Vec::new());
    };
    if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
        return Ok(Vec::new());
    }
    let Ok(n) = count.trim().parse::<RawFd>() else {
        bail!("LISTEN_FDS={count:?} is not a number");
    };
    if !(0..=1024).contains(&n) {
        bail!("LISTEN_FDS={n} is out of range");
    }
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    let mut out = Vec::new();
    for fd in FIRST..FIRST + n {
        // SAFETY: only borrowed for the check: is the number open?
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        if rustix::io::fcntl_getfd(borrowed).is_err() {
            bail!("socket activation: LISTEN_FDS={n}, but fd {fd} is not open");
        }
        // SAFETY: fds from 3 on are ours, passed by the service manager
        // (LISTEN_PID names this process), open (checked above), and
        // nothing else owns them.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        use rustix::net::{sockopt, AddressFamily, SocketType};
        let ok = sockopt::socket_acceptconn(&owned).unwrap_or(false)
            && sockopt::socket_type(&owned).ok() == Some(SocketType::STREAM)
            && matches!(
                sockopt::socket_domain(&owned),
                Ok(AddressFamily::INET | AddressFamily::INET6)
            );
        if !ok {
            bail!("socket activation: fd {fd} is not a listening TCP socket");
        }
        rustix::io::fcntl_setfd(&owned, rustix::io::FdFlags::CLOEXEC)?;
        let l = TcpListener::from(owned);
        l.set_nonblocking(true)?;
        out.push(l);
    }
    Ok(out)
}
