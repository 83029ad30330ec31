//! Async I/O: tokio's I/O traits and utilities, and async standard streams.
//!
//! `wasio::io` *is* tokio's `io-util` layer (re-exported from the `tokio`
//! crate, whose runtime is never used): [`AsyncRead`], [`AsyncWrite`],
//! [`AsyncBufRead`], [`AsyncSeek`], [`ReadBuf`], the extension traits,
//! [`copy`], [`copy_bidirectional`], [`split`], [`BufReader`],
//! [`BufWriter`], [`Lines`], [`duplex`] and the rest. Every wasio I/O type
//! (TCP and Unix streams and their halves, [`fs::File`](crate::fs::File),
//! [`Stdin`], [`Stdout`], [`Stderr`]) implements these traits, so crates
//! written for tokio's I/O (tokio-util codecs, hyper's tokio glue, ...)
//! take wasio's types as they are. With the `futures-io` cargo feature the
//! same types also implement the `futures-io` traits.
//!
//! What wasio adds: [`stdin`], [`stdout`] and [`stderr`] (read and written
//! without blocking other tasks), and [`Interest`]/[`Ready`] for
//! `ready()`. [`sink`], [`empty`] and [`repeat`] are wasio's own too, with
//! tokio's shapes: always ready, they spend wasio's cooperative budget, so
//! a loop over one yields to other tasks as under tokio.
//!
//! ```
//! use wasio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
//!
//! wasio::block_on(async {
//!     let (mut a, b) = wasio::io::duplex(64);
//!     a.write_all(b"hello\nworld\n").await.unwrap();
//!     drop(a);
//!     let mut lines = BufReader::new(b).lines();
//!     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("hello"));
//!     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("world"));
//!     assert_eq!(lines.next_line().await.unwrap(), None);
//!
//!     let mut out = Vec::new();
//!     let n = wasio::io::copy(&mut &b"abc"[..], &mut out).await.unwrap();
//!     assert_eq!((n, &out[..]), (3, &b"abc"[..]));
//!     let mut s = String::new();
//!     (&b"xyz"[..]).read_to_string(&mut s).await.unwrap();
//!     assert_eq!(s, "xyz");
//! });
//! ```

pub(crate) mod evented;
mod interest;
mod stdio;
mod util;

pub use interest::{Interest, Ready};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use tokio::io::*;
// wasio's own, in place of tokio's: they spend wasio's budget.
pub use util::{empty, repeat, sink, Empty, Repeat, Sink};

/// The unfilled part of `buf` as bytes to read into, without zeroing it.
///
/// # Safety
/// The caller may only write to the slice (never read it), and must then
/// tell `buf` how many bytes it wrote, with `assume_init` and `advance`.
pub(crate) unsafe fn unfilled<'a>(buf: &'a mut ReadBuf<'_>) -> &'a mut [u8] {
    // SAFETY: `[MaybeUninit<u8>]` and `[u8]` have the same layout; the
    // caller promises not to read what may be uninitialised.
    unsafe { &mut *(buf.unfilled_mut() as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) }
}

/// Fills `buf` with one `read` into its unfilled part (at most `max`
/// bytes), never zeroing it first.
pub(crate) fn read_into(
    buf: &mut ReadBuf<'_>,
    max: usize,
    read: impl FnOnce(&mut [u8]) -> Result<usize>,
) -> Result<()> {
    // SAFETY: `read` is a system read, which only writes into the slice;
    // exactly the `n` bytes it reports are marked initialised and filled.
    let dst = unsafe { unfilled(buf) };
    let len = dst.len().min(max);
    let n = read(&mut dst[..len])?;
    // SAFETY: the system wrote `n` bytes.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(())
}
