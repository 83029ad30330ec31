//! [`File`] and [`OpenOptions`].

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::{proceed, Metadata, CHUNK};

/// An open file. Implements tokio's [`AsyncRead`](crate::io::AsyncRead),
/// [`AsyncWrite`](crate::io::AsyncWrite) and
/// [`AsyncSeek`](crate::io::AsyncSeek) (and the `futures-io` ones with
/// that feature); use the `wasio::io` extension traits for `read_to_end`,
/// `write_all`, `seek` and friends.
///
/// ```
/// use wasio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
/// wasio::block_on(async {
///     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
///     let path = std::path::Path::new(&tmp).join("wasio-doc-file.txt");
///     let mut f = wasio::fs::File::create(&path).await.unwrap();
///     f.write_all(b"0123456789").await.unwrap();
///     f.seek(SeekFrom::Start(4)).await.unwrap();
///     drop(f);
///     let mut f = wasio::fs::File::open(&path).await.unwrap();
///     f.seek(SeekFrom::Start(4)).await.unwrap();
///     let mut rest = String::new();
///     f.read_to_string(&mut rest).await.unwrap();
///     assert_eq!(rest, "456789");
///     wasio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct File {
    std: std::fs::File,
    /// The result of the seek `start_seek` began (tokio's `AsyncSeek`).
    seek: Option<io::Result<u64>>,
}

impl File {
    /// Opens a file for reading.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Creates (or truncates) a file for writing.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Options for opening a file another way.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file.
    pub fn from_std(std: std::fs::File) -> File {
        File { std, seek: None }
    }

    /// The std file inside.
    pub fn into_std(self) -> std::fs::File {
        self.std
    }

    /// Metadata of the open file.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        proceed().await;
        self.std.metadata()
    }

    /// Truncates or extends the file to `size` bytes.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        proceed().await;
        self.std.set_len(size)
    }

    /// Flushes data and metadata to storage.
    pub async fn sync_all(&self) -> io::Result<()> {
        proceed().await;
        self.std.sync_all()
    }

    /// Flushes data to storage.
    pub async fn sync_data(&self) -> io::Result<()> {
        proceed().await;
        self.std.sync_data()
    }

    /// Another handle to the same open file.
    pub async fn try_clone(&self) -> io::Result<File> {
        Ok(File::from_std(self.std.try_clone()?))
    }
}

fn retry<R>(mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

impl tokio::io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        Poll::Ready(crate::io::read_into(buf, CHUNK, |dst| {
            retry(|| this.std.read(dst))
        }))
    }
}

impl File {
    fn write_chunk(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let n = buf.len().min(CHUNK);
        Poll::Ready(retry(|| self.std.write(&buf[..n])))
    }
}

impl tokio::io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_chunk(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().std.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl tokio::io::AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        this.seek = Some(this.std.seek(pos));
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        Poll::Ready(match this.seek.take() {
            Some(r) => r,
            None => this.std.stream_position(),
        })
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let n = buf.len().min(CHUNK);
        let this = self.get_mut();
        Poll::Ready(retry(|| this.std.read(&mut buf[..n])))
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_chunk(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().std.flush())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().std.flush())
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        Poll::Ready(self.get_mut().std.seek(pos))
    }
}

/// How to open a file; mirrors `std::fs::OpenOptions`.
///
/// ```
/// wasio::block_on(async {
///     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
///     let path = std::path::Path::new(&tmp).join("wasio-doc-options.txt");
///     let f = wasio::fs::OpenOptions::new().append(true).create(true).open(&path).await;
///     assert!(f.is_ok());
///     wasio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// All options off.
    pub fn new() -> Self {
        Self(std::fs::OpenOptions::new())
    }
    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.0.read(on);
        self
    }
    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.0.write(on);
        self
    }
    /// Every write goes to the end.
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.0.append(on);
        self
    }
    /// Truncate to zero length on open.
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.0.truncate(on);
        self
    }
    /// Create the file if missing.
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.0.create(on);
        self
    }
    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.0.create_new(on);
        self
    }
    /// Opens `path` with these options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        proceed().await;
        let path = path.as_ref();
        let f = self.0.open(path).map_err(|e| super::explain(path, e))?;
        Ok(File::from_std(f))
    }
}
