//! The runtime's clock, and [`Instant`], read from it.
//!
//! A runtime reads the system's monotonic clock until a test pauses it
//! ([`pause`], or `Builder::start_paused`). From then on, time stands
//! still: it moves only when [`advance`] moves it, or when the runtime
//! has nothing to do but wait for a timer — then it jumps to that timer's
//! deadline at once (auto-advance), as tokio's test clock does. [`resume`]
//! lets it run again from where it stood. A paused clock belongs to its
//! runtime: outside one, [`Instant::now`] is the system's clock.

use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::runtime::{try_with_current, with_current};

/// A moment of the runtime's clock: [`std::time::Instant`], except that
/// [`Instant::now`] reads the clock of the runtime it runs in, which a
/// test may have paused (see [`pause`]). Convert with [`Instant::from_std`]
/// and [`Instant::into_std`] (or `From`/`Into`).
///
/// ```
/// use std::time::Duration;
/// use wasio::time::Instant;
///
/// let start = Instant::now();
/// let later = start + Duration::from_millis(5);
/// assert_eq!(later - start, Duration::from_millis(5));
/// assert_eq!(later.into_std(), start.into_std() + Duration::from_millis(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: std::time::Instant,
}

impl Instant {
    /// Now, by the current runtime's clock (the system's clock outside a
    /// runtime, and inside one whose clock was never paused).
    pub fn now() -> Instant {
        Instant::from_std(now())
    }

    /// The `Instant` of a [`std::time::Instant`].
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { std }
    }

    /// This moment as a [`std::time::Instant`].
    pub fn into_std(self) -> std::time::Instant {
        self.std
    }

    /// The time from `earlier` to this one, zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// The time from `earlier` to this one, `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// The time from `earlier` to this one, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// The time since this moment, by the runtime's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, `None` on overflow.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_add(duration).map(Instant::from_std)
    }

    /// `self - duration`, `None` on overflow.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_sub(duration).map(Instant::from_std)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(i: Instant) -> std::time::Instant {
        i.into_std()
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, d: Duration) -> Instant {
        Instant::from_std(self.std + d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        self.std += d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, d: Duration) -> Instant {
        Instant::from_std(self.std - d)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        self.std -= d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Zero when `rhs` is later, as tokio's.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

/// What a runtime's clock reads.
#[derive(Clone, Copy, Debug)]
enum State {
    /// The system's clock (never paused).
    System,
    /// Paused at `base`.
    Paused { base: std::time::Instant },
    /// Paused once, running again: `base` plus the time since `since`.
    Resumed {
        base: std::time::Instant,
        since: std::time::Instant,
    },
}

/// A runtime's clock (one per runtime, read on its thread).
#[derive(Debug)]
pub(crate) struct Clock {
    state: Cell<State>,
}

impl Clock {
    /// A clock that runs, or one paused now.
    pub(crate) fn new(paused: bool) -> Clock {
        let clock = Clock {
            state: Cell::new(State::System),
        };
        if paused {
            clock.pause();
        }
        clock
    }

    /// Now, by this clock.
    pub(crate) fn now(&self) -> std::time::Instant {
        match self.state.get() {
            State::System => std::time::Instant::now(),
            State::Paused { base } => base,
            State::Resumed { base, since } => base + since.elapsed(),
        }
    }

    /// Whether time stands still (and the runtime may jump it to its next
    /// timer when it has nothing else to do).
    pub(crate) fn is_paused(&self) -> bool {
        matches!(self.state.get(), State::Paused { .. })
    }

    fn pause(&self) {
        let base = match self.state.get() {
            State::Paused { .. } => panic!("time is already frozen"),
            State::System | State::Resumed { .. } => self.now(),
        };
        self.state.set(State::Paused { base });
    }

    fn resume(&self) {
        let State::Paused { base } = self.state.get() else {
            panic!("time is not frozen");
        };
        self.state.set(State::Resumed {
            base,
            since: std::time::Instant::now(),
        });
    }

    /// Moves a paused clock on by `d`.
    pub(crate) fn advance(&self, d: Duration) {
        let State::Paused { base } = self.state.get() else {
            panic!("time is not frozen");
        };
        self.state.set(State::Paused { base: base + d });
    }
}

/// Now, by the current runtime's clock; the system's outside a runtime.
pub(crate) fn now() -> std::time::Instant {
    try_with_current(|i| i.clock.now()).unwrap_or_else(std::time::Instant::now)
}

/// Pauses the current runtime's clock: [`Instant::now`] stands still
/// from here, and moves only by [`advance`] — or, when every task waits
/// and a timer is pending, straight to that timer's deadline.
///
/// For tests: a test of timeouts and retries runs at once, and its times
/// are exact.
///
/// # Panics
/// Outside a runtime, or if the clock is already paused.
///
/// ```
/// use std::time::Duration;
/// use wasio::time::{self, Instant};
///
/// wasio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
///     time::pause();
///     let start = Instant::now();
///     // No real hour passes: the runtime has nothing else to do.
///     time::sleep(Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
pub fn pause() {
    with_current(|i| i.clock.pause());
}

/// Lets a paused clock run again, from where it stands.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused.
pub fn resume() {
    with_current(|i| i.clock.resume());
}

/// Moves a paused clock on by `duration`, then yields, so timers due by
/// then fire before this returns.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused.
///
/// ```
/// use std::time::Duration;
/// use wasio::time::{self, Instant};
///
/// wasio::runtime::Builder::new_current_thread()
///     .start_paused(true)
///     .build()
///     .unwrap()
///     .block_on(async {
///         let start = Instant::now();
///         time::advance(Duration::from_millis(250)).await;
///         assert_eq!(start.elapsed(), Duration::from_millis(250));
///     });
/// ```
pub async fn advance(duration: Duration) {
    with_current(|i| i.clock.advance(duration));
    crate::task::yield_now().await;
}
