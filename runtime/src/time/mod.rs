//! Time: [`sleep`], [`sleep_until`], [`interval`], [`timeout`].
//!
//! Timers live in one heap in the reactor (O(log n) each) and become the
//! timeout of the next wait: nothing busy-waits. Time is the runtime's
//! clock ([`Instant`]), which a test can [`pause`] and [`advance`].
//!
//! ```
//! use std::time::Duration;
//! use wasio::time::{sleep, timeout, Instant};
//!
//! wasio::block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(20)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(20));
//!     let slow = sleep(Duration::from_secs(60));
//!     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
//! });
//! ```

pub(crate) mod clock;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod timer;

pub use clock::{advance, pause, resume, Instant};
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

/// The time module's errors, where tokio keeps them.
pub mod error {
    pub use super::timeout::Elapsed;
}
