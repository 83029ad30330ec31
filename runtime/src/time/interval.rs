//! [`Interval`]: ticks at a fixed period.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::clock::Instant;
use super::sleep::{sleep_until, Sleep};
use std::future::Future;

/// What an [`Interval`] does when ticks were missed (the task was busy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, then keep the original schedule.
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next tick is one
    /// period after it.
    Delay,
    /// Drop the missed ticks and keep the original phase.
    Skip,
}

impl MissedTickBehavior {
    /// The tick after `scheduled`, found at `now` to be late.
    fn next_tick(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => scheduled + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let behind = (now - scheduled).as_nanos() % period.as_nanos();
                // `behind` < `period`, which is a `Duration`.
                now + (period - Duration::from_nanos(behind as u64))
            }
        }
    }
}

/// Ticks every `period` (at most about 30 years), starting now (the first
/// tick is immediate).
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
/// wasio::block_on(async {
///     let mut every = wasio::time::interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await;
///     }
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first time at `start`.
///
/// # Panics
/// If `period` is zero.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be non-zero");
    Interval {
        sleep: Box::pin(sleep_until(start)),
        period: super::timer::safe_delay(period),
        missed: MissedTickBehavior::default(),
    }
}

/// A stream of instants, `period` apart. See [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Pin<Box<Sleep>>,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns when it was scheduled.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick. A tick found more than 5 ms late counts
    /// as missed (as tokio's): the next one is then scheduled by the
    /// [`MissedTickBehavior`].
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let next = if now > scheduled + Duration::from_millis(5) {
            self.missed.next_tick(scheduled, now, self.period)
        } else {
            scheduled + self.period
        };
        self.sleep.as_mut().get_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// Chooses what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, b: MissedTickBehavior) {
        self.missed = b;
    }

    /// The current missed-tick behaviour.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.reset_at(Instant::now() + self.period);
    }

    /// Restarts the schedule: the next tick is now.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule: the next tick is `after` from now (at most
    /// about 30 years).
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(Instant::now() + super::timer::safe_delay(after));
    }

    /// Restarts the schedule: the next tick is at `deadline`, the ones
    /// after it a period apart.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.sleep.as_mut().get_mut().reset(deadline);
    }
}
