//! Unix sockets, with tokio's API: [`UnixListener`], [`UnixStream`],
//! [`UnixDatagram`], [`UnixSocket`], and the halves of a split stream.
//!
//! Under `wasio run` a path names a socket under a preopened directory
//! (`wasio run --dir HOST::/sock` → `/sock/app.sock`); it cannot reach
//! anything outside those directories. The host does not carry socket
//! paths back to a guest (every [`SocketAddr`] is unnamed there), and has
//! no socket pairs and no datagrams sent to a path: `pair`, `send_to` and
//! `try_send_to` return [`Unsupported`](std::io::ErrorKind::Unsupported)
//! under `wasio run`. Natively all of it is the system's.

use std::path::{Path, PathBuf};

mod datagram;
mod listener;
mod socket;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socket::UnixSocket;
pub use stream::UnixStream;

/// The address of a Unix socket: a path, or unnamed (an unbound socket,
/// one end of a pair, and every address under `wasio run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketAddr {
    path: Option<PathBuf>,
}

impl SocketAddr {
    pub(crate) fn new(path: Option<PathBuf>) -> SocketAddr {
        SocketAddr { path }
    }

    /// Whether the address has no path.
    pub fn is_unnamed(&self) -> bool {
        self.path.is_none()
    }

    /// The path the socket is bound to, if it has one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

/// Borrowed reading half of a [`UnixStream`] ([`UnixStream::split`]).
pub type ReadHalf<'a> = super::halves::ReadHalf<'a, UnixStream>;
/// Borrowed writing half of a [`UnixStream`] ([`UnixStream::split`]).
pub type WriteHalf<'a> = super::halves::WriteHalf<'a, UnixStream>;
/// Owned reading half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedReadHalf = super::halves::OwnedReadHalf<UnixStream>;
/// Owned writing half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedWriteHalf = super::halves::OwnedWriteHalf<UnixStream>;
/// Halves of two different streams given to `reunite`.
pub type ReuniteError = super::halves::ReuniteError<UnixStream>;

/// The path of a std Unix socket address, as tokio's `bind_addr` and
/// `connect_addr` take it (abstract names are refused).
#[cfg(unix)]
fn pathname(addr: &std::os::unix::net::SocketAddr) -> std::io::Result<&Path> {
    addr.as_pathname().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "only a Unix socket address with a path is supported",
        )
    })
}
