//! Synchronisation between tasks, from well-kept crates:
//!
//! - [`mpsc`] and [`oneshot`] channels from `futures-channel`;
//! - [`broadcast`] from `async-broadcast`;
//! - [`Mutex`], [`RwLock`], [`Semaphore`], [`Barrier`] from `async-lock`;
//! - [`Event`] (notify one / notify all) from `event-listener`.
//!
//! None needs `Send` values, and all work across wasio tasks.
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use wasio::sync::{mpsc, oneshot};
//!
//! wasio::block_on(async {
//!     let (mut tx, mut rx) = mpsc::channel::<u32>(8);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     wasio::spawn(async move {
//!         let mut sum = 0;
//!         while let Some(v) = rx.next().await {
//!             sum += v;
//!         }
//!         done_tx.send(sum).unwrap();
//!     });
//!     for v in 1..=4 {
//!         tx.send(v).await.unwrap();
//!     }
//!     drop(tx);
//!     assert_eq!(done_rx.await.unwrap(), 10);
//! });
//! ```

pub use async_lock::{
    Barrier, BarrierWaitResult, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    Semaphore, SemaphoreGuard,
};
pub use event_listener::{Event, EventListener, Listener};
pub use futures_channel::{mpsc, oneshot};

/// Multi-producer, multi-consumer broadcast channels (`async-broadcast`).
pub mod broadcast {
    pub use async_broadcast::*;
}
