//! [`Builder`]: tokio's runtime builder, for wasio's one-thread runtime.

use std::fmt;
use std::io;
use std::time::Duration;

use super::scheduler::{Inner, Options};
use super::{LocalOptions, LocalRuntime, Runtime};

/// Builds a [`Runtime`] with tokio's builder calls, so code that builds
/// its runtime by hand ports by renaming.
///
/// Both constructors build wasio's runtime, which runs every task on the
/// thread that drives it: `new_multi_thread` is accepted (as
/// `#[wasio::main(flavor = "multi_thread")]` is) so such code builds and
/// runs, on one thread; for more cores run more instances
/// (`wasio run --workers N`). I/O and timers are always enabled, so the
/// `enable_*` calls only say what the code expects. The thread-pool
/// settings (`worker_threads`, `thread_name`, `thread_stack_size`,
/// `max_blocking_threads`, …) are accepted and have nothing to set.
/// [`event_interval`](Self::event_interval), [`name`](Self::name),
/// [`on_thread_park`](Self::on_thread_park) and
/// [`on_thread_unpark`](Self::on_thread_unpark) and
/// [`start_paused`](Self::start_paused) take effect.
///
/// ```
/// let rt = wasio::runtime::Builder::new_current_thread()
///     .enable_all()
///     .name("app")
///     .build()
///     .unwrap();
/// assert_eq!(rt.handle().name(), Some("app"));
/// assert_eq!(rt.block_on(async { 5 }), 5);
/// ```
pub struct Builder {
    options: Options,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.options.name)
            .field("event_interval", &self.options.event_interval)
            .finish()
    }
}

impl Builder {
    /// A builder for the runtime every wasio program has: tasks on the
    /// thread that drives it.
    pub fn new_current_thread() -> Self {
        Self {
            options: Options::default(),
        }
    }

    /// The same runtime as [`new_current_thread`](Self::new_current_thread)
    /// (wasio has one thread per instance; see the type's docs).
    pub fn new_multi_thread() -> Self {
        Self::new_current_thread()
    }

    /// I/O and timers (always on in wasio).
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// The I/O driver (always on in wasio).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Timers (always on in wasio).
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// A name for the runtime, read back with
    /// [`Handle::name`](super::Handle::name).
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        self.options.name = Some(name.into());
        self
    }

    /// How many tasks run between two looks at I/O and timers while tasks
    /// keep being ready (default 61, as tokio's).
    ///
    /// # Panics
    /// If `interval` is 0.
    pub fn event_interval(&mut self, interval: u32) -> &mut Self {
        assert!(interval > 0, "event_interval must be greater than 0");
        self.options.event_interval = Some(interval);
        self
    }

    /// Called on the runtime's thread each time it is about to wait for
    /// I/O or a timer because no task is ready. A task the hook wakes (or
    /// a wake it defers with `yield_now`) runs before the wait.
    pub fn on_thread_park<F: Fn() + 'static>(&mut self, f: F) -> &mut Self {
        self.options.on_park = Some(std::rc::Rc::new(f));
        self
    }

    /// Called on the runtime's thread each time it wakes from such a wait.
    pub fn on_thread_unpark<F: Fn() + 'static>(&mut self, f: F) -> &mut Self {
        self.options.on_unpark = Some(std::rc::Rc::new(f));
        self
    }

    /// What a panic in a task does to the runtime (tokio's unstable
    /// option): with [`UnhandledPanic::ShutdownRuntime`] the `block_on`
    /// driving it panics and the runtime's tasks are cancelled when it is
    /// dropped. (On wasm a panic aborts the program either way.)
    pub fn unhandled_panic(&mut self, behavior: UnhandledPanic) -> &mut Self {
        self.options.shutdown_on_panic = behavior == UnhandledPanic::ShutdownRuntime;
        self
    }

    /// Seeds the runtime's random generator, which
    /// `macros::support::thread_rng_n` draws from: two runtimes with the
    /// same seed draw the same numbers. (`select!`'s random branch order
    /// comes from tokio's own generator, which a wasio runtime cannot
    /// seed.)
    pub fn rng_seed(&mut self, seed: RngSeed) -> &mut Self {
        self.options.rng_seed = Some(seed.0);
        self
    }

    /// Starts the runtime with its clock paused (tokio's `test-util`
    /// option): see [`time::pause`](crate::time::pause). What
    /// `#[wasio::test(start_paused = true)]` sets.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wasio::time::Instant;
    ///
    /// let rt = wasio::runtime::Builder::new_current_thread()
    ///     .start_paused(true)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let start = Instant::now();
    ///     wasio::time::sleep(Duration::from_secs(60)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(60));
    /// });
    /// ```
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.options.start_paused = start_paused;
        self
    }

    /// Accepted; wasio has one timer.
    pub fn enable_alt_timer(&mut self) -> &mut Self {
        self
    }

    /// Accepted; wasio runs tasks on one thread.
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "Worker threads cannot be set to 0");
        self
    }

    /// Accepted; the blocking pool sizes itself (at most 64 threads).
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "Max blocking threads cannot be set to 0");
        self
    }

    /// Accepted; wasio starts no worker threads to name.
    pub fn thread_name(&mut self, _name: impl Into<String>) -> &mut Self {
        self
    }

    /// Accepted; wasio starts no worker threads to name.
    pub fn thread_name_fn<F>(&mut self, _f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; wasio starts no worker threads.
    pub fn thread_stack_size(&mut self, _bytes: usize) -> &mut Self {
        self
    }

    /// Accepted; wasio starts no worker threads.
    pub fn on_thread_start<F>(&mut self, _f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; wasio starts no worker threads.
    pub fn on_thread_stop<F>(&mut self, _f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; idle blocking-pool threads leave after 10 s.
    pub fn thread_keep_alive(&mut self, _duration: Duration) -> &mut Self {
        self
    }

    /// Accepted; wasio has one run queue.
    pub fn global_queue_interval(&mut self, interval: u32) -> &mut Self {
        assert!(interval > 0, "global_queue_interval must be greater than 0");
        self
    }

    /// Accepted; the reactor takes what each wait returns.
    pub fn max_io_events_per_tick(&mut self, _capacity: usize) -> &mut Self {
        self
    }

    /// Builds the runtime (its poller: an error if the OS refuses one).
    pub fn build(&mut self) -> io::Result<Runtime> {
        crate::sys::init();
        super::tokio_hint::install();
        Ok(Runtime::from_inner(Inner::new(self.options.clone())?))
    }

    /// Builds the runtime as tokio's `LocalRuntime`.
    pub fn build_local(&mut self, _options: LocalOptions) -> io::Result<LocalRuntime> {
        self.build().map(LocalRuntime::new)
    }
}

/// What a panic in a spawned task does (see [`Builder::unhandled_panic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// The panic is the task's `JoinError`; the runtime goes on.
    Ignore,
    /// The runtime stops: its `block_on` panics.
    ShutdownRuntime,
}

/// A seed for a runtime's random choices (see [`Builder::rng_seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RngSeed(u64);

impl RngSeed {
    /// A seed from any bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        // FNV-1a: the same bytes give the same seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(h)
    }
}
