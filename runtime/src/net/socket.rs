//! The socket fd shared by every socket type, and the operations they
//! have in common.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use crate::io::evented::Evented;
use crate::sys::{self, Direction};

/// An owned, non-blocking socket fd.
#[derive(Debug)]
pub(crate) struct Sock(pub(crate) OwnedFd);

impl AsRawFd for Sock {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// A socket registered with the reactor.
pub(crate) type Io = Evented<Sock>;

pub(crate) fn new_io(fd: OwnedFd) -> Io {
    Evented::new(Sock(fd))
}

/// Completes a connect that `sys::net::connect*` left under way.
pub(crate) async fn finish_connect(io: &Io, done: bool) -> io::Result<()> {
    if done {
        return Ok(());
    }
    std::future::poll_fn(|cx| {
        io.poll_io(cx, Direction::Write, |s| {
            match sys::net::take_error(&s.0)? {
                Some(e) => Err(e),
                None => match sys::net::peer_addr(&s.0) {
                    Ok(_) => Ok(()),
                    // Not connected yet (or a Unix peer without an IP address).
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(_) => Ok(()),
                },
            }
        })
    })
    .await
}

pub(crate) fn poll_recv(io: &Io, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
    io.poll_io(cx, Direction::Read, |s| sys::net::recv(&s.0, buf, false))
}

pub(crate) fn poll_send(io: &Io, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    io.poll_io(cx, Direction::Write, |s| sys::net::send(&s.0, buf))
}

/// `AsyncRead`/`AsyncWrite` for a connected stream type with an `io: Io`
/// field and a `shutdown(&self, Shutdown)` method, both on the type and on
/// `&Type` (so reads and writes can run from two tasks at once).
macro_rules! stream_io {
    ($t:ty) => {
        impl futures_io::AsyncRead for &$t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_recv(&self.io, cx, buf)
            }
        }

        impl futures_io::AsyncWrite for &$t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_send(&self.io, cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts down the write direction (the peer reads EOF).
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(match self.shutdown(std::net::Shutdown::Write) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotConnected => Ok(()),
                    r => r,
                })
            }
        }

        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write(cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_close(cx)
            }
        }
    };
}
pub(crate) use stream_io;
