//! [`WasioExecutor`] and [`WasioTimer`]: hyper's runtime hooks on wasio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// hyper's `Executor` on wasio: spawns each future as a wasio task. No
/// `Send` bound, as on the rest of wasio (HTTP/2 streams, graceful
/// shutdown watchers and client connections use it).
#[derive(Debug, Clone, Copy, Default)]
pub struct WasioExecutor;

impl WasioExecutor {
    /// The executor.
    pub fn new() -> Self {
        WasioExecutor
    }
}

impl<F> hyper::rt::Executor<F> for WasioExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        // Detached: hyper owns the future's lifetime.
        drop(crate::spawn(fut));
    }
}

/// hyper's `Timer` on wasio's timers (header-read and keep-alive timeouts,
/// HTTP/2 keep-alive pings). A sleep hyper resets is moved in place, not
/// re-created. Its `now` is the runtime's clock at its last wake-up, as
/// tokio's timer reads its driver's: hyper asks for it on every request,
/// and under wasm every clock read is a host call.
#[derive(Debug, Clone, Copy, Default)]
pub struct WasioTimer;

impl WasioTimer {
    /// The timer.
    pub fn new() -> Self {
        WasioTimer
    }
}

/// One hyper sleep: a wasio [`Sleep`](crate::time::Sleep).
struct HyperSleep(crate::time::Sleep);

impl Future for HyperSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

/// hyper's "now": the reactor's clock at its last wake-up (a request's
/// timeouts are seconds; reading the clock is a host call on wasm).
fn coarse_now() -> Instant {
    crate::runtime::with_reactor(|r| r.last_now).unwrap_or_else(crate::time::clock::now)
}

impl hyper::rt::Timer for WasioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let sleep = match coarse_now().checked_add(duration) {
            Some(deadline) => crate::time::sleep_until(deadline.into()),
            None => crate::time::sleep(duration),
        };
        Box::pin(HyperSleep(sleep))
    }

    fn now(&self) -> Instant {
        coarse_now()
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep_until(deadline.into())))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(s) => s.get_mut().0.reset(new_deadline.into()),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
