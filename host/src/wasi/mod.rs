//! Our own implementation of WASI preview1 (`wasi_snapshot_preview1`), and
//! WASI 0.2 for components (`preview2`, on wasmtime-wasi) under the same
//! policy and limits.
//!
//! Files go through cap-std, readiness through one persistent mio `Poll`
//! (`reactor`), guest memory through bounds-checked accessors (`mem`).
//! Nothing a guest passes can panic the host: every argument is checked and
//! answered with an errno.

pub(crate) mod buffer_size;
pub mod ctx;
pub mod errno;
pub(crate) mod extensions;
pub mod kept;
pub mod linker;
pub(crate) mod lookup;
pub(crate) mod mem;
pub(crate) mod preview1;
pub mod preview2;
pub(crate) mod reactor;
pub(crate) mod rights;
pub(crate) mod stdio;
pub(crate) mod stdio_lines;
pub(crate) mod table;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::{ProcExit, Stopped, TimedOut};
pub use kept::KeptListeners;
pub use linker::{add_to_linker, WasiView};
pub use stdio_lines::StdioLines;
