//! Our own implementation of WASI preview1 (`wasi_snapshot_preview1`).
//!
//! Files go through cap-std, readiness through one persistent mio `Poll`
//! ([`reactor`]), guest memory through bounds-checked accessors ([`mem`]).
//! Nothing a guest passes can panic the host: every argument is checked and
//! answered with an errno.

pub mod ctx;
pub mod errno;
pub mod ext;
pub mod linker;
pub mod mem;
pub mod p1;
pub mod reactor;
pub mod rights;
pub mod table;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::{ProcExit, TimedOut};
pub use linker::{add_to_linker, WasiView};
