//! [`File`].

use std::fmt;
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::{proceed, FileTimes, Metadata, OpenOptions, Permissions, CHUNK};

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
pub struct File {
    std: std::fs::File,
    /// The result of the seek `start_seek` began (tokio's `AsyncSeek`).
    seek: Option<io::Result<u64>>,
    /// The most one read or write moves (see [`File::set_max_buf_size`]).
    max_buf_size: usize,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("wasio::fs::File")
            .field("std", &self.std)
            .finish()
    }
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
        File {
            std,
            seek: None,
            max_buf_size: CHUNK,
        }
    }

    /// The std file inside. wasio's file operations complete before they
    /// return, so there is never one in flight to wait for: this is async
    /// only to keep tokio's signature.
    pub async fn into_std(self) -> std::fs::File {
        self.std
    }

    /// The std file inside, now. Never fails under wasio (no operation is
    /// ever left in flight); the `Result` is tokio's signature, where it
    /// gives the `File` back while one is.
    pub fn try_into_std(self) -> Result<std::fs::File, Self> {
        Ok(self.std)
    }

    /// Caps what one read or write moves (by default 64 KiB, the chunk
    /// after which a file operation gives other tasks a turn).
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is 0.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        self.max_buf_size = max_buf_size;
    }

    /// The cap [`set_max_buf_size`](Self::set_max_buf_size) set.
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }

    /// Changes the file's permissions.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        proceed().await;
        self.std.set_permissions(perm)
    }

    /// Changes the file's access and modification times.
    pub async fn set_times(&self, times: FileTimes) -> io::Result<()> {
        proceed().await;
        self.std.set_times(times)
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

    /// Another handle to the same open file (with the same
    /// [`max_buf_size`](Self::max_buf_size)).
    pub async fn try_clone(&self) -> io::Result<File> {
        let mut clone = File::from_std(self.std.try_clone()?);
        clone.max_buf_size = self.max_buf_size;
        Ok(clone)
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> Self {
        File::from_std(std)
    }
}

impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

impl std::os::fd::FromRawFd for File {
    /// # Safety
    ///
    /// `fd` must be an open file descriptor that nothing else owns.
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
        // SAFETY: the caller's promise, passed on.
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
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
        Poll::Ready(crate::io::read_into(buf, this.max_buf_size, |dst| {
            retry(|| this.std.read(dst))
        }))
    }
}

impl File {
    fn write_chunk(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let n = buf.len().min(self.max_buf_size);
        Poll::Ready(retry(|| self.std.write(&buf[..n])))
    }

    /// One gathering write of `bufs`, in order, up to `max_buf_size`
    /// bytes in all.
    fn write_chunks(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        const MAX_SLICES: usize = 64;
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let (mut count, mut room) = (0, self.max_buf_size);
        for buf in bufs.iter().filter(|b| !b.is_empty()) {
            if count == MAX_SLICES || room == 0 {
                break;
            }
            let take = buf.len().min(room);
            slices[count] = IoSlice::new(&buf[..take]);
            count += 1;
            room -= take;
        }
        Poll::Ready(retry(|| self.std.write_vectored(&slices[..count])))
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

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_chunks(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
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
        let this = self.get_mut();
        let n = buf.len().min(this.max_buf_size);
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

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_chunks(cx, bufs)
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
