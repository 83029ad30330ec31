//! `wasi:io/streams` for components: a TCP connection's input and output
//! streams are wasio's own ([`TcpIn`], [`TcpOut`]), one non-blocking
//! system call per read or write, readiness from the instance's reactor.
//! Every other stream (files, stdio) is wasmtime-wasi's, and its calls go
//! to wasmtime-wasi unchanged.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::io::Errno;
use rustix::net::{RecvFlags, SendFlags};
use wasmtime::component::{Resource, ResourceTable};
use wasmtime::Result;
use wasmtime_wasi::p2::bindings::io::streams::{self, HostInputStream, HostOutputStream};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, StreamError, StreamResult};

use super::io::{is, ours, Io, Wait};
use crate::wasi::reactor::{Direction, Reactor};

/// The most one read returns, and what `check-write` permits at once.
const CHUNK: usize = 64 * 1024;

/// A host error that ends the guest.
fn trap(e: impl Into<wasmtime::Error>) -> StreamError {
    StreamError::Trap(e.into())
}

/// Why a stream can do no more.
fn failed(e: Errno) -> StreamError {
    match e {
        Errno::PIPE | Errno::NOTCONN => StreamError::Closed,
        e => StreamError::LastOperationFailed(wasmtime::Error::from(std::io::Error::from(e))),
    }
}

/// The reading half of a connection.
pub(crate) struct TcpIn {
    fd: Arc<OwnedFd>,
    token: mio::Token,
    /// The peer closed its half (or the connection failed): reads end.
    done: bool,
}

impl TcpIn {
    pub(crate) fn new(fd: Arc<OwnedFd>, token: mio::Token) -> Self {
        Self {
            fd,
            token,
            done: false,
        }
    }

    /// Reads what is there, up to `len` bytes; empty when nothing is.
    /// Received into `scratch` (the instance's one buffer), so only the
    /// bytes read are allocated. No system call while the reactor knows
    /// the socket has nothing: the readiness is edge-triggered, so a
    /// read that drained the socket (a short one, or `AGAIN`) clears it,
    /// and the next byte to arrive sets it again.
    fn read(
        &mut self,
        reactor: &mut Reactor,
        scratch: &mut Vec<u8>,
        len: usize,
    ) -> StreamResult<Vec<u8>> {
        if self.done {
            return Err(StreamError::Closed);
        }
        if len == 0 || !reactor.readiness(self.token).is_ready(Direction::Read) {
            return Ok(Vec::new());
        }
        let want = len.min(CHUNK);
        scratch.clear();
        scratch.reserve(want);
        loop {
            match rustix::net::recv(
                &*self.fd,
                &mut scratch.spare_capacity_mut()[..want],
                RecvFlags::empty(),
            ) {
                Ok(((&mut [], _), _)) => {
                    self.done = true;
                    return Err(StreamError::Closed);
                }
                Ok(((got, _), _)) => {
                    if got.len() < want {
                        reactor.clear(self.token, Direction::Read);
                    }
                    return Ok(got.to_vec());
                }
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => {
                    reactor.clear(self.token, Direction::Read);
                    return Ok(Vec::new());
                }
                Err(e) => {
                    self.done = true;
                    return Err(failed(e));
                }
            }
        }
    }
}

/// The writing half of a connection. A write the kernel takes only part
/// of keeps the rest here, and `check-write` permits nothing more until
/// it is sent.
pub(crate) struct TcpOut {
    fd: Arc<OwnedFd>,
    token: mio::Token,
    pending: Vec<u8>,
    /// How much of `pending` is sent.
    sent: usize,
    /// Why writing can no longer succeed.
    error: Option<Errno>,
}

impl TcpOut {
    pub(crate) fn new(fd: Arc<OwnedFd>, token: mio::Token) -> Self {
        Self {
            fd,
            token,
            pending: Vec::new(),
            sent: 0,
            error: None,
        }
    }

    /// Sends what it can of `bytes`; returns how much was sent.
    fn send(&mut self, reactor: &mut Reactor, bytes: &[u8]) -> usize {
        let mut off = 0;
        while off < bytes.len() {
            match rustix::net::send(&*self.fd, &bytes[off..], SendFlags::NOSIGNAL) {
                Ok(n) => off += n,
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => {
                    reactor.clear(self.token, Direction::Write);
                    break;
                }
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        off
    }

    /// Sends held bytes if the socket can take them. Whether nothing is
    /// left to send (all sent, or never can be).
    pub(crate) fn flush_now(&mut self, reactor: &mut Reactor) -> bool {
        if self.sent == self.pending.len() || self.error.is_some() {
            return true;
        }
        if !reactor.readiness(self.token).is_ready(Direction::Write) {
            return false;
        }
        let rest = std::mem::take(&mut self.pending);
        self.sent += self.send(reactor, &rest[self.sent..]);
        self.pending = rest;
        if self.sent == self.pending.len() {
            self.pending.clear();
            self.sent = 0;
            return true;
        }
        self.error.is_some()
    }

    /// Whether `check-write` would permit bytes now (or fail).
    pub(crate) fn permits(&mut self, reactor: &mut Reactor) -> bool {
        self.flush_now(reactor)
            && (self.error.is_some() || reactor.readiness(self.token).is_ready(Direction::Write))
    }

    /// Lets go of the registration once nothing else holds the fd.
    pub(crate) fn close(&mut self, reactor: &mut Reactor) {
        if Arc::strong_count(&self.fd) == 1 {
            reactor.forget(self.token);
        }
    }

    fn check_write(&mut self, reactor: &mut Reactor) -> StreamResult<usize> {
        let drained = self.flush_now(reactor);
        if let Some(e) = self.error {
            return Err(failed(e));
        }
        if !drained || !reactor.readiness(self.token).is_ready(Direction::Write) {
            return Ok(0);
        }
        Ok(CHUNK)
    }

    fn write(&mut self, reactor: &mut Reactor, bytes: &[u8]) -> StreamResult<()> {
        if let Some(e) = self.error {
            return Err(failed(e));
        }
        if self.sent != self.pending.len() {
            return Err(StreamError::trap(
                "write without a permit: check-write said to wait",
            ));
        }
        if bytes.len() > CHUNK {
            return Err(StreamError::trap("write larger than check-write permitted"));
        }
        let n = self.send(reactor, bytes);
        if n < bytes.len() && self.error.is_none() {
            self.pending.clear();
            self.pending.extend_from_slice(&bytes[n..]);
            self.sent = 0;
        }
        match self.error {
            Some(e) => Err(failed(e)),
            None => Ok(()),
        }
    }
}

impl Io<'_> {
    fn tcp_in(&mut self, rep: u32) -> Result<&mut TcpIn> {
        Ok(self.table.get_mut(&Resource::<TcpIn>::new_borrow(rep))?)
    }

    fn tcp_out(&mut self, rep: u32) -> Result<&mut TcpOut> {
        Ok(self.table.get_mut(&Resource::<TcpOut>::new_borrow(rep))?)
    }

    /// Reads from wasio's stream at `rep`, waiting for bytes if `block`.
    fn read_tcp(&mut self, rep: u32, len: u64, block: bool) -> StreamResult<Vec<u8>> {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        loop {
            let token = {
                let state = &mut *self.state;
                let input = self
                    .table
                    .get_mut(&Resource::<TcpIn>::new_borrow(rep))
                    .map_err(trap)?;
                let bytes = input.read(&mut state.reactor, &mut state.scratch, len)?;
                if !bytes.is_empty() || !block || len == 0 {
                    return Ok(bytes);
                }
                input.token
            };
            self.wait(&[(0, Wait::Readable(token))]).map_err(trap)?;
        }
    }

    /// Waits until wasio's output stream at `rep` has sent all it holds.
    fn flush_tcp(&mut self, rep: u32) -> StreamResult<()> {
        self.wait(&[(0, Wait::Writable(rep))]).map_err(trap)?;
        match self.tcp_out(rep).map_err(trap)?.error {
            Some(e) => Err(failed(e)),
            None => Ok(()),
        }
    }

    /// Waits until wasio's output stream at `rep` permits a write.
    fn write_ready_tcp(&mut self, rep: u32) -> StreamResult<usize> {
        loop {
            let reactor = &mut self.state.reactor;
            let out = self
                .table
                .get_mut(&Resource::<TcpOut>::new_borrow(rep))
                .map_err(trap)?;
            let n = out.check_write(reactor)?;
            if n > 0 {
                return Ok(n);
            }
            self.wait(&[(0, Wait::Writable(rep))]).map_err(trap)?;
        }
    }
}

impl streams::Host for Io<'_> {
    fn convert_stream_error(&mut self, err: StreamError) -> Result<streams::StreamError> {
        streams::Host::convert_stream_error(&mut *self.table, err)
    }
}

fn table<'a>(io: &'a mut Io<'_>) -> &'a mut ResourceTable {
    io.table
}

impl HostInputStream for Io<'_> {
    async fn drop(&mut self, stream: Resource<DynInputStream>) -> Result<()> {
        if is::<TcpIn>(self.table, stream.rep()) {
            self.table
                .delete(Resource::<TcpIn>::new_own(stream.rep()))?;
            Ok(())
        } else {
            HostInputStream::drop(table(self), stream).await
        }
    }

    fn read(&mut self, stream: Resource<DynInputStream>, len: u64) -> StreamResult<Vec<u8>> {
        let state = &mut *self.state;
        match ours::<TcpIn>(self.table, stream.rep()) {
            Some(input) => {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                input.read(&mut state.reactor, &mut state.scratch, len)
            }
            None => HostInputStream::read(table(self), stream, len),
        }
    }

    async fn blocking_read(
        &mut self,
        stream: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        if is::<TcpIn>(self.table, stream.rep()) {
            self.read_tcp(stream.rep(), len, true)
        } else {
            HostInputStream::blocking_read(table(self), stream, len).await
        }
    }

    fn skip(&mut self, stream: Resource<DynInputStream>, len: u64) -> StreamResult<u64> {
        if is::<TcpIn>(self.table, stream.rep()) {
            Ok(self.read_tcp(stream.rep(), len, false)?.len() as u64)
        } else {
            HostInputStream::skip(table(self), stream, len)
        }
    }

    async fn blocking_skip(
        &mut self,
        stream: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        if is::<TcpIn>(self.table, stream.rep()) {
            Ok(self.read_tcp(stream.rep(), len, true)?.len() as u64)
        } else {
            HostInputStream::blocking_skip(table(self), stream, len).await
        }
    }

    fn subscribe(&mut self, stream: Resource<DynInputStream>) -> Result<Resource<DynPollable>> {
        if is::<TcpIn>(self.table, stream.rep()) {
            let token = self.tcp_in(stream.rep())?.token;
            self.pollable(Wait::Readable(token), Some(stream.rep()))
        } else {
            HostInputStream::subscribe(table(self), stream)
        }
    }
}

impl HostOutputStream for Io<'_> {
    async fn drop(&mut self, stream: Resource<DynOutputStream>) -> Result<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            let out = self
                .table
                .delete(Resource::<TcpOut>::new_own(stream.rep()))?;
            // Bytes the guest was told are written still go out.
            self.state.linger(out);
            Ok(())
        } else {
            HostOutputStream::drop(table(self), stream).await
        }
    }

    fn check_write(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<u64> {
        let reactor = &mut self.state.reactor;
        match ours::<TcpOut>(self.table, stream.rep()) {
            Some(out) => Ok(out.check_write(reactor)? as u64),
            None => HostOutputStream::check_write(table(self), stream),
        }
    }

    fn write(&mut self, stream: Resource<DynOutputStream>, bytes: Vec<u8>) -> StreamResult<()> {
        let reactor = &mut self.state.reactor;
        match ours::<TcpOut>(self.table, stream.rep()) {
            Some(out) => out.write(reactor, &bytes),
            None => HostOutputStream::write(table(self), stream, bytes),
        }
    }

    async fn blocking_write_and_flush(
        &mut self,
        stream: Resource<DynOutputStream>,
        bytes: Vec<u8>,
    ) -> StreamResult<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            if bytes.len() > 4096 {
                return Err(StreamError::trap(
                    "blocking-write-and-flush of more than 4096 bytes",
                ));
            }
            let rep = stream.rep();
            self.write_ready_tcp(rep)?;
            HostOutputStream::write(self, stream, bytes)?;
            self.flush_tcp(rep)
        } else {
            HostOutputStream::blocking_write_and_flush(table(self), stream, bytes).await
        }
    }

    fn flush(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            let reactor = &mut self.state.reactor;
            let out = self
                .table
                .get_mut(&Resource::<TcpOut>::new_borrow(stream.rep()))
                .map_err(trap)?;
            out.flush_now(reactor);
            match out.error {
                Some(e) => Err(failed(e)),
                None => Ok(()),
            }
        } else {
            HostOutputStream::flush(table(self), stream)
        }
    }

    async fn blocking_flush(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            self.flush_tcp(stream.rep())
        } else {
            HostOutputStream::blocking_flush(table(self), stream).await
        }
    }

    fn subscribe(&mut self, stream: Resource<DynOutputStream>) -> Result<Resource<DynPollable>> {
        if is::<TcpOut>(self.table, stream.rep()) {
            self.tcp_out(stream.rep())?;
            self.pollable(Wait::Writable(stream.rep()), Some(stream.rep()))
        } else {
            HostOutputStream::subscribe(table(self), stream)
        }
    }

    fn write_zeroes(&mut self, stream: Resource<DynOutputStream>, len: u64) -> StreamResult<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            let len = usize::try_from(len).unwrap_or(usize::MAX).min(CHUNK + 1);
            HostOutputStream::write(self, stream, vec![0; len])
        } else {
            HostOutputStream::write_zeroes(table(self), stream, len)
        }
    }

    async fn blocking_write_zeroes_and_flush(
        &mut self,
        stream: Resource<DynOutputStream>,
        len: u64,
    ) -> StreamResult<()> {
        if is::<TcpOut>(self.table, stream.rep()) {
            if len > 4096 {
                return Err(StreamError::trap(
                    "blocking-write-zeroes-and-flush of more than 4096 bytes",
                ));
            }
            HostOutputStream::blocking_write_and_flush(self, stream, vec![0; len as usize]).await
        } else {
            HostOutputStream::blocking_write_zeroes_and_flush(table(self), stream, len).await
        }
    }

    fn splice(
        &mut self,
        dst: Resource<DynOutputStream>,
        src: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        let ours = is::<TcpOut>(self.table, dst.rep()) || is::<TcpIn>(self.table, src.rep());
        if !ours {
            return HostOutputStream::splice(table(self), dst, src, len);
        }
        let permit = HostOutputStream::check_write(self, Resource::new_borrow(dst.rep()))?;
        let len = len.min(permit);
        if len == 0 {
            return Ok(0);
        }
        let bytes = HostInputStream::read(self, Resource::new_borrow(src.rep()), len)?;
        let n = bytes.len() as u64;
        if n > 0 {
            HostOutputStream::write(self, dst, bytes)?;
        }
        Ok(n)
    }

    async fn blocking_splice(
        &mut self,
        dst: Resource<DynOutputStream>,
        src: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        let ours = is::<TcpOut>(self.table, dst.rep()) || is::<TcpIn>(self.table, src.rep());
        if !ours {
            return HostOutputStream::blocking_splice(table(self), dst, src, len).await;
        }
        let permit = if is::<TcpOut>(self.table, dst.rep()) {
            self.write_ready_tcp(dst.rep())? as u64
        } else {
            HostOutputStream::check_write(self, Resource::new_borrow(dst.rep()))?.max(1)
        };
        let len = len.min(permit);
        if len == 0 {
            return Ok(0);
        }
        let bytes =
            HostInputStream::blocking_read(self, Resource::new_borrow(src.rep()), len).await?;
        let n = bytes.len() as u64;
        if n > 0 {
            HostOutputStream::blocking_write_and_flush(self, dst, bytes).await?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::os::fd::AsRawFd as _;
    use std::time::Duration;

    use super::super::io::IoState;
    use super::*;

    /// An output stream dropped while the kernel still refuses part of a
    /// write lingers: the held bytes reach the peer once it reads, then
    /// the connection closes (the peer sees the end).
    #[test]
    fn a_dropped_stream_still_delivers_what_it_held() {
        let mut state = IoState::for_tests();
        let (ours, mut peer) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let token = state.reactor.register(ours.as_raw_fd()).unwrap();
        let mut out = TcpOut::new(Arc::new(OwnedFd::from(ours)), token);
        state.reactor.turn(Some(Duration::ZERO)).unwrap();
        // Write, as the guest would after each check-write, until the
        // peer's buffer is full and the stream holds a remainder.
        let chunk: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
        let mut written = 0;
        while out.check_write(&mut state.reactor).unwrap() > 0 {
            out.write(&mut state.reactor, &chunk).unwrap();
            written += chunk.len();
        }
        assert!(out.sent < out.pending.len(), "nothing held back");
        state.linger(out);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        state.drain_lingering(Duration::from_secs(30));
        let got = reader.join().unwrap();
        assert_eq!(got.len(), written);
        assert!(got.chunks(CHUNK).all(|c| c == &chunk[..c.len()]));
    }
}
