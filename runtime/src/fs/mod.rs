//! Files and directories.
//!
//! Regular files never wait for readiness (`poll_oneoff` reports them
//! ready at once, and epoll refuses them), so wasio makes the system calls
//! directly, in bounded chunks, giving other tasks a turn between chunks:
//! a large copy cannot starve a socket. Paths on wasm32-wasip1 resolve
//! against the host's preopened directories (`wasio run --dir`).
//!
//! ```
//! wasio::block_on(async {
//!     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
//!     let dir = std::path::Path::new(&tmp).join("wasio-doc-fs");
//!     wasio::fs::create_dir_all(&dir).await.unwrap();
//!     let file = dir.join("greeting.txt");
//!     wasio::fs::write(&file, "hello").await.unwrap();
//!     assert_eq!(wasio::fs::read_to_string(&file).await.unwrap(), "hello");
//!     wasio::fs::remove_dir_all(&dir).await.unwrap();
//! });
//! ```

mod dir_builder;
mod file;
mod open_options;
mod read_dir;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub use dir_builder::DirBuilder;
pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use std::fs::{FileTimes, FileType, Metadata, Permissions};

/// Largest single read or write a file operation makes before yielding.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Names the missing preopen in an error about a path no preopened
/// directory holds (on wasm32-wasip1; wasi-libc answers such a path
/// itself, with a bare "not found", without asking the host). The error
/// kind becomes `PermissionDenied`: the guest lacks the capability.
pub(crate) fn explain(path: &Path, e: std::io::Error) -> std::io::Error {
    if !matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
    ) {
        return e;
    }
    match crate::sys::no_preopen_for(path) {
        Some(dir) => std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "no preopened directory holds {}: run the host with `--dir HOST_DIR::{}` \
                 (or `--dir-ro`) to give the guest one",
                path.display(),
                dir.display()
            ),
        ),
        None => e,
    }
}

/// Gives other tasks a turn when this task's budget is spent.
pub(crate) async fn proceed() {
    std::future::poll_fn(crate::coop::poll_proceed).await
}

/// Reads a whole file.
pub async fn read(path: impl AsRef<Path>) -> std::io::Result<Vec<u8>> {
    let path = path.as_ref();
    let mut f = std::fs::File::open(path).map_err(|e| explain(path, e))?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        proceed().await;
        match f.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads a whole file as UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> std::io::Result<String> {
    let bytes = read(path).await?;
    String::from_utf8(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// Creates or truncates a file and writes `contents`.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    let path = path.as_ref();
    let mut f = std::fs::File::create(path).map_err(|e| explain(path, e))?;
    for chunk in contents.as_ref().chunks(CHUNK) {
        proceed().await;
        f.write_all(chunk)?;
    }
    Ok(())
}

/// Copies a file's contents and permissions (as `std::fs::copy`; WASI
/// files have none to copy) and returns the byte count.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> std::io::Result<u64> {
    let (from, to) = (from.as_ref(), to.as_ref());
    let mut src = std::fs::File::open(from).map_err(|e| explain(from, e))?;
    let mut dst = std::fs::File::create(to).map_err(|e| explain(to, e))?;
    #[cfg(unix)]
    dst.set_permissions(src.metadata()?.permissions())?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        proceed().await;
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        total += n as u64;
    }
}

macro_rules! path_op {
    ($(#[$doc:meta])* $name:ident($($arg:ident),*) -> $ret:ty = $std:path) => {
        $(#[$doc])*
        pub async fn $name($($arg: impl AsRef<Path>),*) -> std::io::Result<$ret> {
            proceed().await;
            $std($($arg.as_ref()),*).map_err(|e| {
                let mut e = e;
                $(e = explain($arg.as_ref(), e);)*
                e
            })
        }
    };
}

path_op!(
    /// Renames a file or directory, replacing `to` if it exists.
    rename(from, to) -> () = std::fs::rename);
path_op!(
    /// Removes a file (or symlink).
    remove_file(path) -> () = std::fs::remove_file);
path_op!(
    /// Creates a directory.
    create_dir(path) -> () = std::fs::create_dir);
path_op!(
    /// Creates a directory and any missing parents.
    create_dir_all(path) -> () = std::fs::create_dir_all);
path_op!(
    /// Removes an empty directory.
    remove_dir(path) -> () = std::fs::remove_dir);
path_op!(
    /// Removes a directory and everything in it.
    remove_dir_all(path) -> () = std::fs::remove_dir_all);
path_op!(
    /// Metadata, following symlinks.
    metadata(path) -> Metadata = std::fs::metadata);
path_op!(
    /// Metadata of the path itself (a symlink is not followed).
    symlink_metadata(path) -> Metadata = std::fs::symlink_metadata);
path_op!(
    /// The target of a symlink.
    read_link(path) -> PathBuf = std::fs::read_link);
path_op!(
    /// Creates a hard link `to` pointing at `from`.
    hard_link(from, to) -> () = std::fs::hard_link);
path_op!(
    /// The absolute, symlink-free form of a path. WASI has no process-wide
    /// root, so on wasm32-wasip1 this fails with `Unsupported`.
    canonicalize(path) -> PathBuf = std::fs::canonicalize);

/// Changes the permissions of the file or directory at `path`.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> std::io::Result<()> {
    proceed().await;
    let path = path.as_ref();
    std::fs::set_permissions(path, perm).map_err(|e| explain(path, e))
}

/// Creates a symlink at `link` whose target is `original` (on
/// wasm32-wasip1 the target is kept as written, and the sandbox decides
/// where it may lead when it is followed).
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> std::io::Result<()> {
    proceed().await;
    let link = link.as_ref();
    crate::sys::symlink(original.as_ref(), link).map_err(|e| explain(link, e))
}

/// Whether `path` exists (errors other than "not found" are returned).
pub async fn try_exists(path: impl AsRef<Path>) -> std::io::Result<bool> {
    proceed().await;
    path.as_ref().try_exists()
}
