//! FIFOs and character devices opened by path.
//!
//! `open(2)` of a FIFO blocks until the other end is opened, and reads and
//! writes block on an idle peer. The host must never block where
//! `--timeout` cannot reach, so `path_open` opens every non-directory
//! `O_NONBLOCK` (which never blocks), keeps such streams non-blocking on
//! the host ([`Object::Pipe`], waited on with `poll(2)`), and when the
//! guest asked for a blocking open of a FIFO whose partner is missing,
//! waits for the partner here, on a helper thread, for no longer than the
//! deadline.
//!
//! [`Object::Pipe`]: crate::wasi::table::Object::Pipe

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::mpsc;
use std::time::Instant;

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno as Os;

/// How a blocking FIFO open ended.
pub(crate) enum Opened {
    /// The other end is open: the new fd, already non-blocking.
    Ready(OwnedFd),
    /// The deadline passed first.
    TimedOut,
}

/// Whether `fd` is a FIFO.
pub(crate) fn is_fifo(fd: BorrowedFd<'_>) -> rustix::io::Result<bool> {
    Ok(FileType::from_raw_mode(rustix::fs::fstat(fd)?.st_mode) == FileType::Fifo)
}

/// Opens the FIFO that `inode` refers to (any fd of it, `O_PATH` too) for
/// writing (`write`) or reading, waiting as a blocking `open(2)` does for
/// the other end — until `deadline` at most.
///
/// The open goes through `/proc/self/fd/N`, which names the inode already
/// resolved inside the sandbox, never a path to walk again. With a
/// deadline the blocking open runs on a helper thread; if the deadline
/// passes, the helper is released by opening the other end ourselves
/// (non-blocking, at once closed), so no thread is left behind.
pub(crate) fn open_blocking(
    inode: BorrowedFd<'_>,
    write: bool,
    deadline: Option<Instant>,
) -> rustix::io::Result<Opened> {
    let path = format!("/proc/self/fd/{}", inode.as_raw_fd());
    let access = if write {
        OFlags::WRONLY
    } else {
        OFlags::RDONLY
    };
    let open = move |path: &str| loop {
        match rustix::fs::open(path, access | OFlags::CLOEXEC, Mode::empty()) {
            Err(Os::INTR) => continue,
            r => break r,
        }
    };
    let fd = match deadline {
        None => open(&path)?,
        Some(at) => {
            let (tx, rx) = mpsc::channel();
            let helper_path = path.clone();
            std::thread::Builder::new()
                .name("wasio-fifo-open".into())
                .spawn(move || {
                    let _ = tx.send(open(&helper_path));
                })
                .map_err(|_| Os::AGAIN)?;
            match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(r) => r?,
                Err(_) => {
                    let other = if write {
                        OFlags::RDONLY
                    } else {
                        OFlags::WRONLY
                    };
                    let flags = other | OFlags::NONBLOCK | OFlags::CLOEXEC;
                    // The helper's open now completes; its fd is dropped
                    // with the message. If the release itself fails the
                    // helper stays blocked, holding nothing but a path,
                    // and the guest is stopped anyway.
                    if let Ok(peer) = rustix::fs::open(&path, flags, Mode::empty()) {
                        let _ = rx.recv();
                        drop(peer);
                    }
                    return Ok(Opened::TimedOut);
                }
            }
        }
    };
    set_nonblocking(fd.as_fd())?;
    Ok(Opened::Ready(fd))
}

/// Puts our own stream fd in non-blocking mode.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> rustix::io::Result<()> {
    let fl = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, fl | OFlags::NONBLOCK)
}
