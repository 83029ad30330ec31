//! [`timeout`]: give up on a future after a while.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::clock::Instant;
use super::sleep::{sleep_until, Sleep};
use super::timer::TimerId;
use crate::runtime::{try_with_reactor, with_reactor};

/// The future did not finish in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future`, giving up after `duration`.
///
/// The clock starts when a poll first finds `future` pending — for
/// `timeout(d, f).await` that is at once, as with tokio. A future that is
/// ready on its first poll never touches the timer heap, so wrapping every
/// read of a server in a timeout costs nothing when the data is already
/// there. Starting the limit reads no clock either (on wasm a clock read
/// is a host call): it is counted from the runtime's next clock read,
/// which it takes before it waits for I/O, so the limit never ends early
/// and ends late by at most the rest of that turn of the run queue.
///
/// ```
/// use std::time::Duration;
/// wasio::block_on(async {
///     let r = wasio::time::timeout(Duration::from_secs(1), async { 5 }).await;
///     assert_eq!(r, Ok(5));
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        limit: Limit::After(duration),
    }
}

/// Runs `future`, giving up at `deadline`.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        limit: Limit::Sleep(sleep_until(deadline)),
    }
}

/// A timeout's limit: a duration not yet started, its running timer, or
/// a sleep to a fixed deadline ([`timeout_at`]).
#[derive(Debug)]
enum Limit {
    After(Duration),
    Running(Alarm),
    Sleep(Sleep),
}

/// A started [`Limit::After`]: a timer counted from the reactor's next
/// clock read, cancelled when dropped.
#[derive(Debug)]
struct Alarm(TimerId);

impl Drop for Alarm {
    fn drop(&mut self) {
        try_with_reactor(|r| r.timers.cancel(self.0));
    }
}

pin_project! {
    /// Future returned by [`timeout`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        limit: Limit,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let elapsed = match this.limit {
            Limit::After(d) => {
                let id = with_reactor(|r| r.timers.insert_after(*d, cx.waker().clone()));
                *this.limit = Limit::Running(Alarm(id));
                false
            }
            // `update` finds no pending timer once it has fired.
            Limit::Running(Alarm(id)) => !with_reactor(|r| r.timers.update(*id, cx.waker())),
            Limit::Sleep(sleep) => Pin::new(sleep).poll(cx).is_ready(),
        };
        if elapsed {
            Poll::Ready(Err(Elapsed(())))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::pin::pin;

    use crate::runtime::with_reactor;

    fn no_timers() -> bool {
        with_reactor(|r| r.timers.is_empty())
    }

    #[test]
    fn the_clock_starts_only_when_the_future_is_pending() {
        crate::block_on(async {
            assert_eq!(timeout(Duration::from_secs(5), async { 1 }).await, Ok(1));
            assert!(no_timers(), "a ready future started a timer");

            let mut first = true;
            let pending_once = poll_fn(|cx| {
                if std::mem::take(&mut first) {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else {
                    Poll::Ready(2)
                }
            });
            {
                let mut t = pin!(timeout(Duration::from_secs(5), pending_once));
                poll_fn(|cx| {
                    assert!(t.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                assert!(!no_timers(), "a pending future runs its timer");
                assert_eq!(t.await, Ok(2));
            }
            assert!(no_timers(), "dropping the timeout cancels its timer");

            // And a timeout that started still fires, never early.
            let start = Instant::now();
            let never = std::future::pending::<()>();
            assert!(timeout(Duration::from_millis(20), never).await.is_err());
            assert!(start.elapsed() >= Duration::from_millis(20));
            assert!(no_timers());
        });
    }
}
