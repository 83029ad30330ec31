//! [`timeout`]: give up on a future after a while.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::sleep::{far_deadline, sleep_until, Sleep};

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
/// ready on its first poll never reads the clock nor touches the timer
/// heap (on wasm a clock read is a host call), so wrapping every read of a
/// server in a timeout costs nothing when the data is already there.
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

/// A timeout's limit: a duration not yet started, or its running sleep.
#[derive(Debug)]
enum Limit {
    After(Duration),
    Sleep(Sleep),
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
        if let Limit::After(d) = *this.limit {
            *this.limit = Limit::Sleep(sleep_until(far_deadline(d)));
        }
        let Limit::Sleep(sleep) = this.limit else {
            unreachable!("the limit was started above")
        };
        match Pin::new(sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
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

            // And a timeout that started still fires.
            let never = std::future::pending::<()>();
            assert!(timeout(Duration::from_millis(5), never).await.is_err());
            assert!(no_timers());
        });
    }
}
