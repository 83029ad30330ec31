//! [`UnixListener`].

use std::io;
use std::path::Path;
use std::task::{Context, Poll};

use super::{SocketAddr, UnixStream};
use crate::net::socket::{self, new_accepted_io, new_io, Io};
use crate::sys::net_types::{Family, Kind};
use crate::sys::{self, Direction};

/// A Unix stream socket server.
///
/// ```no_run
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     // wasio run --dir /run/app::/sock app.wasm
///     let l = wasio::net::UnixListener::bind("/sock/app.sock")?;
///     let (conn, _) = l.accept().await?;
///     drop(conn);
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: Io,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = sys::net::socket(Family::Unix, Kind::Stream)?;
        sys::net::bind_unix(&fd, path.as_ref())?;
        sys::net::listen(&fd, 1024)?;
        Ok(UnixListener { io: new_io(fd)? })
    }

    /// [`bind`](Self::bind) to the path of a std address.
    #[cfg(unix)]
    pub fn bind_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixListener> {
        UnixListener::bind(super::pathname(addr)?)
    }

    pub(crate) fn from_io(io: Io) -> UnixListener {
        UnixListener { io }
    }

    /// Wraps a std listener, making it non-blocking.
    #[cfg(unix)]
    pub fn from_std(l: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        l.set_nonblocking(true)?;
        Ok(UnixListener {
            io: new_io(l.into())?,
        })
    }

    /// The std listener inside (still non-blocking), taken off the reactor.
    #[cfg(unix)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner().0.into())
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(sys::net::unix_local_path(
            &self.io.get_ref().0,
        )?))
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&self.io.get_ref().0)
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let fd = std::task::ready!(self
            .io
            .poll_io(cx, Direction::Read, |s| sys::net::accept(&s.0)))?;
        let peer = SocketAddr::new(sys::net::unix_peer_path(&fd).unwrap_or(None));
        Poll::Ready(Ok((UnixStream::from_io(new_accepted_io(fd)?), peer)))
    }
}

socket::impl_fd!(UnixListener);

#[cfg(unix)]
impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// [`UnixListener::from_std`].
    fn try_from(l: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(l)
    }
}
