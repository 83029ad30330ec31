//! The `wasi_snapshot_preview1` functions, as methods of [`WasiCtx`].
//!
//! Each takes the guest memory and the raw (already zero-extended)
//! arguments and returns `Ok(())` or an errno; [`crate::wasi::linker`]
//! turns that into the wasm return value.
//!
//! [`WasiCtx`]: crate::wasi::ctx::WasiCtx

// The argument lists are preview1's, fixed by the spec.
#![allow(clippy::too_many_arguments)]

mod args;
mod blocking;
mod clock;
mod fd;
mod fifo;
mod path;
mod poll;
mod random;
mod sock;
mod stat;
mod timestamps;

pub(crate) use poll::MAX_SUBSCRIPTIONS;
