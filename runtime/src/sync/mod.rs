//! Synchronisation between tasks: tokio's `sync` module, re-exported (it
//! needs no tokio runtime). Same names, same semantics: [`mpsc`]
//! (`channel`, `unbounded_channel`, `recv() -> Option<T>`), [`oneshot`],
//! [`broadcast`], [`watch`], [`Notify`], [`Mutex`], [`RwLock`],
//! [`Semaphore`], [`Barrier`], [`OnceCell`].
//!
//! wasio runs every task on one thread, so nothing here needs `Send`
//! values to work across wasio tasks.
//!
//! ```
//! use wasio::sync::{mpsc, oneshot};
//!
//! wasio::block_on(async {
//!     let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
//!     let (done_tx, done_rx) = oneshot::channel();
//!     wasio::spawn(async move {
//!         let mut sum = 0;
//!         while let Some(v) = rx.recv().await {
//!             sum += v;
//!         }
//!         done_tx.send(sum).unwrap();
//!     });
//!     for v in 1..=4 {
//!         tx.send(v).unwrap();
//!     }
//!     drop(tx);
//!     assert_eq!(done_rx.await.unwrap(), 10);
//! });
//! ```

pub use tokio::sync::*;
