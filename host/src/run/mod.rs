//! Running a guest: loading it, its instances (one, or `--workers`), their
//! restarts, and exit statuses. A preview1 module runs on wasio's own WASI
//! ([`module`]), a WASI 0.2 component on wasmtime-wasi's under the same
//! policy and limits ([`component`]).

mod component;
mod module;
mod supervise;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use wasmtime::Trap;

use crate::engine::Program;
use crate::policy::NetPolicy;
use crate::wasi::{self, ProcExit, TimedOut};

pub use module::Host;

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

/// How long a component's open connections get after SIGTERM or SIGINT
/// when `--drain` is not given.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);
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
    /// `--drain`: how long a component's open connections get after
    /// SIGTERM or SIGINT.
    pub drain: Duration,
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
            drain: DEFAULT_DRAIN,
            ..Default::default()
        }
    }

    /// Runs the guest to completion and returns its exit status. Errors
    /// are reserved for problems before the guest starts (unreadable
    /// program, bad preopen, missing import); a guest that traps or times
    /// out is reported on stderr and gets a non-zero status.
    ///
    /// The process's soft open-file limit is raised to its hard limit
    /// first (every guest fd is a host fd), with a warning when `max_fds`
    /// still cannot be reached. Listeners are made before the program is
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
        let Some((program, interruptible)) = self.load_within(&host_engine, deadline)? else {
            eprintln!(
                "wasio: {} ran past its time limit (--timeout {}s) while it was being compiled",
                self.module.display(),
                self.timeout.unwrap_or_default().as_secs_f64()
            );
            return Ok(EXIT_TIMEOUT);
        };
        if let Some(d) = deadline {
            let engine = program.engine().clone();
            std::thread::spawn(move || {
                std::thread::sleep(d.saturating_duration_since(Instant::now()));
                engine.increment_epoch();
            });
        } else {
            // No timeout: the epoch never advances, the deadline never hits.
        }
        match program {
            Program::Module(m) => self.run_module(&m, interruptible, &listeners, deadline),
            Program::Component(c) => self.run_component(&c, interruptible, &listeners, deadline),
        }
    }

    /// Runs `n` instances, each made and run by `one(worker)` under
    /// [`RunConfig::supervise`], and returns the run's exit status: the
    /// only instance's, or with several the first non-zero one (with
    /// `--workers-fail-fast` the process ends with it at once).
    /// `forget_worker` runs when a worker is gone for good.
    fn run_instances(
        &self,
        n: usize,
        deadline: Option<Instant>,
        one: &(dyn Fn(usize) -> Result<Ended> + Sync),
        forget_worker: &(dyn Fn(usize) + Sync),
    ) -> Result<i32> {
        let restart = self.restart_policy();
        if n == 1 {
            return Ok(self.supervise(None, restart, deadline, || one(0)));
        }
        let first_failure = std::sync::Mutex::new(None::<i32>);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .map(|w| {
                    let first_failure = &first_failure;
                    std::thread::Builder::new()
                        .name(format!("wasio-worker-{w}"))
                        .spawn_scoped(scope, move || {
                            let status = self.supervise(Some(w), restart, deadline, || one(w));
                            forget_worker(w);
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

    /// Loads (compiles) the program, giving up at `deadline`: `None` then.
    /// The compilation cannot be interrupted, so it goes on, on a thread of
    /// its own, until the process exits.
    fn load_within(
        &self,
        engine: &crate::engine::HostEngine,
        deadline: Option<Instant>,
    ) -> Result<Option<(Program, bool)>> {
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

    fn status(&self, result: wasmtime::Result<()>, worker: Option<usize>) -> i32 {
        let Err(e) = result else { return 0 };
        let who = match worker {
            Some(w) => format!("{} (worker {w})", self.module.display()),
            None => self.module.display().to_string(),
        };
        if let Some(ProcExit(code)) = e.downcast_ref::<ProcExit>() {
            return *code;
        }
        if let Some(wasmtime_wasi::I32Exit(code)) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            return *code;
        }
        if e.downcast_ref::<crate::wasi::Stopped>().is_some() {
            eprintln!("wasio: {who} stopped on a signal (it no longer accepted; open connections closed or --drain ran out)");
            return 0;
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
