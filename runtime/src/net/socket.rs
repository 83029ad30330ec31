//! The socket fd shared by every socket type, and the operations they
//! have in common.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use crate::io::evented::Evented;
use crate::io::{Interest, Ready};
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

/// `fd` as a socket of the current runtime; fails (closing it) once that
/// runtime is shut down, as tokio's registration does.
pub(crate) fn new_io(fd: OwnedFd) -> io::Result<Io> {
    crate::runtime::shutdown::check()?;
    Ok(Evented::new(Sock(fd)))
}

/// A connection just accepted, as a socket of the current runtime,
/// assumed readable and writable (as tokio assumes since 1.54): its first
/// read and write try the system call instead of waiting for the poller's
/// first report, which for data queued before the accept would come a
/// turn later. An operation that finds it blocked clears the assumption.
pub(crate) fn new_accepted_io(fd: OwnedFd) -> io::Result<Io> {
    let io = new_io(fd)?;
    assume_ready(&io, &[Direction::Read, Direction::Write]);
    Ok(io)
}

/// One end of a new socket pair, assumed writable (and, as nothing can
/// have been sent to it yet, not readable).
pub(crate) fn new_paired_io(fd: OwnedFd) -> io::Result<Io> {
    let io = new_io(fd)?;
    assume_ready(&io, &[Direction::Write]);
    Ok(io)
}

fn assume_ready(io: &Io, dirs: &[Direction]) {
    let fd = io.fd();
    crate::runtime::try_with_reactor(|r| dirs.iter().for_each(|&dir| r.assume_ready(fd, dir)));
}

/// Completes a connect that `sys::net::connect*` left under way.
pub(crate) async fn finish_connect(io: &Io, done: bool) -> io::Result<()> {
    if done {
        // Connected at once: writable, as a connect that waited has seen.
        assume_ready(io, &[Direction::Write]);
    } else {
        wait_connected(io).await?;
    }
    Ok(())
}

async fn wait_connected(io: &Io) -> io::Result<()> {
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

/// A byte stream's receive (see [`Evented::poll_stream_io`]).
pub(crate) fn poll_stream_recv(
    io: &Io,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let len = buf.len();
    io.poll_stream_io(cx, Direction::Read, len, |s| {
        sys::net::recv(&s.0, buf, false)
    })
}

/// A byte stream's send (see [`Evented::poll_stream_io`]).
pub(crate) fn poll_stream_send(
    io: &Io,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    io.poll_stream_io(cx, Direction::Write, buf.len(), |s| {
        sys::net::send(&s.0, buf)
    })
}

/// A byte stream's gathering send of `bufs`, in order, in one call.
pub(crate) fn poll_stream_send_vectored(
    io: &Io,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    let len = bufs.iter().map(|b| b.len()).sum();
    io.poll_stream_io(cx, Direction::Write, len, |s| {
        sys::net::send_vectored(&s.0, bufs)
    })
}

/// A byte stream's receive straight into `buf`'s unfilled part, never
/// zeroing it first.
pub(crate) fn poll_recv_buf(
    io: &Io,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: `recv` only writes into the slice; exactly the `n` bytes it
    // reports are then marked initialised and filled.
    let dst = unsafe { crate::io::unfilled(buf) };
    let n = std::task::ready!(poll_stream_recv(io, cx, dst))?;
    // SAFETY: the kernel (or host) wrote `n` bytes.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Runs a receive `op` on `buf`'s unfilled part and fills the bytes it
/// reports; passes on what else it returns (a datagram's source).
pub(crate) fn fill_read_buf<T>(
    buf: &mut ReadBuf<'_>,
    op: impl FnOnce(&mut [u8]) -> io::Result<(usize, T)>,
) -> io::Result<T> {
    // SAFETY: a receive only writes into the slice; exactly the `n` bytes
    // it reports are then marked initialised and filled.
    let (n, extra) = op(unsafe { crate::io::unfilled(buf) })?;
    // SAFETY: `n` bytes were written.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(extra)
}

/// Runs a receive `op` on `buf`'s spare capacity and claims the bytes it
/// reports.
pub(crate) fn fill_buf_mut<B: bytes::BufMut, T>(
    buf: &mut B,
    op: impl FnOnce(&mut [u8]) -> io::Result<(usize, T)>,
) -> io::Result<(usize, T)> {
    let chunk = buf.chunk_mut();
    // SAFETY: a receive only writes into the slice; exactly the `n` bytes
    // it reports are then claimed with `advance_mut`.
    let dst = unsafe { std::slice::from_raw_parts_mut(chunk.as_mut_ptr(), chunk.len()) };
    let (n, extra) = op(dst)?;
    // SAFETY: `n` bytes of the chunk were written.
    unsafe { buf.advance_mut(n) };
    Ok((n, extra))
}

/// One receive without waiting (`WouldBlock` if nothing is there).
pub(crate) fn try_recv(io: &Io, buf: &mut [u8]) -> io::Result<usize> {
    io.try_io(Direction::Read, |s| sys::net::recv(&s.0, buf, false))
}

/// One receive into `buf`'s spare capacity, without waiting.
pub(crate) fn try_recv_buf<B: bytes::BufMut>(io: &Io, buf: &mut B) -> io::Result<usize> {
    fill_buf_mut(buf, |dst| Ok((try_recv(io, dst)?, ()))).map(|(n, ())| n)
}

/// Receives a datagram into `buf`'s spare capacity once the socket is
/// readable (`recv_buf` on every datagram socket).
pub(crate) async fn recv_buf<B: bytes::BufMut>(io: &Io, buf: &mut B) -> io::Result<usize> {
    recv_buf_from(io, buf, |s, dst| {
        Ok((sys::net::recv(&s.0, dst, false)?, ()))
    })
    .await
    .map(|(n, ())| n)
}

/// Receives a datagram with `recv` into `buf`'s spare capacity once the
/// socket is readable; what `recv` says of the sender comes back with
/// the length (`recv_buf_from` on UDP and Unix datagram sockets).
pub(crate) async fn recv_buf_from<B: bytes::BufMut, A>(
    io: &Io,
    buf: &mut B,
    recv: impl Fn(&Sock, &mut [u8]) -> io::Result<(usize, A)>,
) -> io::Result<(usize, A)> {
    std::future::poll_fn(|cx| {
        io.poll_io(cx, Direction::Read, |s| {
            fill_buf_mut(buf, |dst| recv(s, dst))
        })
    })
    .await
}

/// [`recv_buf_from`] without waiting (`WouldBlock` if nothing is there).
pub(crate) fn try_recv_buf_from<B: bytes::BufMut, A>(
    io: &Io,
    buf: &mut B,
    recv: impl Fn(&Sock, &mut [u8]) -> io::Result<(usize, A)>,
) -> io::Result<(usize, A)> {
    io.try_io(Direction::Read, |s| fill_buf_mut(buf, |dst| recv(s, dst)))
}

/// One send without waiting.
pub(crate) fn try_send(io: &Io, buf: &[u8]) -> io::Result<usize> {
    io.try_io(Direction::Write, |s| sys::net::send(&s.0, buf))
}

/// One scattering receive into `bufs`, without waiting.
pub(crate) fn try_recv_vectored(io: &Io, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
    io.try_io(Direction::Read, |s| sys::net::recv_vectored(&s.0, bufs))
}

/// One gathering send of `bufs`, without waiting.
pub(crate) fn try_send_vectored(io: &Io, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    io.try_io(Direction::Write, |s| sys::net::send_vectored(&s.0, bufs))
}

/// Waits until any direction in `interest` is ready.
pub(crate) async fn ready(io: &Io, interest: Interest) -> io::Result<Ready> {
    std::future::poll_fn(|cx| poll_ready(io, cx, interest)).await
}

/// Polls the readiness of `interest`: ready as soon as one of its
/// directions is (a wake-up alone is not readiness).
pub(crate) fn poll_ready(
    io: &Io,
    cx: &mut Context<'_>,
    interest: Interest,
) -> Poll<io::Result<Ready>> {
    let mut ready = Ready::EMPTY;
    let (read_closed, write_closed) = crate::runtime::with_reactor(|r| r.closed(io.fd()));
    if interest.is_readable() && io.poll_ready(cx, Direction::Read)?.is_ready() {
        ready |= Ready::READABLE;
        if read_closed {
            ready |= Ready::READ_CLOSED;
        }
    }
    if interest.is_writable() && io.poll_ready(cx, Direction::Write)?.is_ready() {
        ready |= Ready::WRITABLE;
        if write_closed {
            ready |= Ready::WRITE_CLOSED;
        }
    }
    if ready.is_empty() {
        Poll::Pending
    } else {
        Poll::Ready(Ok(ready))
    }
}

/// The directions of `interest`.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    [
        (interest.is_readable(), Direction::Read),
        (interest.is_writable(), Direction::Write),
    ]
    .into_iter()
    .filter_map(|(wanted, dir)| wanted.then_some(dir))
}

/// Runs `f`, an operation on the socket made outside wasio, if the reactor
/// holds a direction of `interest` ready (else `WouldBlock`); a
/// `WouldBlock` from `f` clears that readiness, so the next wait waits.
pub(crate) fn try_io<R>(
    io: &Io,
    interest: Interest,
    f: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    let fd = io.fd();
    let mut ready = false;
    crate::runtime::try_with_reactor(|r| {
        ready = directions(interest).any(|dir| r.is_ready(fd, dir));
    });
    if !ready {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    let result = f();
    if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
        crate::runtime::try_with_reactor(|r| {
            directions(interest).for_each(|dir| r.clear_ready(fd, dir))
        });
    }
    result
}

/// Waits until a direction of `interest` is ready and runs `f`, again
/// after each `WouldBlock` (which clears that readiness).
pub(crate) async fn async_io<R>(
    io: &Io,
    interest: Interest,
    mut f: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    loop {
        ready(io, interest).await?;
        match try_io(io, interest, &mut f) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

/// What a stream type offers its I/O trait impls.
pub(crate) trait StreamIo {
    /// The registered socket.
    fn io(&self) -> &Io;
}

/// tokio's `AsyncRead` (and with the `futures-io` feature, futures')
/// for a type implementing [`StreamIo`].
macro_rules! impl_read {
    ([$($g:tt)*] $t:ty) => {
        impl<$($g)*> tokio::io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::socket::poll_recv_buf(
                    $crate::net::socket::StreamIo::io(&*self),
                    cx,
                    buf,
                )
            }
        }

        #[cfg(feature = "futures-io")]
        impl<$($g)*> futures_io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_stream_recv(
                    $crate::net::socket::StreamIo::io(&*self),
                    cx,
                    buf,
                )
            }
        }
    };
}
pub(crate) use impl_read;

/// tokio's `AsyncWrite` (and futures' with the `futures-io` feature) for a
/// type implementing [`StreamIo`]; `shutdown`/`close` shuts the write
/// direction down (the peer reads EOF).
macro_rules! impl_write {
    ([$($g:tt)*] $t:ty) => {
        impl<$($g)*> tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_stream_send($crate::net::socket::StreamIo::io(&*self), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_stream_send_vectored(
                    $crate::net::socket::StreamIo::io(&*self),
                    cx,
                    bufs,
                )
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::socket::shutdown_write(
                    $crate::net::socket::StreamIo::io(&*self),
                ))
            }
        }

        #[cfg(feature = "futures-io")]
        impl<$($g)*> futures_io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_stream_send($crate::net::socket::StreamIo::io(&*self), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::socket::poll_stream_send_vectored(
                    $crate::net::socket::StreamIo::io(&*self),
                    cx,
                    bufs,
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::socket::shutdown_write(
                    $crate::net::socket::StreamIo::io(&*self),
                ))
            }
        }
    };
}
pub(crate) use impl_write;

/// Shuts the write direction down; already-disconnected is fine.
pub(crate) fn shutdown_write(io: &Io) -> io::Result<()> {
    match sys::net::shutdown(&io.get_ref().0, std::net::Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        r => r,
    }
}

/// `ready`, `readable`, `writable`, `poll_read_ready` and
/// `poll_write_ready` for a socket type with an `io: Io` field, as tokio
/// has them on every socket type.
macro_rules! readiness_methods {
    () => {
        /// Waits until a direction in `interest` is ready. Being woken is
        /// not enough: the answer comes from the reactor's readiness, which
        /// an operation that finds the socket blocked clears.
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> std::io::Result<$crate::io::Ready> {
            $crate::net::socket::ready(&self.io, interest).await
        }

        /// Waits until a read would not block (as far as the reactor
        /// knows: a `try_` read may still say `WouldBlock`; then wait
        /// again).
        pub async fn readable(&self) -> std::io::Result<()> {
            self.ready($crate::io::Interest::READABLE).await.map(drop)
        }

        /// Waits until a write would not block.
        pub async fn writable(&self) -> std::io::Result<()> {
            self.ready($crate::io::Interest::WRITABLE).await.map(drop)
        }

        /// Runs `f`, an operation on this socket made outside wasio (say
        /// through socket2), if the reactor holds a direction of `interest`
        /// ready, else fails with `WouldBlock` without calling it. A
        /// `WouldBlock` from `f` clears that readiness, so a later
        /// `ready`/`readable` waits for the poller: `f` must say
        /// `WouldBlock` only when the socket would block.
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            $crate::net::socket::try_io(&self.io, interest, f)
        }

        /// Waits for `interest` and runs `f` as [`try_io`](Self::try_io)
        /// does, until it does not say `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            $crate::net::socket::async_io(&self.io, interest, f).await
        }

        /// Polls read readiness.
        pub fn poll_read_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io.poll_ready(cx, $crate::sys::Direction::Read)
        }

        /// Polls write readiness.
        pub fn poll_write_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io.poll_ready(cx, $crate::sys::Direction::Write)
        }
    };
}
pub(crate) use readiness_methods;

/// `try_read`, `try_read_buf` and `try_write` for a stream type with an
/// `io: Io` field.
///
/// A typical loop (shown for `TcpStream`):
///
/// ```no_run
/// # async fn f(s: wasio::net::TcpStream) -> std::io::Result<()> {
/// let mut buf = [0u8; 4096];
/// loop {
///     s.readable().await?;
///     match s.try_read(&mut buf) {
///         Ok(0) => break,
///         Ok(n) => println!("got {n} bytes"),
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(()) }
/// ```
macro_rules! stream_try_methods {
    () => {
        /// Reads what is there now, without waiting (`WouldBlock` if
        /// nothing is). See `readable` for the usual loop.
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            $crate::net::socket::try_recv(&self.io, buf)
        }

        /// Reads what is there now into `bufs`, in order, in one receive,
        /// without waiting (`WouldBlock` if nothing is).
        pub fn try_read_vectored(
            &self,
            bufs: &mut [std::io::IoSliceMut<'_>],
        ) -> std::io::Result<usize> {
            $crate::net::socket::try_recv_vectored(&self.io, bufs)
        }

        /// Reads into `buf`'s spare capacity, without waiting.
        pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            $crate::net::socket::try_recv_buf(&self.io, buf)
        }

        /// Writes what fits now, without waiting (`WouldBlock` if nothing
        /// does).
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            $crate::net::socket::try_send(&self.io, buf)
        }

        /// Writes what fits now of `bufs`, in order, in one send, without
        /// waiting (`WouldBlock` if nothing fits).
        pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            $crate::net::socket::try_send_vectored(&self.io, bufs)
        }
    };
}
pub(crate) use stream_try_methods;

/// tokio's `set_tos_v4`/`tos_v4`/`set_tclass_v6`/`tclass_v6` for a
/// socket type with an `fd()` method: natively only, as in tokio (which
/// has none of them on WASI).
macro_rules! traffic_class_methods {
    () => {
        /// Sets `IP_TOS`, the type-of-service byte of the IPv4 packets
        /// this socket sends (not on WASI).
        #[cfg(not(target_os = "wasi"))]
        pub fn set_tos_v4(&self, tos: u32) -> std::io::Result<()> {
            $crate::sys::net::set_tos_v4(self.fd(), tos)
        }

        /// `IP_TOS` (not on WASI).
        #[cfg(not(target_os = "wasi"))]
        pub fn tos_v4(&self) -> std::io::Result<u32> {
            $crate::sys::net::tos_v4(self.fd())
        }

        /// Sets `IPV6_TCLASS`, the traffic class of the IPv6 packets this
        /// socket sends (not on WASI).
        #[cfg(not(target_os = "wasi"))]
        pub fn set_tclass_v6(&self, tclass: u32) -> std::io::Result<()> {
            $crate::sys::net::set_tclass_v6(self.fd(), tclass)
        }

        /// `IPV6_TCLASS` (not on WASI).
        #[cfg(not(target_os = "wasi"))]
        pub fn tclass_v6(&self) -> std::io::Result<u32> {
            $crate::sys::net::tclass_v6(self.fd())
        }
    };
}
pub(crate) use traffic_class_methods;

/// `AsRawFd` and `AsFd` for a socket type with an `io: Io` field.
macro_rules! impl_fd {
    ($t:ty) => {
        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io.fd()
            }
        }

        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.io.get_ref().0)
            }
        }
    };
}
pub(crate) use impl_fd;
