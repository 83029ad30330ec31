//! Async I/O: the `futures-io` traits, their extension traits and helpers,
//! and async standard streams.
//!
//! wasio uses the `futures` ecosystem's traits, so combinators from
//! `futures-util` (and crates built on them) work on wasio's types.
//!
//! ```
//! use wasio::io::{AsyncReadExt, AsyncWriteExt, Cursor};
//!
//! wasio::block_on(async {
//!     let mut reader = Cursor::new(b"hello".to_vec());
//!     let mut writer = Cursor::new(Vec::new());
//!     let n = wasio::io::copy(&mut reader, &mut writer).await.unwrap();
//!     assert_eq!(n, 5);
//!     writer.write_all(b"!").await.unwrap();
//!     assert_eq!(writer.into_inner(), b"hello!");
//!     let mut s = String::new();
//!     Cursor::new(b"abc").read_to_string(&mut s).await.unwrap();
//!     assert_eq!(s, "abc");
//! });
//! ```

pub(crate) mod evented;
mod stdio;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt,
    AsyncWriteExt, BufReader, BufWriter, Cursor, Empty, Lines, ReadHalf, Repeat, Sink, WriteHalf,
};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};

/// Splits one object into a read half and a write half that can be moved
/// to different tasks.
///
/// ```
/// use wasio::io::{split, AsyncReadExt, Cursor};
/// wasio::block_on(async {
///     let (mut r, _w) = split(Cursor::new(b"xy".to_vec()));
///     let mut s = String::new();
///     r.read_to_string(&mut s).await.unwrap();
///     assert_eq!(s, "xy");
/// });
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(io: T) -> (ReadHalf<T>, WriteHalf<T>) {
    AsyncReadExt::split(io)
}
