//! `wasi:sockets/tcp` for components: wasio's own sockets, non-blocking
//! fds registered in the instance's reactor (`io.rs`), every address put
//! to the policy before the system call that would use it.
//!
//! The state machine is WASI 0.2's: a socket is created unbound; it is
//! bound (`start-bind`/`finish-bind`), then listens, or it connects; each
//! two-phase operation is "in progress" between its start and its finish.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{
    self, ErrorCode, IpAddressFamily, IpSocketAddress, Network,
};
use wasmtime_wasi::p2::bindings::sockets::{tcp, tcp_create_socket};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, SocketError, SocketResult};

use super::io::{Io, Wait};
use super::streams::{TcpIn, TcpOut};
use crate::policy::Action;
use crate::wasi::reactor::Direction;

/// The type wasmtime-wasi's bindings name `tcp-socket` by; wasio's own
/// [`Tcp`] is what the table holds at that index.
type TcpHandle = wasmtime_wasi::p2::TcpSocket;

/// The listen backlog when the guest sets none (std's).
const DEFAULT_BACKLOG: u32 = 128;

/// Where a socket is in WASI 0.2's progression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Created, maybe bound.
    Open,
    /// `start-connect` was called.
    Connecting,
    /// Connected (or accepted); `streams` tells whether its streams were
    /// handed out.
    Connected,
    /// Listening.
    Listening,
    /// A connect failed; every later call gets this.
    Closed(ErrorCode),
}

/// A two-phase operation between its start and its finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Bind,
    Connect,
    Listen,
}

/// A component's TCP socket.
pub(crate) struct Tcp {
    fd: Arc<OwnedFd>,
    /// Its registration, from the connect, listen or accept on.
    token: Option<mio::Token>,
    family: IpAddressFamily,
    state: State,
    op: Option<Op>,
    bound: bool,
    backlog: u32,
    peer: Option<SocketAddr>,
    /// Accepted from a listener (counted for the drain at a stop signal).
    accepted: bool,
}

impl Tcp {
    fn new(fd: OwnedFd, family: IpAddressFamily) -> Self {
        Self {
            fd: Arc::new(fd),
            token: None,
            family,
            state: State::Open,
            op: None,
            bound: false,
            backlog: DEFAULT_BACKLOG,
            peer: None,
            accepted: false,
        }
    }

    /// Whether it listens.
    pub(crate) fn is_listening(&self) -> bool {
        self.state == State::Listening
    }

    /// What a pollable on this socket waits for: the registration and
    /// direction, or nothing (ready at once).
    pub(crate) fn waits_on(&self) -> Option<(mio::Token, Direction)> {
        match (self.state, self.token) {
            (State::Connecting, Some(t)) => Some((t, Direction::Write)),
            (State::Listening, Some(t)) => Some((t, Direction::Read)),
            _ => None,
        }
    }

    /// Ends the two-phase operation `op` (`finish-bind`, `finish-listen`).
    fn finish(&mut self, op: Op) -> SocketResult<()> {
        if self.op != Some(op) {
            return Err(ErrorCode::NotInProgress.into());
        }
        self.op = None;
        Ok(())
    }

    fn closed(&self) -> SocketResult<()> {
        match self.state {
            State::Closed(e) => Err(e.into()),
            _ => Ok(()),
        }
    }
}

fn family_of(ip: IpAddr, family: IpAddressFamily) -> bool {
    match (family, ip) {
        (IpAddressFamily::Ipv4, IpAddr::V4(_)) => true,
        // A v6 socket is v6-only: v4-mapped (and the deprecated
        // v4-compatible) addresses are refused, as WASI 0.2 says.
        (IpAddressFamily::Ipv6, IpAddr::V6(v6)) => {
            v6.to_ipv4_mapped().is_none() && !is_v4_compatible(v6)
        }
        _ => false,
    }
}

fn is_v4_compatible(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    s[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback()
}

fn unicast(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => !v4.is_multicast() && !v4.is_broadcast(),
        IpAddr::V6(v6) => !v6.is_multicast(),
    }
}

impl Io<'_> {
    fn tcp(&mut self, this: &Resource<TcpHandle>) -> SocketResult<&mut Tcp> {
        Ok(self
            .table
            .get_mut(&Resource::<Tcp>::new_borrow(this.rep()))?)
    }

    /// Whether the policy allows `action` on `addr` (a denial is logged
    /// naming the flag, as for modules).
    fn allows(&self, action: Action, addr: &SocketAddr) -> bool {
        self.state.net.allows(action, addr)
    }

    /// Registers `sock` in the reactor if it is not yet.
    fn register(&mut self, this: &Resource<TcpHandle>) -> SocketResult<mio::Token> {
        let sock = self
            .table
            .get_mut(&Resource::<Tcp>::new_borrow(this.rep()))?;
        if let Some(t) = sock.token {
            return Ok(t);
        }
        let t = self
            .state
            .reactor
            .register(std::os::fd::AsRawFd::as_raw_fd(&*sock.fd))?;
        sock.token = Some(t);
        Ok(t)
    }

    /// The streams of a connected socket, children of it in the table.
    fn streams(
        &mut self,
        this: &Resource<TcpHandle>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        let token = self.register(this)?;
        let fd = self.tcp(this)?.fd.clone();
        let parent = Resource::<Tcp>::new_borrow(this.rep());
        let input = self
            .table
            .push_child(TcpIn::new(fd.clone(), token), &parent)?;
        let output = self.table.push_child(TcpOut::new(fd, token), &parent)?;
        Ok((
            Resource::new_own(input.rep()),
            Resource::new_own(output.rep()),
        ))
    }
}

impl Io<'_> {
    /// Counts one more socket, or refuses it past `--max-fds`.
    fn take_socket(&mut self) -> SocketResult<()> {
        if self.state.sockets >= self.state.max_sockets {
            tracing::warn!(
                max = self.state.max_sockets,
                "a component's socket refused: --max-fds reached"
            );
            return Err(ErrorCode::NewSocketLimit.into());
        }
        self.state.sockets += 1;
        Ok(())
    }
}

impl tcp_create_socket::Host for Io<'_> {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> SocketResult<Resource<TcpHandle>> {
        self.take_socket()?;
        let made = self.make_socket(family);
        if made.is_err() {
            self.state.sockets -= 1;
        }
        made
    }
}

impl Io<'_> {
    fn make_socket(&mut self, family: IpAddressFamily) -> SocketResult<Resource<TcpHandle>> {
        let af = match family {
            IpAddressFamily::Ipv4 => AddressFamily::INET,
            IpAddressFamily::Ipv6 => AddressFamily::INET6,
        };
        let fd = rustix::net::socket_with(
            af,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?;
        if family == IpAddressFamily::Ipv6 {
            sockopt::set_ipv6_v6only(&fd, true)?;
        }
        let r = self.table.push(Tcp::new(fd, family))?;
        Ok(Resource::new_own(r.rep()))
    }
}

impl tcp::Host for Io<'_> {}

impl network::HostNetwork for Io<'_> {
    fn drop(&mut self, this: Resource<Network>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl network::Host for Io<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        error.downcast()
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime_wasi::p2::bindings::io::error::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(err.downcast_ref::<std::io::Error>().map(ErrorCode::from))
    }
}

/// Maps a failed system call to WASI's error code.
fn code(e: Errno) -> SocketError {
    SocketError::from(e)
}

impl tcp::HostTcpSocket for Io<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<TcpHandle>,
        network: Resource<Network>,
        local: IpSocketAddress,
    ) -> SocketResult<()> {
        self.table.get(&network)?;
        let addr = SocketAddr::from(local);
        let reuse_port = self.state.reuse_port;
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if sock.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        if sock.state != State::Open || sock.bound {
            return Err(ErrorCode::InvalidState.into());
        }
        if !unicast(addr.ip()) || !family_of(addr.ip(), sock.family) {
            return Err(ErrorCode::InvalidArgument.into());
        }
        let fd = sock.fd.clone();
        // Binding the any-address and port 0 only picks a port: what the
        // listen or connect after it does is what is checked.
        let implicit = addr.ip().is_unspecified() && addr.port() == 0;
        if !implicit && !self.allows(Action::Listen, &addr) {
            return Err(ErrorCode::AccessDenied.into());
        }
        // As std and tokio do for listeners: a restarted server can bind
        // its port while old connections are in TIME_WAIT.
        sockopt::set_socket_reuseaddr(&*fd, true)?;
        if reuse_port {
            sockopt::set_socket_reuseport(&*fd, true)?;
        }
        rustix::net::bind(&*fd, &addr).map_err(|e| match e {
            Errno::ADDRNOTAVAIL => ErrorCode::AddressNotBindable.into(),
            e => code(e),
        })?;
        let sock = self.tcp(&this)?;
        sock.bound = true;
        sock.op = Some(Op::Bind);
        Ok(())
    }

    fn finish_bind(&mut self, this: Resource<TcpHandle>) -> SocketResult<()> {
        self.tcp(&this)?.finish(Op::Bind)
    }

    fn start_connect(
        &mut self,
        this: Resource<TcpHandle>,
        network: Resource<Network>,
        remote: IpSocketAddress,
    ) -> SocketResult<()> {
        self.table.get(&network)?;
        let addr = SocketAddr::from(remote);
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if sock.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        if sock.state != State::Open {
            return Err(ErrorCode::InvalidState.into());
        }
        if !unicast(addr.ip())
            || addr.ip().to_canonical().is_unspecified()
            || addr.port() == 0
            || !family_of(addr.ip(), sock.family)
        {
            return Err(ErrorCode::InvalidArgument.into());
        }
        let fd = sock.fd.clone();
        if !self.allows(Action::Connect, &addr) {
            return Err(ErrorCode::AccessDenied.into());
        }
        let state = match rustix::net::connect(&*fd, &addr) {
            Ok(()) => State::Connected,
            Err(Errno::INPROGRESS) => State::Connecting,
            Err(e) => State::Closed(ErrorCode::from(e)),
        };
        let sock = self.tcp(&this)?;
        sock.state = state;
        sock.op = Some(Op::Connect);
        if state == State::Connecting {
            self.register(&this)?;
        }
        Ok(())
    }

    fn finish_connect(
        &mut self,
        this: Resource<TcpHandle>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        let sock = self.tcp(&this)?;
        if sock.op != Some(Op::Connect) {
            return Err(ErrorCode::NotInProgress.into());
        }
        if sock.state == State::Connecting {
            let (token, dir) = sock.waits_on().expect("registered at start");
            if !self.state.reactor.readiness(token).is_ready(dir) {
                self.state
                    .turn(Some(Duration::ZERO))
                    .map_err(SocketError::trap)?;
                if !self.state.reactor.readiness(token).is_ready(dir) {
                    return Err(ErrorCode::WouldBlock.into());
                }
            }
            let sock = self.tcp(&this)?;
            sock.state = match sockopt::socket_error(&*sock.fd)? {
                Ok(()) => State::Connected,
                Err(e) => State::Closed(ErrorCode::from(e)),
            };
        }
        let sock = self.tcp(&this)?;
        sock.op = None;
        sock.closed()?;
        self.streams(&this)
    }

    async fn start_listen(&mut self, this: Resource<TcpHandle>) -> SocketResult<()> {
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if sock.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        // In WASI 0.2 a socket is bound before it listens.
        if sock.state != State::Open || !sock.bound {
            return Err(ErrorCode::InvalidState.into());
        }
        let fd = sock.fd.clone();
        let backlog = sock.backlog;
        let local = rustix::net::getsockname(&*fd)?;
        let local = SocketAddr::try_from(local).map_err(|_| ErrorCode::InvalidState)?;
        if !self.allows(Action::Listen, &local) {
            return Err(ErrorCode::AccessDenied.into());
        }
        rustix::net::listen(&*fd, i32::try_from(backlog).unwrap_or(i32::MAX))?;
        let sock = self.tcp(&this)?;
        sock.state = State::Listening;
        sock.op = Some(Op::Listen);
        let fd = sock.fd.clone();
        self.state.listening(&fd);
        self.register(&this)?;
        self.state.mark_started();
        Ok(())
    }

    fn finish_listen(&mut self, this: Resource<TcpHandle>) -> SocketResult<()> {
        self.tcp(&this)?.finish(Op::Listen)
    }

    fn accept(
        &mut self,
        this: Resource<TcpHandle>,
    ) -> SocketResult<(
        Resource<TcpHandle>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        let sock = self.tcp(&this)?;
        if sock.state != State::Listening {
            return Err(ErrorCode::InvalidState.into());
        }
        let (fd, family, token) = (sock.fd.clone(), sock.family, sock.token);
        if self.state.stopping.is_some() {
            // Stopping: the listener is shut; nothing more comes.
            return Err(ErrorCode::WouldBlock.into());
        }
        // Past --max-fds the connection waits in the backlog.
        self.take_socket()?;
        let accepted = self.accept_one(&fd, token);
        if accepted.is_err() {
            self.state.sockets -= 1;
        }
        let (conn, peer) = accepted?;
        self.push_accepted(conn, peer, family)
    }

    fn local_address(&mut self, this: Resource<TcpHandle>) -> SocketResult<IpSocketAddress> {
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if !sock.bound && sock.state != State::Connected {
            return Err(ErrorCode::InvalidState.into());
        }
        let a = rustix::net::getsockname(&*sock.fd)?;
        let a = SocketAddr::try_from(a).map_err(|_| ErrorCode::InvalidState)?;
        Ok(a.into())
    }

    fn remote_address(&mut self, this: Resource<TcpHandle>) -> SocketResult<IpSocketAddress> {
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if sock.state != State::Connected {
            return Err(ErrorCode::InvalidState.into());
        }
        if let Some(p) = sock.peer {
            return Ok(p.into());
        }
        let a = rustix::net::getpeername(&*sock.fd)?.ok_or(ErrorCode::InvalidState)?;
        let a = SocketAddr::try_from(a).map_err(|_| ErrorCode::InvalidState)?;
        sock.peer = Some(a);
        Ok(a.into())
    }

    fn is_listening(&mut self, this: Resource<TcpHandle>) -> wasmtime::Result<bool> {
        Ok(self.tcp(&this).map_err(trap)?.state == State::Listening)
    }

    fn address_family(&mut self, this: Resource<TcpHandle>) -> wasmtime::Result<IpAddressFamily> {
        Ok(self.tcp(&this).map_err(trap)?.family)
    }

    fn set_listen_backlog_size(
        &mut self,
        this: Resource<TcpHandle>,
        value: u64,
    ) -> SocketResult<()> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument.into());
        }
        let value = u32::try_from(value)
            .unwrap_or(u32::MAX)
            .min(i32::MAX as u32);
        let sock = self.tcp(&this)?;
        sock.closed()?;
        match sock.state {
            State::Open => {
                sock.backlog = value;
                Ok(())
            }
            State::Listening => {
                rustix::net::listen(&*sock.fd, value as i32)
                    .map_err(|_| SocketError::from(ErrorCode::NotSupported))?;
                sock.backlog = value;
                Ok(())
            }
            _ => Err(ErrorCode::InvalidState.into()),
        }
    }

    fn keep_alive_enabled(&mut self, this: Resource<TcpHandle>) -> SocketResult<bool> {
        Ok(sockopt::socket_keepalive(&*self.tcp(&this)?.fd)?)
    }

    fn set_keep_alive_enabled(
        &mut self,
        this: Resource<TcpHandle>,
        value: bool,
    ) -> SocketResult<()> {
        Ok(sockopt::set_socket_keepalive(&*self.tcp(&this)?.fd, value)?)
    }

    fn keep_alive_idle_time(&mut self, this: Resource<TcpHandle>) -> SocketResult<u64> {
        Ok(nanos(sockopt::tcp_keepidle(&*self.tcp(&this)?.fd)?))
    }

    fn set_keep_alive_idle_time(&mut self, this: Resource<TcpHandle>, ns: u64) -> SocketResult<()> {
        let d = seconds(ns)?;
        Ok(sockopt::set_tcp_keepidle(&*self.tcp(&this)?.fd, d)?)
    }

    fn keep_alive_interval(&mut self, this: Resource<TcpHandle>) -> SocketResult<u64> {
        Ok(nanos(sockopt::tcp_keepintvl(&*self.tcp(&this)?.fd)?))
    }

    fn set_keep_alive_interval(&mut self, this: Resource<TcpHandle>, ns: u64) -> SocketResult<()> {
        let d = seconds(ns)?;
        Ok(sockopt::set_tcp_keepintvl(&*self.tcp(&this)?.fd, d)?)
    }

    fn keep_alive_count(&mut self, this: Resource<TcpHandle>) -> SocketResult<u32> {
        Ok(sockopt::tcp_keepcnt(&*self.tcp(&this)?.fd)?)
    }

    fn set_keep_alive_count(&mut self, this: Resource<TcpHandle>, value: u32) -> SocketResult<()> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument.into());
        }
        Ok(sockopt::set_tcp_keepcnt(&*self.tcp(&this)?.fd, value)?)
    }

    fn hop_limit(&mut self, this: Resource<TcpHandle>) -> SocketResult<u8> {
        let sock = self.tcp(&this)?;
        Ok(match sock.family {
            IpAddressFamily::Ipv4 => u8::try_from(sockopt::ip_ttl(&*sock.fd)?).unwrap_or(u8::MAX),
            IpAddressFamily::Ipv6 => sockopt::ipv6_unicast_hops(&*sock.fd)?,
        })
    }

    fn set_hop_limit(&mut self, this: Resource<TcpHandle>, value: u8) -> SocketResult<()> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument.into());
        }
        let sock = self.tcp(&this)?;
        match sock.family {
            IpAddressFamily::Ipv4 => sockopt::set_ip_ttl(&*sock.fd, value.into())?,
            IpAddressFamily::Ipv6 => sockopt::set_ipv6_unicast_hops(&*sock.fd, Some(value))?,
        }
        Ok(())
    }

    fn receive_buffer_size(&mut self, this: Resource<TcpHandle>) -> SocketResult<u64> {
        let kernel = sockopt::socket_recv_buffer_size(&*self.tcp(&this)?.fd)?;
        Ok(crate::wasi::buffer_size::reported(kernel))
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<TcpHandle>,
        value: u64,
    ) -> SocketResult<()> {
        let v = buffer_size(value)?;
        Ok(sockopt::set_socket_recv_buffer_size(
            &*self.tcp(&this)?.fd,
            v,
        )?)
    }

    fn send_buffer_size(&mut self, this: Resource<TcpHandle>) -> SocketResult<u64> {
        let kernel = sockopt::socket_send_buffer_size(&*self.tcp(&this)?.fd)?;
        Ok(crate::wasi::buffer_size::reported(kernel))
    }

    fn set_send_buffer_size(&mut self, this: Resource<TcpHandle>, value: u64) -> SocketResult<()> {
        let v = buffer_size(value)?;
        Ok(sockopt::set_socket_send_buffer_size(
            &*self.tcp(&this)?.fd,
            v,
        )?)
    }

    fn subscribe(&mut self, this: Resource<TcpHandle>) -> wasmtime::Result<Resource<DynPollable>> {
        self.tcp(&this).map_err(trap)?;
        self.pollable(Wait::Socket(this.rep()), Some(this.rep()))
    }

    fn shutdown(&mut self, this: Resource<TcpHandle>, how: tcp::ShutdownType) -> SocketResult<()> {
        let sock = self.tcp(&this)?;
        sock.closed()?;
        if sock.state != State::Connected {
            return Err(ErrorCode::InvalidState.into());
        }
        let how = match how {
            tcp::ShutdownType::Receive => rustix::net::Shutdown::Read,
            tcp::ShutdownType::Send => rustix::net::Shutdown::Write,
            tcp::ShutdownType::Both => rustix::net::Shutdown::Both,
        };
        match rustix::net::shutdown(&*sock.fd, how) {
            // The peer is gone already: nothing left to shut.
            Ok(()) | Err(Errno::NOTCONN) => Ok(()),
            Err(e) => Err(code(e)),
        }
    }

    fn drop(&mut self, this: Resource<TcpHandle>) -> wasmtime::Result<()> {
        let sock = self.table.delete(Resource::<Tcp>::new_own(this.rep()))?;
        if sock.accepted {
            self.state.accepted -= 1;
        }
        self.state.sockets -= 1;
        // A lingering output stream still holds the fd (and its
        // registration) until its bytes are sent.
        if let (Some(token), 1) = (sock.token, Arc::strong_count(&sock.fd)) {
            self.state.reactor.forget(token);
        }
        Ok(())
    }
}

fn trap(e: SocketError) -> wasmtime::Error {
    wasmtime::format_err!("{e:?}")
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A keep-alive time: whole seconds, at least one.
fn seconds(ns: u64) -> SocketResult<Duration> {
    if ns == 0 {
        return Err(ErrorCode::InvalidArgument.into());
    }
    let secs = ns.div_ceil(1_000_000_000).clamp(1, i32::MAX as u64);
    Ok(Duration::from_secs(secs))
}

fn buffer_size(value: u64) -> SocketResult<usize> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument.into());
    }
    // The kernel doubles what it is given; it also clamps.
    Ok(usize::try_from(value)
        .unwrap_or(usize::MAX)
        .min(i32::MAX as usize / 2))
}

impl Io<'_> {
    /// One connection from the listener `fd`, or `WouldBlock`.
    fn accept_one(
        &mut self,
        fd: &OwnedFd,
        token: Option<mio::Token>,
    ) -> SocketResult<(OwnedFd, Option<rustix::net::SocketAddrAny>)> {
        loop {
            match rustix::net::acceptfrom_with(fd, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC) {
                Ok(c) => return Ok(c),
                Err(Errno::INTR) => continue,
                // The peer gave up before we took it: take the next one.
                Err(Errno::CONNABORTED) => continue,
                Err(Errno::AGAIN) => {
                    if let Some(t) = token {
                        self.state.reactor.clear(t, Direction::Read);
                    }
                    return Err(ErrorCode::WouldBlock.into());
                }
                Err(e) => return Err(code(e)),
            }
        }
    }

    /// Puts an accepted connection and its streams in the table.
    fn push_accepted(
        &mut self,
        conn: OwnedFd,
        peer: Option<rustix::net::SocketAddrAny>,
        family: IpAddressFamily,
    ) -> SocketResult<(
        Resource<TcpHandle>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        self.state.mark_started();
        let mut accepted = Tcp::new(conn, family);
        accepted.state = State::Connected;
        accepted.bound = true;
        accepted.peer = peer.and_then(|a| SocketAddr::try_from(a).ok());
        accepted.accepted = true;
        let r = match self.table.push(accepted) {
            Ok(r) => r,
            Err(e) => {
                self.state.sockets -= 1;
                return Err(e.into());
            }
        };
        self.state.accepted += 1;
        let handle = Resource::<TcpHandle>::new_own(r.rep());
        let (input, output) = match self.streams(&Resource::new_borrow(r.rep())) {
            Ok(s) => s,
            Err(e) => {
                // Not handed out: nothing else refers to it.
                if let Ok(t) = self.table.delete(r) {
                    self.state.accepted -= 1;
                    self.state.sockets -= 1;
                    if let Some(token) = t.token {
                        self.state.reactor.forget(token);
                    }
                }
                return Err(e);
            }
        };
        Ok((handle, input, output))
    }
}
