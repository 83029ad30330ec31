//! Per-instance state of the preview1 implementation.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use cap_std::ambient_authority;
use cap_std::fs::Dir;

use super::errno::{Error, TimedOut};
use super::kept::KeptListeners;
use super::reactor::Reactor;
use super::rights;
use super::stdio::Stdio;
use super::stdio_lines::{Pending, StdioLines};
use super::table::{Descriptor, Family, FdTable, Object, Socket, SocketKind};
use crate::limits::Account;
use crate::policy::NetPolicy;

/// Default cap on open guest fds (see `--max-fds`).
pub const DEFAULT_MAX_FDS: usize = 16_384;

/// Everything a guest's preview1 calls act on.
pub struct WasiCtx {
    /// `argv`, program name first.
    pub(crate) args: Vec<String>,
    /// Environment as `KEY=VALUE` strings.
    pub(crate) env: Vec<String>,
    /// Open fds.
    pub(crate) table: FdTable,
    /// The persistent poller.
    pub(crate) reactor: Reactor,
    /// When `--timeout` runs out; blocking calls give up then.
    pub(crate) deadline: Option<Instant>,
    /// What the guest may do on the network (extension sockets).
    pub(crate) policy: NetPolicy,
    /// Signal deliveries this guest receives as readiness
    /// (`wasio_signal_v1`), by the host fd of the read end the guest holds;
    /// unregistered when that fd is closed or the context goes.
    pub(crate) signal_ids: Vec<(std::os::fd::RawFd, signal_hook::SigId)>,
    /// Binds set `SO_REUSEPORT` (several instances share a port).
    pub(crate) reuseport: bool,
    /// Whole-line stdout/stderr shared with other instances, and this
    /// instance's partial lines.
    pub(crate) stdio_lines: Option<(Arc<StdioLines>, Pending)>,
    /// What the guest makes the host hold, against `--max-memory`.
    pub account: Account,
    /// This instance's number among `--workers` (0 when alone).
    pub(crate) worker: usize,
    /// The guest got through its start-up: it has waited for I/O or a
    /// clock, or accepted a connection (what restarts look at: a failure
    /// after that is not a crash loop).
    pub started: bool,
    /// Listeners kept across restarts, shared by the workers of a run.
    pub(crate) kept: Option<Arc<KeptListeners>>,
}

impl Drop for WasiCtx {
    fn drop(&mut self) {
        for (_, id) in self.signal_ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        if let Some((lines, pending)) = &mut self.stdio_lines {
            lines.flush(pending, self.deadline);
        }
    }
}

impl WasiCtx {
    /// Starts building a context.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::default()
    }

    /// The error a blocking call returns once the deadline has passed.
    pub(crate) fn timed_out(&self) -> Error {
        Error::Trap(wasmtime::Error::new(TimedOut))
    }
}

/// Builds a [`WasiCtx`]: stdio first (fds 0-2), then preopened directories
/// (from fd 3, the order in which wasi-libc discovers them), then preopened
/// sockets, which would stop wasi-libc's preopen scan if they came first.
#[derive(Default)]
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<String>,
    dirs: Vec<(Dir, String, bool)>,
    listeners: Vec<TcpListener>,
    max_fds: Option<usize>,
    max_memory: Option<usize>,
    deadline: Option<Instant>,
    policy: NetPolicy,
    reuseport: bool,
    stdio_lines: Option<Arc<StdioLines>>,
    worker: usize,
    kept: Option<Arc<KeptListeners>>,
}

impl WasiCtxBuilder {
    /// Sets `SO_REUSEPORT` on every socket the guest binds, so several
    /// instances can listen on one port.
    pub fn reuseport(&mut self, on: bool) -> &mut Self {
        self.reuseport = on;
        self
    }

    /// Names this instance among the workers of a run, and gives it the
    /// run's kept listeners: a listener it binds outlives it if it fails,
    /// and its replacement gets it back (see [`KeptListeners`]).
    pub fn worker(&mut self, n: usize, kept: Option<Arc<KeptListeners>>) -> &mut Self {
        self.worker = n;
        self.kept = kept;
        self
    }

    /// Shares stdout and stderr with other instances in whole lines.
    pub fn stdio_lines(&mut self, lines: Option<Arc<StdioLines>>) -> &mut Self {
        self.stdio_lines = lines;
        self
    }

    /// Sets `argv` (program name first).
    pub fn args(&mut self, args: impl IntoIterator<Item = String>) -> &mut Self {
        self.args = args.into_iter().collect();
        self
    }

    /// Adds an environment variable.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push(format!("{key}={value}"));
        self
    }

    /// Preopens host directory `host` under the guest name `guest`.
    pub fn preopen_dir(&mut self, host: &Path, guest: &str, readonly: bool) -> Result<&mut Self> {
        let dir = Dir::open_ambient_dir(host, ambient_authority())
            .with_context(|| format!("cannot open directory {}", host.display()))?;
        self.dirs.push((dir, guest.to_string(), readonly));
        Ok(self)
    }

    /// Preopens a listening TCP socket.
    pub fn preopen_listener(&mut self, l: TcpListener) -> &mut Self {
        self.listeners.push(l);
        self
    }

    /// Caps the number of open guest fds.
    pub fn max_fds(&mut self, n: usize) -> &mut Self {
        self.max_fds = Some(n);
        self
    }

    /// Bounds everything the guest makes the host hold (memories, tables,
    /// host buffers) to `bytes` in all.
    pub fn max_memory(&mut self, bytes: Option<usize>) -> &mut Self {
        self.max_memory = bytes;
        self
    }

    /// Blocking calls give up (and the guest is stopped) at `at`.
    pub fn deadline(&mut self, at: Option<Instant>) -> &mut Self {
        self.deadline = at;
        self
    }

    /// Sets the network policy for extension sockets.
    pub fn policy(&mut self, p: NetPolicy) -> &mut Self {
        self.policy = p;
        self
    }

    /// Creates the context.
    pub fn build(&mut self) -> Result<WasiCtx> {
        let mut table = FdTable::new(self.max_fds.unwrap_or(DEFAULT_MAX_FDS));
        for fd in 0..3 {
            // Streams, whatever they are on the host: a guest must not
            // seek, tell, truncate or re-time the host's terminal or log.
            let base = rights::STREAM;
            table
                .push(Descriptor::new(Object::Stdio(Stdio::new(fd)), base, 0))
                .map_err(|e| anyhow::anyhow!("fd table full ({})", e.name()))?;
        }
        for (dir, guest, readonly) in self.dirs.drain(..) {
            let (base, inheriting) = if readonly {
                (
                    rights::DIR & !rights::DIR_MUTATE,
                    (rights::DIR & !rights::DIR_MUTATE) | (rights::FILE & !rights::FILE_MUTATE),
                )
            } else {
                (rights::DIR, rights::DIR | rights::FILE)
            };
            let mut d = Descriptor::new(Object::Dir(dir), base, inheriting);
            d.dir_info_mut().preopen = Some(guest);
            d.readonly = readonly;
            table
                .push(d)
                .map_err(|e| anyhow::anyhow!("too many preopens ({})", e.name()))?;
        }
        for l in self.listeners.drain(..) {
            l.set_nonblocking(true)
                .context("making the listener non-blocking")?;
            let family = match l.local_addr()? {
                std::net::SocketAddr::V4(_) => Family::Inet4,
                std::net::SocketAddr::V6(_) => Family::Inet6,
            };
            let sock = Socket {
                fd: l.into(),
                family,
                kind: SocketKind::Stream,
                listening: true,
                linger: None,
            };
            table
                .push(Descriptor::new(
                    Object::Socket(sock),
                    rights::LISTENER,
                    rights::SOCKET,
                ))
                .map_err(|e| anyhow::anyhow!("too many preopens ({})", e.name()))?;
        }
        Ok(WasiCtx {
            args: std::mem::take(&mut self.args),
            env: std::mem::take(&mut self.env),
            table,
            reactor: Reactor::new().context("creating the poller")?,
            deadline: self.deadline,
            policy: std::mem::take(&mut self.policy),
            signal_ids: Vec::new(),
            reuseport: self.reuseport,
            stdio_lines: self.stdio_lines.take().map(|l| (l, Pending::default())),
            account: Account::new(self.max_memory),
            worker: self.worker,
            kept: self.kept.take(),
            started: false,
        })
    }
}
