//! [`UnixStream`].

use std::io;
use std::net::Shutdown;
use std::path::Path;

use super::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, SocketAddr, WriteHalf};
use crate::net::socket::{
    self, finish_connect, impl_read, impl_write, new_io, new_paired_io, Io, StreamIo,
};
use crate::sys;
use crate::sys::net_types::{Family, Kind};

/// A Unix stream connection, with tokio's API: `AsyncRead`/`AsyncWrite`,
/// `split`/`into_split`, `try_read`/`try_write`, `readable`/`writable`/
/// `ready`.
///
/// ```
/// # #[cfg(not(target_os = "wasi"))]
/// wasio::block_on(async {
///     use wasio::io::{AsyncReadExt, AsyncWriteExt};
///     let (mut a, mut b) = wasio::net::UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut got = [0u8; 4];
///     b.read_exact(&mut got).await?;
///     assert_eq!(&got, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct UnixStream {
    io: Io,
}

impl UnixStream {
    pub(crate) fn from_io(io: Io) -> UnixStream {
        UnixStream { io }
    }

    /// Connects to the socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let fd = sys::net::socket(Family::Unix, Kind::Stream)?;
        let done = sys::net::connect_unix(&fd, path.as_ref())?;
        let io = new_io(fd)?;
        finish_connect(&io, done).await?;
        Ok(UnixStream { io })
    }

    /// [`connect`](Self::connect) to the path of a std address.
    #[cfg(unix)]
    pub async fn connect_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixStream> {
        UnixStream::connect(super::pathname(addr)?).await
    }

    /// Two streams connected to each other (natively: `socketpair`;
    /// `Unsupported` under `wasio run`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::net::unix_pair(Kind::Stream)?;
        Ok((
            UnixStream {
                io: new_paired_io(a)?,
            },
            UnixStream {
                io: new_paired_io(b)?,
            },
        ))
    }

    /// Wraps a std stream, making it non-blocking.
    #[cfg(unix)]
    pub fn from_std(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        s.set_nonblocking(true)?;
        Ok(UnixStream {
            io: new_io(s.into())?,
        })
    }

    /// The std stream inside (still non-blocking), taken off the reactor.
    #[cfg(unix)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner().0.into())
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(sys::net::unix_peer_path(
            &self.io.get_ref().0,
        )?))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(sys::net::unix_local_path(
            &self.io.get_ref().0,
        )?))
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&self.io.get_ref().0)
    }

    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(&self.io.get_ref().0, how)
    }

    socket::readiness_methods!();
    socket::stream_try_methods!();

    /// Borrowed halves for reading and writing at the same time.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (
            crate::net::halves::ReadHalf(self),
            crate::net::halves::WriteHalf(self),
        )
    }

    /// Owned halves for two tasks; dropping the write half shuts the write
    /// direction down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        crate::net::halves::into_split(self)
    }
}

socket::impl_fd!(UnixStream);

impl StreamIo for UnixStream {
    fn io(&self) -> &Io {
        &self.io
    }
}

impl_read!([] UnixStream);
impl_write!([] UnixStream);

impl crate::net::halves::Splittable for UnixStream {
    type Addr = SocketAddr;
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        UnixStream::peer_addr(self)
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        UnixStream::local_addr(self)
    }
    fn shutdown_how(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown_std(how)
    }
}

#[cfg(unix)]
impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// [`UnixStream::from_std`].
    fn try_from(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(s)
    }
}
