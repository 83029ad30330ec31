//! [`UnixSocket`]: a Unix socket set up before it listens or connects.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::{UnixDatagram, UnixListener, UnixStream};
use crate::net::socket::{finish_connect, new_io};
use crate::sys;
use crate::sys::net_types::{Family, Kind};

/// A Unix socket not yet listening, connected or in use, as tokio's: made
/// as a stream or a datagram socket, optionally bound, then turned into a
/// [`UnixListener`], a [`UnixStream`] or a [`UnixDatagram`].
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// let s = wasio::net::UnixSocket::new_stream()?;
/// s.bind("/sock/app.sock")?;
/// let listener = s.listen(128)?;
/// # drop(listener);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct UnixSocket {
    fd: OwnedFd,
    kind: Kind,
}

impl UnixSocket {
    /// A stream socket.
    pub fn new_stream() -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            fd: sys::net::socket(Family::Unix, Kind::Stream)?,
            kind: Kind::Stream,
        })
    }

    /// A datagram socket.
    pub fn new_datagram() -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            fd: sys::net::socket(Family::Unix, Kind::Datagram)?,
            kind: Kind::Datagram,
        })
    }

    /// Binds it to `path` (creating the socket file).
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        sys::net::bind_unix(&self.fd, path.as_ref())
    }

    /// Listens on a stream socket (`InvalidInput` for a datagram one).
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.kind == Kind::Datagram {
            return Err(invalid("listen cannot be called on a datagram socket"));
        }
        sys::net::listen(&self.fd, backlog)?;
        Ok(UnixListener::from_io(new_io(self.fd)?))
    }

    /// Connects a stream socket to the socket at `path` (`InvalidInput`
    /// for a datagram one).
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.kind == Kind::Datagram {
            return Err(invalid("connect cannot be called on a datagram socket"));
        }
        let done = sys::net::connect_unix(&self.fd, path.as_ref())?;
        let io = new_io(self.fd)?;
        finish_connect(&io, done).await?;
        Ok(UnixStream::from_io(io))
    }

    /// The datagram socket (`InvalidInput` for a stream one).
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if self.kind == Kind::Stream {
            return Err(invalid("datagram cannot be called on a stream socket"));
        }
        Ok(UnixDatagram::from_io(new_io(self.fd)?))
    }
}

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
