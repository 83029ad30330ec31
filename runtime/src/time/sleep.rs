//! The [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::clock::Instant;
use super::timer::{deadline_after, TimerId};
use crate::runtime::{try_with_reactor, with_current};

/// Waits until `duration` has passed.
///
/// ```
/// wasio::block_on(wasio::time::sleep(std::time::Duration::from_millis(1)));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::from_std(deadline_after(
        super::clock::now(),
        duration,
    )))
}

/// Waits until `deadline`.
///
/// A sleep may be made outside a runtime (tokio's panics there): it joins
/// the runtime that first polls it.
///
/// ```
/// use std::time::Duration;
/// use wasio::time::Instant;
/// wasio::block_on(wasio::time::sleep_until(Instant::now() + Duration::from_millis(1)));
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        id: None,
        elapsed: false,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    id: Option<TimerId>,
    /// A poll found the deadline passed.
    elapsed: bool,
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the sleep is over: a poll returned ready, or its timer
    /// has fired (as tokio's, a sleep never polled is not elapsed).
    pub fn is_elapsed(&self) -> bool {
        self.elapsed
            || self.id.is_some_and(|id| {
                crate::runtime::try_with_current(|i| {
                    i.reactor
                        .try_borrow()
                        .is_ok_and(|r| !r.timers.is_pending(id))
                })
                .unwrap_or(false)
            })
    }

    /// Moves the deadline (the sleep may have elapsed already).
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
        self.elapsed = false;
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
        let deadline = self.deadline.into_std();
        let id = self.id;
        // Elapsed by the reactor's clock (the time its last wait ended, as
        // tokio's timer uses its driver's): no clock read here, which on
        // wasm is a host call. A deadline that passed since is found by
        // the next wait, which then does not block. A paused clock is read
        // (it costs nothing): it moves by `advance`, between waits.
        let new_id = with_current(|i| {
            // Nothing drives a dropped runtime's timers: waiting would
            // hang (tokio panics here too).
            assert!(
                !i.shared.is_shut_down(),
                "a wasio timer was polled under a runtime that has been shut down: nothing \
                 would ever fire it (make the sleep under a live runtime)"
            );
            let r = &mut *i.reactor.borrow_mut();
            let now = if i.clock.is_paused() {
                Some(i.clock.now())
            } else {
                r.last_now
            };
            if now.is_some_and(|now| now >= deadline) {
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
                self.elapsed = true;
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
