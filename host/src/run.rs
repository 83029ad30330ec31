//! Running one guest: store, limits, instantiation, exit status.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use wasmtime::{Linker, Store, Trap};

use crate::policy::NetPolicy;
use crate::wasi::{self, ProcExit, TimedOut, WasiCtx, WasiView};

/// Exit status when the guest trapped (128 + SIGABRT, as a crashed
/// native program would report).
pub const EXIT_TRAP: i32 = 134;
/// Exit status when `--timeout` ran out (as `timeout(1)` reports).
pub const EXIT_TIMEOUT: i32 = 124;

/// The first delay before a failed instance is started again.
pub const RESTART_DELAY_MIN: Duration = Duration::from_millis(100);
/// The longest delay before an instance that keeps failing as it starts
/// is started again.
pub const RESTART_DELAY_MAX: Duration = Duration::from_secs(5);
/// An instance that failed this many times in a row before it got going
/// is not started again: that is a broken configuration, not bad luck.
pub const RESTART_GIVE_UP: u32 = 5;

/// How an instance ended.
#[derive(Debug, Clone, Copy)]
struct Ended {
    /// Its exit status.
    status: i32,
    /// Whether it got through its start-up (see [`WasiCtx::started`]).
    started: bool,
}

/// Whether `wasio run` starts an instance again after it failed
/// (`--restart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Restart {
    /// Never: the instance's status is the run's (one instance's default).
    No,
    /// After a trap or a non-zero exit, with a growing delay (the default
    /// under `--workers`, unless `--workers-fail-fast`).
    OnFailure,
}

/// What the store holds for one guest.
pub struct Host {
    /// preview1 state.
    pub wasi: WasiCtx,
    /// The guest's memory, once a host call has looked it up.
    pub memory: Option<wasmtime::Memory>,
}

impl WasiView for Host {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }

    fn memory_slot(&mut self) -> &mut Option<wasmtime::Memory> {
        &mut self.memory
    }
}

/// Everything needed to run a guest; the CLI fills it from flags.
#[derive(Debug, Default)]
pub struct RunConfig {
    /// The `.wasm` (or precompiled `.cwasm`) file.
    pub module: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Environment variables the guest sees (nothing else is passed).
    pub env: Vec<(String, String)>,
    /// Preopened directories: host path, guest name, read-only.
    pub dirs: Vec<(PathBuf, String, bool)>,
    /// Addresses to listen on before the guest starts (`--tcplisten`).
    pub tcplisten: Vec<SocketAddr>,
    /// Network policy for extension sockets.
    pub net: NetPolicy,
    /// Largest linear memory, in bytes.
    pub max_memory: Option<usize>,
    /// Most open guest fds.
    pub max_fds: Option<usize>,
    /// Wall-clock limit for the whole run.
    pub timeout: Option<Duration>,
    /// Compiled-code cache directory (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// What to do with imports the host does not provide.
    pub unknown_imports: UnknownImports,
    /// `--workers N`: instances of the guest (`None`: one, and no
    /// `WASIO_WORKER` in its environment).
    pub workers: Option<usize>,
    /// `--workers-fail-fast`: one instance failing stops all.
    pub workers_fail_fast: bool,
    /// `--restart`: `None` for the default ([`Restart::OnFailure`] under
    /// `--workers`, else [`Restart::No`]).
    pub restart: Option<Restart>,
}

/// What `wasio run` does with a module import it does not provide
/// (`--unknown-imports`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum UnknownImports {
    /// Refuse to start, naming the import.
    #[default]
    Error,
    /// Link it as a function that stops the guest, naming the import, if
    /// it is ever called (for crates that import what they never call).
    Trap,
}

impl RunConfig {
    /// A configuration that runs `module` with no arguments, no
    /// environment, no preopens and the default cache.
    pub fn new(module: impl Into<PathBuf>) -> Self {
        Self {
            module: module.into(),
            cache_dir: crate::engine::default_cache_dir(),
            ..Default::default()
        }
    }

    /// Runs the guest to completion and returns its exit status. Errors
    /// are reserved for problems before the guest starts (unreadable
    /// module, bad preopen, missing import); a guest that traps or times
    /// out is reported on stderr and gets a non-zero status.
    ///
    /// The process's soft open-file limit is raised to its hard limit
    /// first (every guest fd is a host fd), with a warning when `max_fds`
    /// still cannot be reached. Listeners are made before the module is
    /// compiled, so a client may connect as soon as the host starts; the
    /// time limit counts from the start, compilation included.
    pub fn run(&self) -> Result<i32> {
        let started = Instant::now();
        let deadline = self.timeout.map(|t| started + t);
        let soft = crate::rlimit::raise_nofile();
        let max_fds = self.max_fds.unwrap_or(wasi::ctx::DEFAULT_MAX_FDS);
        if let Some(w) = crate::rlimit::shortfall(max_fds, soft) {
            tracing::warn!("{w}");
        }

        // Listeners made before any guest runs: systemd's, then ours.
        let mut listeners = crate::activation::take_listeners()?;
        for l in &listeners {
            tracing::info!(addr = %l.local_addr()?, "socket-activated listener");
        }
        for addr in &self.tcplisten {
            let l = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(addr = %l.local_addr()?, "preopened listener");
            listeners.push(l);
        }

        // Epoch checks cost guest CPU: only a run with a time limit has them.
        let host_engine = crate::engine::engine(self.cache_dir.as_deref(), self.timeout.is_some())?;
        let Some((module, interruptible)) = self.load_within(&host_engine, deadline)? else {
            eprintln!(
                "wasio: {} ran past its time limit (--timeout {}s) while it was being compiled",
                self.module.display(),
                self.timeout.unwrap_or_default().as_secs_f64()
            );
            return Ok(EXIT_TIMEOUT);
        };
        let engine = module.engine().clone();
        if let Some(d) = deadline {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(d.saturating_duration_since(Instant::now()));
                engine.increment_epoch();
            });
        } else {
            // No timeout: the epoch never advances, the deadline never hits.
        }

        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        {
            let mut store = Store::new(&engine, self.host(WasiCtx::builder().build()?));
            self.link_unknown_imports(&mut linker, &mut store, &module)?;
        }
        let n = self.workers.unwrap_or(1);
        let lines = (n > 1).then(|| Arc::new(wasi::StdioLines::default()));
        let kept = (n > 1).then(|| Arc::new(wasi::KeptListeners::default()));
        let one = |worker: usize| -> Result<Ended> {
            let mut b = self.context(&listeners, deadline)?;
            if self.workers.is_some() {
                b.env("WASIO_WORKER", &worker.to_string());
            }
            if n > 1 {
                b.reuseport(true);
                b.stdio_lines(lines.clone());
                b.worker(worker, kept.clone());
            }
            let store = Store::new(&engine, self.host(b.build()?));
            self.instance(
                store,
                &linker,
                &module,
                interruptible,
                (n > 1).then_some(worker),
            )
        };
        let restart = self.restart_policy();
        if n == 1 {
            return Ok(self.supervise(None, restart, deadline, || one(0)));
        }
        // Every worker runs to its end; the exit status is the first
        // non-zero one (or, with --workers-fail-fast, the process ends with
        // it at once).
        let first_failure = std::sync::Mutex::new(None::<i32>);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .map(|w| {
                    let (one, first_failure, kept) = (&one, &first_failure, &kept);
                    std::thread::Builder::new()
                        .name(format!("wasio-worker-{w}"))
                        .spawn_scoped(scope, move || {
                            let status = self.supervise(Some(w), restart, deadline, || one(w));
                            if let Some(k) = kept {
                                k.forget_worker(w);
                            }
                            if status != 0 {
                                let mut f = first_failure.lock().unwrap_or_else(|e| e.into_inner());
                                f.get_or_insert(status);
                                if self.workers_fail_fast {
                                    eprintln!(
                                        "wasio: worker {w} exited with status {status}; \
                                         stopping all (--workers-fail-fast)"
                                    );
                                    std::process::exit(status);
                                }
                                eprintln!(
                                    "wasio: worker {w} exited with status {status}; the others go on"
                                );
                            }
                        })
                })
                .collect::<std::io::Result<_>>()?;
            for h in handles {
                let _ = h.join();
            }
            Ok::<_, anyhow::Error>(())
        })?;
        let status = first_failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        Ok(status.unwrap_or(0))
    }

    /// Whether a failed instance is started again: `--restart`, else
    /// on failure under `--workers` (unless `--workers-fail-fast`), else
    /// never.
    fn restart_policy(&self) -> Restart {
        match self.restart {
            Some(r) => r,
            None if self.workers.is_some() && !self.workers_fail_fast => Restart::OnFailure,
            None => Restart::No,
        }
    }

    /// Runs one instance (`worker`, when there are several) until it
    /// ends for good. With [`Restart::OnFailure`], an instance that trapped
    /// or exited non-zero is started again: after [`RESTART_DELAY_MIN`]
    /// when it had got through its start-up (it had waited for I/O or
    /// accepted a connection: a bad request killed a serving instance,
    /// and the service needs it back at once), else after a delay that doubles with every such failure
    /// in a row up to [`RESTART_DELAY_MAX`] (a guest that fails as it
    /// starts must not spin), and not at all after [`RESTART_GIVE_UP`] of
    /// those. Not restarted either: a clean exit, the time limit, an
    /// instance that could not be made at all, or a restart that would
    /// come after the deadline.
    fn supervise(
        &self,
        worker: Option<usize>,
        restart: Restart,
        deadline: Option<Instant>,
        mut one: impl FnMut() -> Result<Ended>,
    ) -> i32 {
        let who = match worker {
            Some(w) => format!("worker {w}"),
            None => self.module.display().to_string(),
        };
        let mut delay = RESTART_DELAY_MIN;
        let mut restarts = 0u64;
        let mut failed_starting = 0u32;
        loop {
            let ended = match one() {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("wasio: {who}: {e:#}");
                    return 1;
                }
            };
            let status = ended.status;
            if status == 0 || status == EXIT_TIMEOUT || restart == Restart::No {
                return status;
            }
            if ended.started {
                delay = RESTART_DELAY_MIN;
                failed_starting = 0;
            } else {
                failed_starting += 1;
                if failed_starting >= RESTART_GIVE_UP {
                    eprintln!(
                        "wasio: {who} failed {failed_starting} times in a row before it got \
                         going (status {status}); not starting it again"
                    );
                    return status;
                }
            }
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                return status;
            }
            restarts += 1;
            eprintln!(
                "wasio: {who} failed with status {status}; restarting it in {} ms \
                 (restart {restarts})",
                delay.as_millis()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(RESTART_DELAY_MAX);
        }
    }

    /// Loads (compiles) the module, giving up at `deadline`: `None` then.
    /// The compilation cannot be interrupted, so it goes on, on a thread of
    /// its own, until the process exits.
    fn load_within(
        &self,
        engine: &crate::engine::HostEngine,
        deadline: Option<Instant>,
    ) -> Result<Option<(wasmtime::Module, bool)>> {
        let Some(deadline) = deadline else {
            return engine.load(&self.module).map(Some);
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (engine, path) = (engine.clone(), self.module.clone());
        std::thread::Builder::new()
            .name("wasio-compile".into())
            .spawn(move || {
                let _ = tx.send(engine.load(&path));
            })
            .context("starting the compiler thread")?;
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(loaded) => loaded.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// The store data for a context.
    fn host(&self, wasi: WasiCtx) -> Host {
        Host { wasi, memory: None }
    }

    /// One instance's context: arguments, environment, preopens (the
    /// directories opened anew, the listeners shared), limits.
    fn context(
        &self,
        listeners: &[TcpListener],
        deadline: Option<Instant>,
    ) -> Result<wasi::ctx::WasiCtxBuilder> {
        let mut b = WasiCtx::builder();
        let argv0 = self.module.display().to_string();
        b.args(std::iter::once(argv0).chain(self.args.iter().cloned()));
        for (k, v) in &self.env {
            b.env(k, v);
        }
        for (host, guest, ro) in &self.dirs {
            b.preopen_dir(host, guest, *ro)?;
        }
        for l in listeners {
            b.preopen_listener(l.try_clone().context("sharing a listener")?);
        }
        if let Some(n) = self.max_fds {
            b.max_fds(n);
        }
        b.max_memory(self.max_memory);
        b.deadline(deadline);
        b.policy(self.net.clone());
        Ok(b)
    }

    /// Instantiates and runs one guest; its exit status. `worker` names
    /// it in messages when there are several.
    fn instance(
        &self,
        mut store: Store<Host>,
        linker: &Linker<Host>,
        module: &wasmtime::Module,
        interruptible: bool,
        worker: Option<usize>,
    ) -> Result<Ended> {
        store.limiter(|h| &mut h.wasi.account);
        if interruptible {
            // The timer thread bumps the epoch once, when time is up.
            store.set_epoch_deadline(1);
            store.epoch_deadline_trap();
        }
        let instance = match linker.instantiate(&mut store, module) {
            Ok(i) => i,
            Err(e) => {
                let e = anyhow::Error::from(e);
                if self.max_memory.is_some() && format!("{e:#}").contains("memory") {
                    bail!(
                        "cannot instantiate {}: {e:#} (is --max-memory too small?)",
                        self.module.display()
                    );
                }
                return Err(e.context(format!("cannot instantiate {}", self.module.display())));
            }
        };
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "{} has no `_start` export: is it a WASI command module?",
                    self.module.display()
                )
            })?;
        let result = start.call(&mut store, ());
        Ok(Ended {
            status: self.status(result, worker),
            started: store.data().wasi.started,
        })
    }

    /// Checks every import the host does not provide: an error naming it
    /// (and the flag), or with `--unknown-imports trap` a function that
    /// traps, naming it, if it is ever called.
    fn link_unknown_imports(
        &self,
        linker: &mut Linker<Host>,
        store: &mut Store<Host>,
        module: &wasmtime::Module,
    ) -> Result<()> {
        let missing: Vec<_> = module
            .imports()
            .filter(|i| linker.get_by_import(&mut *store, i).is_none())
            .collect();
        for import in missing {
            let (m, n) = (import.module().to_string(), import.name().to_string());
            if m == wasi::linker::MODULE {
                bail!(
                    "{} imports `{m}::{n}`, which is not a preview1 function",
                    self.module.display()
                );
            }
            let wasmtime::ExternType::Func(ty) = import.ty() else {
                bail!(
                    "{} imports `{m}::{n}`, which is not a function, and no host provides it",
                    self.module.display()
                );
            };
            if self.unknown_imports == UnknownImports::Error {
                bail!(
                    "{} imports `{m}::{n}`, which wasio does not provide; if the guest never \
                     calls it, run with `--unknown-imports trap` to link it as a function that \
                     stops the guest when called",
                    self.module.display()
                );
            }
            tracing::debug!("linking unknown import `{m}::{n}` as a trap");
            let what = format!("`{m}::{n}`");
            linker
                .func_new(&m, &n, ty, move |_, _, _| {
                    Err(wasmtime::Error::msg(format!(
                        "the guest called {what}, which wasio does not provide \
                         (it was linked as a trap by --unknown-imports trap)"
                    )))
                })
                .map_err(anyhow::Error::from)?;
        }
        Ok(())
    }

    fn status(&self, result: wasmtime::Result<()>, worker: Option<usize>) -> i32 {
        let Err(e) = result else { return 0 };
        let who = match worker {
            Some(w) => format!("{} (worker {w})", self.module.display()),
            None => self.module.display().to_string(),
        };
        if let Some(ProcExit(code)) = e.downcast_ref::<ProcExit>() {
            return *code;
        }
        if e.downcast_ref::<TimedOut>().is_some()
            || matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt))
        {
            let secs = self.timeout.map(|t| t.as_secs_f64()).unwrap_or_default();
            eprintln!("wasio: {who} ran past its time limit (--timeout {secs}s) and was stopped");
            return EXIT_TIMEOUT;
        }
        // The wasm backtrace is part of the chain; the host's own Rust
        // backtrace is noise for a guest trap.
        let text = e
            .chain()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("\n\nCaused by:\n    ");
        if let Some(limit) = e.downcast_ref::<crate::limits::MemoryLimit>() {
            eprintln!(
                "wasio: {who} tried to grow its memory beyond --max-memory {} bytes\n{text}",
                limit.limit
            );
        } else {
            eprintln!("wasio: {who} trapped: {text}");
        }
        EXIT_TRAP
    }
}
