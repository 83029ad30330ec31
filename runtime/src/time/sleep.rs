//! The [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::{try_with_reactor, with_reactor};

/// Waits until `duration` has passed.
///
/// ```
/// wasio::block_on(wasio::time::sleep(std::time::Duration::from_millis(1)));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(far_deadline(duration))
}

/// Waits until `deadline`.
///
/// ```
/// use std::time::{Duration, Instant};
/// wasio::block_on(wasio::time::sleep_until(Instant::now() + Duration::from_millis(1)));
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { deadline, id: None }
}

/// `now + d`, saturating far in the future instead of overflowing.
pub(crate) fn far_deadline(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    id: Option<u64>,
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (the sleep may have elapsed already).
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
    }

    fn cancel(&mut self) {
        if let Some(id) = self.id.take() {
            try_with_reactor(|r| r.timers.cancel(id));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            self.id = None;
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let id = self.id;
        let new_id = with_reactor(|r| match id {
            Some(id) if r.timers.update(id, cx.waker()) => id,
            _ => r.timers.insert(deadline, cx.waker().clone()),
        });
        self.id = Some(new_id);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}
