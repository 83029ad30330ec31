//! The [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::timer::{deadline_after, TimerId};
use crate::runtime::{try_with_reactor, with_reactor};

/// Waits until `duration` has passed.
///
/// ```
/// wasio::block_on(wasio::time::sleep(std::time::Duration::from_millis(1)));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(Instant::now(), duration))
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

/// Future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    id: Option<TimerId>,
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
        let deadline = self.deadline;
        let id = self.id;
        // Elapsed by the reactor's clock (the time its last wait ended, as
        // tokio's timer uses its driver's): no clock read here, which on
        // wasm is a host call. A deadline that passed since is found by
        // the next wait, which then does not block.
        let new_id = with_reactor(|r| {
            if r.last_now.is_some_and(|now| now >= deadline) {
                if let Some(id) = id {
                    r.timers.cancel(id);
                }
                return None;
            }
            Some(match id {
                Some(id) if r.timers.update(id, cx.waker()) => id,
                _ => r.timers.insert(deadline, cx.waker().clone()),
            })
        });
        match new_id {
            None => {
                self.id = None;
                Poll::Ready(())
            }
            Some(id) => {
                self.id = Some(id);
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}
