//! The wait (`wasi:io/poll`) and the monotonic clock for components, on
//! the host's own mio reactor.
//!
//! wasio's TCP sockets and their streams (`tcp.rs`, `streams.rs`) are
//! registered once in the instance's [`Reactor`] — the same one preview1's
//! `poll_oneoff` uses — and their pollables are plain table entries
//! ([`Wait`]) that say what to look at: a registration's readiness, an
//! output stream's unsent bytes, or a time. A `poll` over only such
//! pollables is a scan of the list and, when nothing is ready, one
//! `epoll_wait` in the instance's thread: no future per pollable, no
//! tokio task, no other thread.
//!
//! Pollables wasio does not make itself (files, stdin, UDP, name lookup,
//! all from wasmtime-wasi) are waited for with wasmtime-wasi's futures,
//! next to the reactor's fd, which tokio watches for that wait.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime::Result;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::io::poll;
use wasmtime_wasi::p2::DynPollable;

use super::streams::TcpOut;
use crate::policy::NetPolicy;
use crate::wasi::reactor::{Direction, Reactor};

/// What one instance's sockets share: the reactor, the policy and the
/// clock.
pub(crate) struct IoState {
    /// Watched by tokio during a wait that also has wasmtime-wasi's
    /// pollables in it; made on the first such wait. (Before `reactor`:
    /// it is deregistered before the fd closes.)
    reactor_fd: Option<AsyncFd<RawFd>>,
    /// The instance's reactor (one `epoll` fd).
    pub(crate) reactor: Reactor,
    /// The network policy.
    pub(crate) net: Arc<NetPolicy>,
    /// Set when the instance listens or accepts (`--restart`'s "started").
    pub(crate) started: Arc<AtomicBool>,
    /// `--timeout`: a wait that reaches it ends the instance.
    pub(crate) deadline: Option<Instant>,
    /// `--workers` above 1: listeners are bound with `SO_REUSEPORT`, so
    /// every worker's listener shares the address.
    pub(crate) reuse_port: bool,
    /// The zero of `wasi:clocks/monotonic-clock`.
    base: Instant,
    /// wasio's pollables by table index, beside the table: a wait reads
    /// this dense array, not one boxed table entry per pollable.
    waits: Vec<Option<Wait>>,
    /// The wait's list of wasio's pollables (index in the guest's list,
    /// what it waits for), kept between waits.
    ours: Vec<(u32, Wait)>,
    /// What reads receive into before the bytes are copied out.
    pub(crate) scratch: Vec<u8>,
    /// Output streams dropped with bytes still unsent: sent as the peer
    /// takes them, then closed.
    lingering: Vec<TcpOut>,
    /// SIGTERM and SIGINT, as readiness: one byte per delivery.
    signals: Option<Signals>,
    /// How long open connections get after a stop signal.
    drain: Duration,
    /// When the reactor last looked in the OS.
    last_turn: Instant,
    /// When the drain period ends, once a stop signal came.
    pub(crate) stopping: Option<Instant>,
    /// Listening sockets, to stop accepting on at a stop signal.
    listeners: Vec<Weak<OwnedFd>>,
    /// Accepted connections still open.
    pub(crate) accepted: usize,
    /// TCP sockets open (each holds a host fd), and how many may be.
    pub(crate) sockets: usize,
    pub(crate) max_sockets: usize,
}

/// The instance's end of the stop signals.
struct Signals {
    read: UnixStream,
    token: mio::Token,
    ids: Vec<signal_hook::SigId>,
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

impl IoState {
    /// A reactor and a clock for one instance.
    pub(crate) fn new(
        net: Arc<NetPolicy>,
        started: Arc<AtomicBool>,
        deadline: Option<Instant>,
        reuse_port: bool,
        drain: Duration,
        max_sockets: usize,
    ) -> std::io::Result<Self> {
        Ok(Self {
            reactor: Reactor::new()?,
            reactor_fd: None,
            net,
            started,
            deadline,
            reuse_port,
            base: Instant::now(),
            lingering: Vec::new(),
            waits: Vec::new(),
            ours: Vec::new(),
            scratch: Vec::new(),
            signals: None,
            last_turn: Instant::now(),
            drain,
            stopping: None,
            listeners: Vec::new(),
            accepted: 0,
            sockets: 0,
            max_sockets,
        })
    }

    /// Takes SIGTERM and SIGINT over from their default action (ending
    /// the process) for a graceful stop: at the first delivery the
    /// instance stops accepting, and ends when its accepted connections
    /// have closed or the drain period is over. A second delivery ends
    /// the process at once.
    pub(crate) fn stop_on_signals(&mut self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let token = self.reactor.register(read.as_raw_fd())?;
        let mut ids = Vec::new();
        for sig in [SIGTERM, SIGINT] {
            ids.push(crate::wasi::extensions::signal::forward(
                sig,
                write.try_clone()?,
            )?);
        }
        self.signals = Some(Signals { read, token, ids });
        Ok(())
    }

    /// A state for unit tests: no policy, no deadline, 16 sockets.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        Self::new(
            Arc::default(),
            Arc::default(),
            None,
            false,
            Duration::ZERO,
            16,
        )
        .expect("a reactor")
    }

    /// Remembers a listening socket (to stop it at a stop signal).
    pub(crate) fn listening(&mut self, fd: &Arc<OwnedFd>) {
        self.listeners.retain(|w| w.strong_count() > 0);
        self.listeners.push(Arc::downgrade(fd));
    }

    /// After a turn: begins the stop if a signal came, and ends the
    /// instance when the stop is done.
    fn check_stop(&mut self) -> Result<()> {
        if let Some(sig) = &self.signals {
            if self.stopping.is_none() && self.reactor.readiness(sig.token).read {
                let mut byte = [0u8; 16];
                while matches!(std::io::Read::read(&mut &sig.read, &mut byte), Ok(n) if n > 0) {}
                self.stopping = Some(Instant::now() + self.drain);
                // New connections are refused from now on; accepted ones
                // go on until they close or the drain period ends.
                for l in self.listeners.drain(..).filter_map(|w| w.upgrade()) {
                    let _ = rustix::net::shutdown(&*l, rustix::net::Shutdown::Read);
                }
                tracing::info!(
                    open = self.accepted,
                    drain_secs = self.drain.as_secs_f64(),
                    "stop signal: no longer accepting; draining open connections"
                );
            }
        }
        match self.stopping {
            Some(end) if self.accepted == 0 || Instant::now() >= end => {
                Err(wasmtime::Error::new(crate::wasi::Stopped))
            }
            _ => Ok(()),
        }
    }

    /// Records that the instance got going.
    pub(crate) fn mark_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// Keeps `out` until its unsent bytes are sent (or cannot be).
    pub(crate) fn linger(&mut self, mut out: TcpOut) {
        if !out.flush_now(&mut self.reactor) {
            self.lingering.push(out);
        } else {
            out.close(&mut self.reactor);
        }
    }

    /// Waits in the OS for at most `timeout` (bounded by the deadline),
    /// then sends what lingering streams can. An error when the deadline
    /// has passed.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> Result<usize> {
        // A stop that is done (its last connection just closed) ends the
        // instance before it waits again.
        self.check_stop()?;
        let timeout = match self.stopping {
            Some(end) => {
                let left = end.saturating_duration_since(Instant::now());
                Some(timeout.map_or(left, |t| t.min(left)))
            }
            None => timeout,
        };
        let timeout = match self.deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(wasmtime::Error::new(crate::wasi::TimedOut));
                }
                Some(timeout.map_or(left, |t| t.min(left)))
            }
            None => timeout,
        };
        let events = self.reactor.turn(timeout)?;
        self.last_turn = Instant::now();
        self.check_stop()?;
        if !self.lingering.is_empty() {
            let reactor = &mut self.reactor;
            self.lingering.retain_mut(|out| {
                let done = out.flush_now(reactor);
                if done {
                    out.close(reactor);
                }
                !done
            });
        }
        Ok(events)
    }

    /// Sends what lingering streams still hold, waiting for the peers for
    /// at most `grace` (the instance is ending).
    pub(crate) fn drain_lingering(&mut self, grace: Duration) {
        let until = Instant::now() + grace;
        while !self.lingering.is_empty() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || self.turn(Some(left)).is_err() {
                break;
            }
        }
    }

    /// wasio's pollable at table index `rep`, if that is one.
    pub(crate) fn wait_at(&self, rep: u32) -> Option<Wait> {
        self.waits.get(rep as usize).copied().flatten()
    }

    fn set_wait(&mut self, rep: u32, wait: Option<Wait>) {
        let i = rep as usize;
        if i >= self.waits.len() {
            if wait.is_none() {
                return;
            }
            self.waits.resize(i + 1, None);
        }
        self.waits[i] = wait;
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The longest a wait that finds a pollable ready answers from what the
/// reactor already knows, without looking in the OS again.
const LOOK_AT_LEAST_EVERY: Duration = Duration::from_millis(1);

/// What the WASI 0.2 io, clock and TCP bindings see of an instance.
pub(crate) struct Io<'a> {
    /// The instance's resource table.
    pub(crate) table: &'a mut ResourceTable,
    /// The instance's reactor, policy and clock.
    pub(crate) state: &'a mut IoState,
}

/// The bindings' `HasData` for [`Io`].
pub(crate) struct IoData;

impl HasData for IoData {
    type Data<'a> = Io<'a>;
}

/// A pollable wasio makes itself: what its readiness depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// A TCP socket (by its table index): connected, listening with a
    /// connection to accept, or done connecting.
    Socket(u32),
    /// A registration is readable (an input stream).
    Readable(mio::Token),
    /// An output stream (by its table index) has sent what it held and
    /// can take more bytes.
    Writable(u32),
    /// A time on the instance's clock.
    At(Instant),
    /// Never (a time too far away to represent).
    Never,
    /// At once.
    Now,
}

impl Wait {
    /// Whether this waits for a time rather than an fd.
    fn is_time(&self) -> bool {
        matches!(self, Wait::At(_) | Wait::Now | Wait::Never)
    }
}

/// Whether the table entry at `rep` is a `T` (wasio's own, as opposed to
/// wasmtime-wasi's).
pub(crate) fn is<T: 'static>(table: &mut ResourceTable, rep: u32) -> bool {
    table.get_any_mut(rep).is_ok_and(|e| e.is::<T>())
}

/// The table entry at `rep` if it is a `T`: one lookup where a call both
/// tells wasio's entries apart and uses them.
pub(crate) fn ours<T: 'static>(table: &mut ResourceTable, rep: u32) -> Option<&mut T> {
    table.get_any_mut(rep).ok()?.downcast_mut::<T>()
}

impl Io<'_> {
    /// Whether `wait` would end now. `Writable` sends what its stream
    /// holds first.
    fn ready(&mut self, wait: Wait) -> bool {
        match wait {
            Wait::Socket(rep) => {
                let r = Resource::<super::tcp::Tcp>::new_borrow(rep);
                match self.table.get(&r) {
                    // A stopped listener has nothing more to accept.
                    Ok(sock) if sock.is_listening() && self.state.stopping.is_some() => false,
                    Ok(sock) => match sock.waits_on() {
                        Some((token, dir)) => self.state.reactor.readiness(token).is_ready(dir),
                        None => true,
                    },
                    Err(_) => true,
                }
            }
            Wait::Readable(token) => self
                .state
                .reactor
                .readiness(token)
                .is_ready(Direction::Read),
            Wait::Writable(rep) => {
                let r = Resource::<TcpOut>::new_borrow(rep);
                match self.table.get_mut(&r) {
                    Ok(out) => out.permits(&mut self.state.reactor),
                    Err(_) => true,
                }
            }
            Wait::At(t) => Instant::now() >= t,
            Wait::Never => false,
            Wait::Now => true,
        }
    }

    /// How long to wait in the OS for the earliest time among `waits`.
    fn timeout(waits: &[(u32, Wait)]) -> Option<Duration> {
        let now = Instant::now();
        waits
            .iter()
            .filter_map(|(_, w)| match w {
                Wait::At(t) => Some(t.saturating_duration_since(now)),
                _ => None,
            })
            .min()
    }

    /// The indices in `waits` that are ready, in order, and whether an fd
    /// (not a time) is among them.
    fn ready_list(&mut self, waits: &[(u32, Wait)]) -> (Vec<u32>, bool) {
        let mut fd_ready = false;
        let ready = waits
            .iter()
            .filter(|(_, w)| {
                let r = self.ready(*w);
                fd_ready |= r && !w.is_time();
                r
            })
            .map(|(i, _)| *i)
            .collect();
        (ready, fd_ready)
    }

    /// Whether a wait whose ready entries include an fd when `fd_ready`
    /// may answer from what the reactor knows, without looking in the OS
    /// first (see [`Io::wait`]).
    fn knows_enough(&self, fd_ready: bool) -> bool {
        fd_ready && self.state.last_turn.elapsed() < LOOK_AT_LEAST_EVERY
    }

    /// Waits until one of `waits` (all wasio's own) is ready.
    ///
    /// A wait that would end at once on its time alone (a zero timeout:
    /// the guest asking "what is ready now?", as tokio does every 61
    /// tasks) first takes the reactor's news without blocking, as
    /// `poll(2)` with a zero timeout would: answered with the timer only,
    /// a guest that always has a task to run would never learn of a
    /// connection or a byte. So does a wait that finds an fd ready when
    /// the reactor has not looked for [`LOOK_AT_LEAST_EVERY`]: a pollable
    /// that stays ready (a writable socket nobody writes to) cannot hide
    /// the others for longer than that.
    ///
    /// After a turn of the reactor that reported no fd event (the wait
    /// ended at its deadline) and began no stop, only the time-based
    /// entries can have become ready: an idle server waking for its timer
    /// then looks at those, not at every connection again.
    pub(crate) fn wait(&mut self, waits: &[(u32, Wait)]) -> Result<Vec<u32>> {
        let mut timers_only = false;
        let mut turned = false;
        loop {
            let (ready, fd_ready) = if timers_only {
                (Self::due(waits), false)
            } else {
                self.ready_list(waits)
            };
            if !ready.is_empty() && (turned || self.knows_enough(fd_ready)) {
                return Ok(ready);
            }
            // Nothing ready: wait in the OS until the earliest time. Ready,
            // but it must look first: look without blocking.
            let timeout = if ready.is_empty() {
                Self::timeout(waits)
            } else {
                Some(Duration::ZERO)
            };
            let stopping = self.state.stopping.is_some();
            let events = self.state.turn(timeout)?;
            turned = true;
            // A stop that began in the turn changes what listeners say.
            let quiet = events == 0 && self.state.stopping.is_some() == stopping;
            if quiet && !ready.is_empty() {
                return Ok(ready);
            }
            timers_only = quiet;
        }
    }

    /// The time-based entries of `waits` that are ready now: what can
    /// change without an fd event.
    fn due(waits: &[(u32, Wait)]) -> Vec<u32> {
        let now = Instant::now();
        waits
            .iter()
            .filter(|(_, w)| match w {
                Wait::At(t) => now >= *t,
                Wait::Now => true,
                _ => false,
            })
            .map(|(i, _)| *i)
            .collect()
    }

    /// Waits until one of `ours` or `theirs` is ready: wasmtime-wasi's
    /// futures for `theirs`, the reactor's fd and a timer for `ours`. As
    /// in [`Io::wait`], a wait that its time alone would end at once
    /// first looks at both kinds without blocking.
    async fn wait_mixed(
        &mut self,
        ours: &[(u32, Wait)],
        theirs: &[(u32, u32)],
    ) -> Result<Vec<u32>> {
        if self.state.reactor_fd.is_none() {
            let fd = self.state.reactor.as_raw_fd();
            // SAFETY: the fd is the reactor's, which outlives this
            // registration (`IoState` drops `reactor_fd` first).
            let afd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
                .map_err(std::io::Error::from)?;
            self.state.reactor_fd = Some(afd);
        }
        let mut looked = false;
        loop {
            let (ready, fd_ready) = self.ready_list(ours);
            if !ready.is_empty() && (looked || self.knows_enough(fd_ready)) {
                return Ok(ready);
            }
            self.state.check_stop()?;
            let list = theirs
                .iter()
                .map(|(_, rep)| Resource::<DynPollable>::new_borrow(*rep))
                .collect();
            let timeout = if ready.is_empty() {
                Self::timeout(ours)
            } else {
                Some(Duration::ZERO)
            };
            let reactor_fd = self.state.reactor_fd.as_ref().expect("made above");
            let woke = {
                let mut theirs_ready = std::pin::pin!(poll::Host::poll(&mut *self.table, list));
                let mut reactor_ready = std::pin::pin!(reactor_fd.readable());
                let mut sleep = std::pin::pin!(async {
                    match timeout {
                        // Once round tokio's runtime, so that its driver
                        // takes the news for wasmtime-wasi's pollables.
                        Some(t) if t.is_zero() => tokio::task::yield_now().await,
                        Some(t) => tokio::time::sleep(t).await,
                        None => std::future::pending().await,
                    }
                });
                std::future::poll_fn(|cx| {
                    use std::future::Future as _;
                    use std::task::Poll;
                    if let Poll::Ready(r) = theirs_ready.as_mut().poll(cx) {
                        return Poll::Ready(r.map(Some));
                    }
                    if let Poll::Ready(guard) = reactor_ready.as_mut().poll(cx) {
                        return Poll::Ready(match guard {
                            Ok(mut g) => {
                                g.clear_ready();
                                Ok(None)
                            }
                            Err(e) => Err(e.into()),
                        });
                    }
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Ok(None));
                    }
                    Poll::Pending
                })
                .await?
            };
            if let Some(indices) = woke {
                // With what the reactor knows now, so that one kind does
                // not hide the other.
                self.state.turn(Some(Duration::ZERO))?;
                let (mut ready, _) = self.ready_list(ours);
                ready.extend(
                    indices
                        .into_iter()
                        .filter_map(|i| theirs.get(i as usize).map(|(index, _)| *index)),
                );
                ready.sort_unstable();
                return Ok(ready);
            }
            // Fold in what the reactor has, without blocking.
            self.state.turn(Some(Duration::ZERO))?;
            looked = true;
        }
    }
}

impl poll::Host for Io<'_> {
    async fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> Result<Vec<u32>> {
        if pollables.is_empty() {
            return Err(wasmtime::format_err!("empty poll list"));
        }
        // The list of wasio's pollables is kept between waits: a wait
        // allocates only what the bindings hand over (the list lifted
        // from the guest, the indices returned).
        let mut ours = std::mem::take(&mut self.state.ours);
        ours.clear();
        let mut theirs = Vec::new();
        for (i, p) in pollables.iter().enumerate() {
            let i = u32::try_from(i)?;
            let rep = p.rep();
            match self.state.wait_at(rep) {
                Some(w) => ours.push((i, w)),
                None => theirs.push((i, rep)),
            }
        }
        let ready = if theirs.is_empty() {
            self.wait(&ours)
        } else {
            self.wait_mixed(&ours, &theirs).await
        };
        self.state.ours = ours;
        ready
    }
}

impl poll::HostPollable for Io<'_> {
    async fn block(&mut self, p: Resource<DynPollable>) -> Result<()> {
        if let Some(w) = self.state.wait_at(p.rep()) {
            self.wait(&[(0, w)])?;
            Ok(())
        } else {
            poll::HostPollable::block(&mut *self.table, p).await
        }
    }

    async fn ready(&mut self, p: Resource<DynPollable>) -> Result<bool> {
        if let Some(w) = self.state.wait_at(p.rep()) {
            if self.ready(w) {
                return Ok(true);
            }
            self.state.turn(Some(Duration::ZERO))?;
            Ok(self.ready(w))
        } else {
            poll::HostPollable::ready(&mut *self.table, p).await
        }
    }

    fn drop(&mut self, p: Resource<DynPollable>) -> Result<()> {
        if self.state.wait_at(p.rep()).is_some() {
            self.table.delete(Resource::<Wait>::new_own(p.rep()))?;
            self.state.set_wait(p.rep(), None);
            Ok(())
        } else {
            poll::HostPollable::drop(&mut *self.table, p)
        }
    }
}

impl Io<'_> {
    /// Puts `wait` in the table as a pollable, a child of `parent` when it
    /// watches one.
    pub(crate) fn pollable(
        &mut self,
        wait: Wait,
        parent: Option<u32>,
    ) -> Result<Resource<DynPollable>> {
        let r = match parent {
            Some(rep) => self
                .table
                .push_child(wait, &Resource::<Wait>::new_borrow(rep))?,
            None => self.table.push(wait)?,
        };
        self.state.set_wait(r.rep(), Some(wait));
        Ok(Resource::new_own(r.rep()))
    }

    fn at(&mut self, ns_from_now: u64) -> Result<Resource<DynPollable>> {
        let wait = if ns_from_now == 0 {
            Wait::Now
        } else {
            Instant::now()
                .checked_add(Duration::from_nanos(ns_from_now))
                .map_or(Wait::Never, Wait::At)
        };
        self.pollable(wait, None)
    }
}

impl monotonic_clock::Host for Io<'_> {
    fn now(&mut self) -> Result<u64> {
        Ok(self.state.now_ns())
    }

    fn resolution(&mut self) -> Result<u64> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, when: u64) -> Result<Resource<DynPollable>> {
        let now = self.state.now_ns();
        self.at(when.saturating_sub(now))
    }

    fn subscribe_duration(&mut self, ns: u64) -> Result<Resource<DynPollable>> {
        self.at(ns)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use wasmtime_wasi::p2::bindings::io::poll::{Host as _, HostPollable as _};

    use super::*;

    /// A pollable of wasmtime-wasi's kind: ready once `at` has passed.
    struct Later {
        at: tokio::time::Instant,
    }

    #[wasmtime_wasi::async_trait]
    impl wasmtime_wasi::p2::Pollable for Later {
        async fn ready(&mut self) {
            tokio::time::sleep_until(self.at).await;
        }
    }

    /// A pollable of wasmtime-wasi's kind that is always ready.
    struct AtOnce;

    #[wasmtime_wasi::async_trait]
    impl wasmtime_wasi::p2::Pollable for AtOnce {
        async fn ready(&mut self) {}
    }

    fn state() -> IoState {
        IoState::for_tests()
    }

    /// A socket pair whose first end `state`'s reactor watches: that end,
    /// its peer and its token.
    fn watched(state: &mut IoState) -> (UnixStream, UnixStream, mio::Token) {
        let (end, peer) = UnixStream::pair().unwrap();
        end.set_nonblocking(true).unwrap();
        let token = state.reactor.register(end.as_raw_fd()).unwrap();
        (end, peer, token)
    }

    /// The runtime wasmtime-wasi's pollables need.
    fn tokio_rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A wait with wasio's and wasmtime-wasi's pollables in one list ends
    /// for either kind, and says which.
    #[test]
    fn a_mixed_wait_ends_for_either_kind() {
        tokio_rt().block_on(async {
            let mut table = ResourceTable::new();
            let mut state = state();
            let (_a, mut b, token) = watched(&mut state);
            let mut io = Io {
                table: &mut table,
                state: &mut state,
            };
            let ours = io.pollable(Wait::Readable(token), None).unwrap();
            let later = io
                .table
                .push(Later {
                    at: tokio::time::Instant::now() + Duration::from_millis(30),
                })
                .unwrap();
            let theirs = wasmtime_wasi::p2::subscribe(io.table, later).unwrap();
            let list = |o: &Resource<DynPollable>, t: &Resource<DynPollable>| {
                vec![Resource::new_borrow(o.rep()), Resource::new_borrow(t.rep())]
            };
            // Nothing to read: wasmtime-wasi's timer ends the wait.
            assert_eq!(io.poll(list(&ours, &theirs)).await.unwrap(), vec![1]);
            // Bytes to read: wasio's pollable is ready (the timer too).
            b.write_all(b"x").unwrap();
            assert_eq!(io.poll(list(&ours, &theirs)).await.unwrap(), vec![0, 1]);
            io.drop(ours).unwrap();
            io.drop(theirs).unwrap();
        });
    }

    /// A wait with a zero timeout (a pollable that is ready at once) also
    /// reports what became ready since the reactor last looked, for both
    /// kinds of pollable, instead of the timeout alone.
    #[test]
    fn a_zero_timeout_wait_looks_before_it_answers() {
        tokio_rt().block_on(async {
            let mut table = ResourceTable::new();
            let mut state = state();
            let (_a, mut b, token) = watched(&mut state);
            let mut io = Io {
                table: &mut table,
                state: &mut state,
            };
            // wasio's own pollables only.
            let now = [(0, Wait::Readable(token)), (1, Wait::Now)];
            assert_eq!(io.wait(&now).unwrap(), vec![1]);
            b.write_all(b"x").unwrap();
            assert_eq!(io.wait(&now).unwrap(), vec![0, 1]);

            // With one of wasmtime-wasi's, ready but not yet asked.
            let ours = io.pollable(Wait::Now, None).unwrap();
            let due = io.table.push(AtOnce).unwrap();
            let theirs = wasmtime_wasi::p2::subscribe(io.table, due).unwrap();
            let list = vec![
                Resource::new_borrow(ours.rep()),
                Resource::new_borrow(theirs.rep()),
            ];
            assert_eq!(io.poll(list).await.unwrap(), vec![0, 1]);
            io.drop(ours).unwrap();
            io.drop(theirs).unwrap();
        });
    }

    /// A wait that its timer ends reports the timer (looking at the time
    /// entries only, as no fd reported anything); a wait that an fd event
    /// ends reports the socket, the timer too when it is due.
    #[test]
    fn a_wait_ended_by_its_timer_or_by_an_event_says_which() {
        let mut table = ResourceTable::new();
        let mut state = state();
        let (_a, mut b, token) = watched(&mut state);
        let mut io = Io {
            table: &mut table,
            state: &mut state,
        };
        let soon = Instant::now() + Duration::from_millis(20);
        let waits = [(0, Wait::Readable(token)), (1, Wait::At(soon))];
        assert_eq!(io.wait(&waits).unwrap(), vec![1]);
        let later = Instant::now() + Duration::from_secs(30);
        let waits = [(0, Wait::Readable(token)), (1, Wait::At(later))];
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            b.write_all(b"x").unwrap();
            b
        });
        assert_eq!(io.wait(&waits).unwrap(), vec![0]);
        drop(writer.join().unwrap());
    }

    /// A pollable that stays ready (bytes nobody reads) does not keep a
    /// wait from seeing what became ready elsewhere for long.
    #[test]
    fn a_pollable_that_stays_ready_hides_the_others_briefly_at_most() {
        let mut table = ResourceTable::new();
        let mut state = state();
        let (_a, mut a_peer, ta) = watched(&mut state);
        let (_b, mut b_peer, tb) = watched(&mut state);
        let mut io = Io {
            table: &mut table,
            state: &mut state,
        };
        let waits = [(0, Wait::Readable(ta)), (1, Wait::Readable(tb))];
        a_peer.write_all(b"x").unwrap();
        assert_eq!(io.wait(&waits).unwrap(), vec![0]);
        b_peer.write_all(b"y").unwrap();
        std::thread::sleep(LOOK_AT_LEAST_EVERY * 2);
        assert_eq!(io.wait(&waits).unwrap(), vec![0, 1]);
    }

    /// A wait of wasio's own pollables ends at the earliest time in it, or
    /// with an error at the deadline.
    #[test]
    fn a_wait_ends_at_its_time_or_the_deadline() {
        let mut table = ResourceTable::new();
        let mut state = state();
        let mut io = Io {
            table: &mut table,
            state: &mut state,
        };
        let soon = Instant::now() + Duration::from_millis(20);
        let waits = [(0, Wait::Never), (1, Wait::At(soon))];
        assert_eq!(io.wait(&waits).unwrap(), vec![1]);
        assert!(Instant::now() >= soon);
        io.state.deadline = Some(Instant::now() + Duration::from_millis(20));
        let e = io.wait(&[(0, Wait::Never)]).unwrap_err();
        assert!(e.downcast_ref::<crate::wasi::TimedOut>().is_some(), "{e:?}");
    }
}
