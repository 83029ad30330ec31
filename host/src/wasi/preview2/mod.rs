//! WASI 0.2 for components (`wasm32-wasip2` programs: stock tokio and the
//! crates built on it).
//!
//! The interfaces are wasmtime-wasi's implementation, except TCP, the
//! streams of connections, the wait and the monotonic clock, which are
//! wasio's own on the instance's mio reactor (`tcp.rs`, `streams.rs`,
//! `io.rs`). What wasio adds is the sandbox and the limits, decided by
//! the same code as for preview1 modules:
//! - every address a component binds, listens on, connects or sends to is
//!   put to the one [`NetPolicy`] matcher (in `tcp.rs`, and
//!   [`addr_check`] for wasmtime-wasi's UDP), which logs a denial naming
//!   the flag that would grant it, as for modules;
//! - name lookup is granted by `--allow-dns` (or `--allow-net`), and is
//!   bounded as preview1's is (`dns.rs`);
//! - `--dir` and `--dir-ro` preopen directories read-write and read-only;
//! - memory goes through the same [`Account`] (the store's limiter);
//!   `--max-fds` is exact for TCP sockets (with stdio and the preopens
//!   counted as a module's table counts them, [`max_sockets`]) and bounds
//!   the resource table for the rest (see [`RESOURCES_PER_FD`]).
//!
//! A component's calls run on one current-thread tokio runtime per
//! instance, on the instance's own thread: no worker threads hand its
//! wake-ups to each other, and file calls run inline, as preview1's do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

pub(crate) mod dns;
pub(crate) mod io;
mod stdio;
pub(crate) mod streams;
pub(crate) mod tcp;

use crate::limits::Account;
use crate::policy::{Action, NetPolicy};

/// Resource-table entries (and wasmtime's live component handles, lent
/// ones included) allowed per `--max-fds`: a connection holds a socket,
/// its two streams and the pollables a runtime makes on them for each
/// wait, so one host fd stands for several entries.
pub const RESOURCES_PER_FD: usize = 8;

/// What the store holds for one component instance.
pub struct ComponentHost {
    ctx: WasiCtx,
    table: ResourceTable,
    net: Arc<NetPolicy>,
    /// TCP sockets, their streams and the wait: wasio's reactor.
    pub(crate) io: io::IoState,
    /// What the guest makes the host hold (the store's limiter).
    pub account: Account,
}

impl WasiView for ComponentHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl ComponentHost {
    /// What the io, clock and TCP bindings see.
    pub(crate) fn io(&mut self) -> io::Io<'_> {
        io::Io {
            table: &mut self.table,
            state: &mut self.io,
        }
    }

    /// What the name-lookup functions see (the linker's getter, and the
    /// fuzz harness's).
    pub(crate) fn dns(&mut self) -> dns::DnsView<'_> {
        dns::DnsView {
            table: &mut self.table,
            policy: &self.net,
        }
    }
}

/// Everything one component instance is given.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// `argv`, the program name first.
    pub args: Vec<String>,
    /// Environment variables (nothing else is passed).
    pub env: Vec<(String, String)>,
    /// Preopened directories: host path, guest name, read-only.
    pub dirs: Vec<(PathBuf, String, bool)>,
    /// The network policy.
    pub net: Arc<NetPolicy>,
    /// `--max-memory`.
    pub max_memory: Option<usize>,
    /// `--max-fds`.
    pub max_fds: usize,
    /// Set when the instance gets going: it listens or accepts a
    /// connection (what `--restart` calls a started instance).
    pub started: Arc<AtomicBool>,
    /// `--timeout`'s end: a wait in the host ends there.
    pub deadline: Option<std::time::Instant>,
    /// `--workers` above 1: TCP listeners are bound with `SO_REUSEPORT`.
    pub reuse_port: bool,
    /// `--drain`: stop gracefully on SIGTERM and SIGINT, giving open
    /// connections this long (`None`: the signals keep their default
    /// action).
    pub drain: Option<std::time::Duration>,
}

/// The store data for one instance of a component with `grants`.
pub fn host(grants: &Grants) -> Result<ComponentHost> {
    let mut b = WasiCtxBuilder::new();
    b.args(&grants.args);
    b.envs(&grants.env);
    // stdin as wasmtime-wasi has it (a reader thread); stdout and stderr
    // never block the instance (`stdio`).
    b.inherit_stdin();
    b.stdout(stdio::HostOutput::new(1));
    b.stderr(stdio::HostOutput::new(2));
    // File calls run on the instance's thread, as preview1's do, instead
    // of being handed to a blocking pool and back.
    b.allow_blocking_current_thread(true);
    for (host, guest, ro) in &grants.dirs {
        let perms = if *ro {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        b.preopened_dir(host, guest, perms)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot open {} for the guest", host.display()))?;
    }
    let net = &grants.net;
    b.allow_tcp(true).allow_udp(true);
    // Lookups are ours (`dns`), under the same grant.
    b.allow_ip_name_lookup(net.all || net.dns);
    b.socket_addr_check(addr_check(net.clone(), grants.started.clone()));
    let mut table = ResourceTable::new();
    table.set_max_capacity(grants.max_fds.saturating_mul(RESOURCES_PER_FD));
    let mut io = io::IoState::new(
        net.clone(),
        grants.started.clone(),
        grants.deadline,
        grants.reuse_port,
        grants.drain.unwrap_or_default(),
        max_sockets(grants),
    )
    .context("creating the instance's reactor")?;
    if grants.drain.is_some() {
        io.stop_on_signals()
            .context("taking over SIGTERM and SIGINT for a graceful stop")?;
    }
    Ok(ComponentHost {
        ctx: b.build(),
        table,
        net: net.clone(),
        io,
        account: Account::for_component(grants.max_memory),
    })
}

/// How many TCP sockets an instance may hold open: `--max-fds` counts
/// host fds as for a module, whose table starts with stdio and the
/// preopens.
pub fn max_sockets(grants: &Grants) -> usize {
    grants.max_fds.saturating_sub(3 + grants.dirs.len())
}

/// The future wasmtime-wasi's address check returns.
type CheckFuture = Pin<Box<dyn std::future::Future<Output = bool> + Send + Sync>>;

/// wasmtime-wasi's socket address check, answered by `policy` with the
/// preview1 meaning of each grant:
/// - a TCP bind is a listen (`--allow-listen`), except the implicit bind
///   of an unbound socket to the any-address and port 0, which only picks
///   a local port: the `listen` or `connect` that follows is what is
///   checked;
/// - a UDP bind is `--allow-udp-bind`, with the same exception for the
///   implicit bind before a first send;
/// - a connect is `--allow-connect`, a datagram sent (or a UDP connect)
///   `--allow-udp-send`;
/// - accepting a connection and receiving a datagram need no grant beyond
///   the listen or bind that made them possible.
///
/// An allowed listen or an accept sets `started`.
pub fn addr_check(
    policy: Arc<NetPolicy>,
    started: Arc<AtomicBool>,
) -> impl Fn(SocketAddr, SocketAddrUse) -> CheckFuture {
    move |addr, use_| {
        if matches!(use_, SocketAddrUse::TcpAccept) {
            started.store(true, Ordering::Relaxed);
        }
        let implicit = addr.ip().is_unspecified() && addr.port() == 0;
        let action = match use_ {
            SocketAddrUse::TcpBind if implicit => None,
            SocketAddrUse::TcpBind | SocketAddrUse::TcpListen => Some(Action::Listen),
            SocketAddrUse::TcpConnect => Some(Action::Connect),
            SocketAddrUse::UdpBind if implicit => None,
            SocketAddrUse::UdpBind => Some(Action::UdpBind),
            SocketAddrUse::UdpSend => Some(Action::UdpSend),
            SocketAddrUse::TcpAccept | SocketAddrUse::UdpReceive => None,
        };
        let allowed = action.is_none_or(|a| policy.allows(a, &addr));
        if allowed && matches!(use_, SocketAddrUse::TcpListen) {
            started.store(true, Ordering::Relaxed);
        }
        Box::pin(std::future::ready(allowed))
    }
}

/// A linker with all of WASI 0.2 (the `wasi:cli/command` world and the
/// interfaces it imports): wasmtime-wasi's, with wasio's name lookup, and
/// wasio's TCP sockets, streams, wait and monotonic clock (`io`).
pub fn linker(engine: &wasmtime::Engine) -> Result<Linker<ComponentHost>> {
    use wasmtime_wasi::p2::bindings::{clocks, io as wasi_io, sockets};
    let mut linker: Linker<ComponentHost> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    linker.allow_shadowing(true);
    let get = ComponentHost::io;
    wasi_io::poll::add_to_linker::<_, io::IoData>(&mut linker, get).map_err(anyhow::Error::from)?;
    wasi_io::streams::add_to_linker::<_, io::IoData>(&mut linker, get)
        .map_err(anyhow::Error::from)?;
    clocks::monotonic_clock::add_to_linker::<_, io::IoData>(&mut linker, get)
        .map_err(anyhow::Error::from)?;
    sockets::tcp::add_to_linker::<_, io::IoData>(&mut linker, get).map_err(anyhow::Error::from)?;
    sockets::tcp_create_socket::add_to_linker::<_, io::IoData>(&mut linker, get)
        .map_err(anyhow::Error::from)?;
    wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::add_to_linker::<_, dns::Dns>(
        &mut linker,
        ComponentHost::dns,
    )
    .map_err(anyhow::Error::from)?;
    linker.allow_shadowing(false);
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Rule;

    fn check(p: &NetPolicy, addr: &str, use_: SocketAddrUse) -> bool {
        let f = addr_check(Arc::new(p.clone()), Arc::default());
        let fut = f(addr.parse().unwrap(), use_);
        futures_ready(fut)
    }

    /// The check's futures are always ready: poll once.
    fn futures_ready(mut f: CheckFuture) -> bool {
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(b) => b,
            std::task::Poll::Pending => panic!("the check is synchronous"),
        }
    }

    #[test]
    fn each_use_is_decided_by_its_preview1_grant() {
        let p = NetPolicy {
            listen: Rule::parse("127.0.0.1:8080").unwrap(),
            connect: Rule::parse("127.0.0.1:5432").unwrap(),
            udp_bind: Rule::parse("127.0.0.1:5353").unwrap(),
            udp_send: Rule::parse("127.0.0.1:53").unwrap(),
            ..Default::default()
        };
        use SocketAddrUse::*;
        assert!(check(&p, "127.0.0.1:8080", TcpBind));
        assert!(check(&p, "127.0.0.1:8080", TcpListen));
        assert!(!check(&p, "127.0.0.1:8081", TcpBind));
        assert!(!check(&p, "0.0.0.0:8080", TcpListen));
        assert!(check(&p, "127.0.0.1:5432", TcpConnect));
        assert!(!check(&p, "127.0.0.1:5433", TcpConnect));
        assert!(!check(&p, "[::ffff:127.0.0.2]:5432", TcpConnect));
        assert!(check(&p, "[::ffff:127.0.0.1]:5432", TcpConnect));
        assert!(check(&p, "127.0.0.1:5353", UdpBind));
        assert!(!check(&p, "127.0.0.1:5354", UdpBind));
        assert!(check(&p, "127.0.0.1:53", UdpSend));
        assert!(!check(&p, "127.0.0.1:54", UdpSend));
        // The implicit binds before a connect or a first send pick a port.
        assert!(check(&p, "0.0.0.0:0", TcpBind));
        assert!(check(&p, "[::]:0", UdpBind));
        // ...but a listen on the any-address is a listen like any other.
        assert!(!check(&p, "0.0.0.0:0", TcpListen));
        assert!(check(&p, "10.0.0.1:1", TcpAccept));
        assert!(check(&p, "10.0.0.1:1", UdpReceive));
        assert!(!check(&NetPolicy::default(), "127.0.0.1:1", TcpConnect));
    }
}
