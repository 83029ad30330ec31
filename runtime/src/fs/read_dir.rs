//! [`read_dir`]: a directory's entries as a stream.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{FileType, Metadata};

/// The entries of a directory, as a [`Stream`] (use
/// `futures_util::StreamExt::next`) or with [`ReadDir::next_entry`].
///
/// ```
/// wasio::block_on(async {
///     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
///     let mut entries = wasio::fs::read_dir(&tmp).await.unwrap();
///     while let Some(e) = entries.next_entry().await.unwrap() {
///         let _ = e.file_name();
///     }
/// });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    super::proceed().await;
    let path = path.as_ref();
    Ok(ReadDir(
        std::fs::read_dir(path).map_err(|e| super::explain(path, e))?,
    ))
}

/// Stream returned by [`read_dir`].
#[derive(Debug)]
pub struct ReadDir(std::fs::ReadDir);

impl ReadDir {
    /// The next entry, or `None` at the end.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(self.0.next().map(|r| r.map(DirEntry)))
    }
}

/// One entry of a directory.
#[derive(Debug)]
pub struct DirEntry(std::fs::DirEntry);

impl DirEntry {
    /// Full path (the directory's path joined with the name).
    pub fn path(&self) -> PathBuf {
        self.0.path()
    }
    /// The bare name.
    pub fn file_name(&self) -> OsString {
        self.0.file_name()
    }
    /// Metadata (not following a symlink).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.0.metadata()
    }
    /// The entry's type (not following a symlink).
    pub async fn file_type(&self) -> io::Result<FileType> {
        self.0.file_type()
    }
}
