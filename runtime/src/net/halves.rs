//! The halves of a split stream, written once for TCP and Unix streams.
//!
//! Use them by their tokio names: [`tcp::ReadHalf`](crate::net::tcp::ReadHalf),
//! [`tcp::OwnedWriteHalf`](crate::net::tcp::OwnedWriteHalf),
//! [`unix::OwnedReadHalf`](crate::net::unix::OwnedReadHalf) and so on are
//! these types for one stream type each.

use std::io;
use std::net::Shutdown;
use std::sync::Arc;

use super::socket::{impl_read, impl_write, Io, StreamIo};
use crate::io::{Interest, Ready};

mod sealed {
    pub trait Sealed {}
}

/// A stream that can be split: [`TcpStream`](crate::net::TcpStream) or
/// [`UnixStream`](crate::net::UnixStream). Sealed: its crate-private
/// supertrait carries the reactor handle, which outside code can neither
/// name nor implement.
#[allow(private_bounds)]
pub trait Splittable: sealed::Sealed + StreamIo + std::fmt::Debug + 'static {
    /// The stream's address type.
    type Addr;
    /// The peer's address.
    fn peer_addr(&self) -> io::Result<Self::Addr>;
    /// The local address.
    fn local_addr(&self) -> io::Result<Self::Addr>;
    /// Shuts one or both directions down.
    #[doc(hidden)]
    fn shutdown_how(&self, how: Shutdown) -> io::Result<()>;
}

impl sealed::Sealed for super::TcpStream {}
impl sealed::Sealed for super::UnixStream {}

/// Borrowed reading half (`split`).
#[derive(Debug)]
pub struct ReadHalf<'a, S>(pub(crate) &'a S);

/// Borrowed writing half (`split`); `shutdown()` closes the stream's write
/// direction.
#[derive(Debug)]
pub struct WriteHalf<'a, S>(pub(crate) &'a S);

/// Owned reading half (`into_split`).
#[derive(Debug)]
pub struct OwnedReadHalf<S: Splittable> {
    inner: Arc<S>,
}

/// Owned writing half (`into_split`). Dropping it shuts the write
/// direction down, as in tokio, unless it is [`forget`](Self::forget)-ten.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: Splittable> {
    inner: Arc<S>,
    shutdown_on_drop: bool,
}

/// `reunite` was given halves of two different streams; they are handed
/// back.
#[derive(Debug)]
pub struct ReuniteError<S: Splittable>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: Splittable> std::fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl<S: Splittable> std::error::Error for ReuniteError<S> {}

/// Owned halves of `s`.
pub(crate) fn into_split<S: Splittable>(s: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let rc = Arc::new(s);
    (
        OwnedReadHalf { inner: rc.clone() },
        OwnedWriteHalf {
            inner: rc,
            shutdown_on_drop: true,
        },
    )
}

fn reunite<S: Splittable>(
    r: OwnedReadHalf<S>,
    mut w: OwnedWriteHalf<S>,
) -> Result<S, ReuniteError<S>> {
    if !Arc::ptr_eq(&r.inner, &w.inner) {
        return Err(ReuniteError(r, w));
    }
    w.shutdown_on_drop = false;
    drop(w);
    Ok(Arc::try_unwrap(r.inner).expect("the write half was just dropped"))
}

impl<S: Splittable> OwnedReadHalf<S> {
    /// Puts the halves back into one stream; fails (returning both) if
    /// they come from different streams.
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        reunite(self, other)
    }
}

impl<S: Splittable> OwnedWriteHalf<S> {
    /// Puts the halves back into one stream (see [`OwnedReadHalf::reunite`]).
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        reunite(other, self)
    }

    /// Drops the half without shutting the write direction down.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }
}

impl<S: Splittable> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.inner.shutdown_how(Shutdown::Write);
        }
    }
}

/// Access to the stream behind a half.
trait Half {
    type Stream: Splittable;
    fn stream(&self) -> &Self::Stream;
}

impl<S: Splittable> Half for ReadHalf<'_, S> {
    type Stream = S;
    fn stream(&self) -> &S {
        self.0
    }
}

impl<S: Splittable> Half for WriteHalf<'_, S> {
    type Stream = S;
    fn stream(&self) -> &S {
        self.0
    }
}

impl<S: Splittable> Half for OwnedReadHalf<S> {
    type Stream = S;
    fn stream(&self) -> &S {
        &self.inner
    }
}

impl<S: Splittable> Half for OwnedWriteHalf<S> {
    type Stream = S;
    fn stream(&self) -> &S {
        &self.inner
    }
}

/// Methods both kinds of reading half have (as on the stream itself).
macro_rules! reading {
    ($($t:tt)*) => {
        impl<$($t)*> {
            /// The peer's address.
            pub fn peer_addr(&self) -> io::Result<S::Addr> {
                self.stream().peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<S::Addr> {
                self.stream().local_addr()
            }

            /// Waits until a direction in `interest` is ready (see the
            /// stream's `ready`).
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                super::socket::ready(self.stream().io(), interest).await
            }

            /// Waits until a read would not block.
            pub async fn readable(&self) -> io::Result<()> {
                self.ready(Interest::READABLE).await.map(drop)
            }

            /// Reads what is there now, without waiting.
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                super::socket::try_recv(self.stream().io(), buf)
            }

            /// Reads into `buf`'s spare capacity, without waiting.
            pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
                super::socket::try_recv_buf(self.stream().io(), buf)
            }
        }
    };
}

/// Methods both kinds of writing half have.
macro_rules! writing {
    ($($t:tt)*) => {
        impl<$($t)*> {
            /// The peer's address.
            pub fn peer_addr(&self) -> io::Result<S::Addr> {
                self.stream().peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<S::Addr> {
                self.stream().local_addr()
            }

            /// Waits until a direction in `interest` is ready.
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                super::socket::ready(self.stream().io(), interest).await
            }

            /// Waits until a write would not block.
            pub async fn writable(&self) -> io::Result<()> {
                self.ready(Interest::WRITABLE).await.map(drop)
            }

            /// Writes what fits now, without waiting.
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                super::socket::try_send(self.stream().io(), buf)
            }
        }
    };
}

reading!(S: Splittable> ReadHalf<'_, S);
reading!(S: Splittable> OwnedReadHalf<S);
writing!(S: Splittable> WriteHalf<'_, S);
writing!(S: Splittable> OwnedWriteHalf<S);

impl<S: Splittable> AsRef<S> for ReadHalf<'_, S> {
    /// The stream both halves share.
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S: Splittable> AsRef<S> for WriteHalf<'_, S> {
    /// The stream both halves share.
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S: Splittable> AsRef<S> for OwnedReadHalf<S> {
    /// The stream both halves share.
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: Splittable> AsRef<S> for OwnedWriteHalf<S> {
    /// The stream both halves share.
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: Splittable> StreamIo for ReadHalf<'_, S> {
    fn io(&self) -> &Io {
        self.0.io()
    }
}

impl<S: Splittable> StreamIo for WriteHalf<'_, S> {
    fn io(&self) -> &Io {
        self.0.io()
    }
}

impl<S: Splittable> StreamIo for OwnedReadHalf<S> {
    fn io(&self) -> &Io {
        self.inner.io()
    }
}

impl<S: Splittable> StreamIo for OwnedWriteHalf<S> {
    fn io(&self) -> &Io {
        self.inner.io()
    }
}

impl_read!(['a, S: Splittable] ReadHalf<'a, S>);
impl_write!(['a, S: Splittable] WriteHalf<'a, S>);
impl_read!([S: Splittable] OwnedReadHalf<S>);
impl_write!([S: Splittable] OwnedWriteHalf<S>);
