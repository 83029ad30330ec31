//! `bind_unix` and `connect_unix`: Unix socket paths as capabilities.
//!
//! The path is resolved under a preopened directory fd, like a file. Its
//! parent is opened through cap-std (no `..` past the root, no absolute
//! path, no symlink out), so only the final component is left, and the
//! kernel is never handed a name it could resolve differently later:
//!
//! - `connect_unix` opens the final component once, `O_PATH | O_NOFOLLOW`,
//!   checks that this very inode is a socket, and connects through
//!   `/proc/self/fd/N` (a magic link that names the opened inode, not a
//!   path to walk again). A symlink swapped in at any moment is either
//!   what we opened (refused: not a socket) or never seen.
//! - `bind_unix` creates the final component under `/proc/self/fd/PARENT`;
//!   creating never follows a final symlink (an existing name of any kind
//!   is `ADDRINUSE`), so no swap can redirect it.
//!
//! (cap-std's own Unix socket calls are unimplemented in cap-std 4.)

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use cap_std::fs::Dir;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::net::SocketAddrUnix;
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::table::Family;

/// Longest `sun_path` (including the terminating NUL).
const SUN_PATH_MAX: usize = 108;

/// What a resolved Unix path holds open while the socket call runs.
struct Target {
    /// The parent directory, opened under the preopen.
    _parent: Dir,
    /// The socket inode itself (`connect_unix` only).
    _inode: Option<OwnedFd>,
    /// The address to give the kernel.
    addr: SocketAddrUnix,
}

impl WasiCtx {
    /// Resolves `path` under `dirfd` for `bind` (`binding`) or `connect`.
    fn unix_target(&self, dirfd: u32, path: &str, binding: bool) -> Result<Target> {
        let d = self.table.get(dirfd)?;
        let dir = d.dir()?;
        d.check(if binding {
            RIGHTS_PATH_CREATE_FILE
        } else {
            RIGHTS_PATH_OPEN
        })?;
        if d.readonly {
            // Read-only means nothing under it changes or is written to:
            // no new socket files, and no connecting to the ones there
            // (a connection writes to the server behind the file).
            return Err(ERRNO_NOTCAPABLE.into());
        }
        if path.is_empty() || path.contains('\0') {
            return Err(ERRNO_INVAL.into());
        }
        if path.starts_with('/') {
            return Err(ERRNO_NOTCAPABLE.into());
        }
        let path = path.trim_end_matches('/');
        let (parent, name) = match path.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", path),
        };
        if name.is_empty() || name == "." || name == ".." {
            return Err(ERRNO_INVAL.into());
        }
        let parent = if parent.is_empty() {
            dir.try_clone()?
        } else {
            dir.open_dir(parent)?
        };
        let (inode, proc_path) = if binding {
            let p = format!("/proc/self/fd/{}/{}", parent.as_raw_fd(), name);
            (None, p)
        } else {
            let inode = open_socket_inode(&parent, name)?;
            let p = format!("/proc/self/fd/{}", inode.as_raw_fd());
            (Some(inode), p)
        };
        if proc_path.len() >= SUN_PATH_MAX {
            return Err(ERRNO_NAMETOOLONG.into());
        }
        let addr = SocketAddrUnix::new(proc_path.as_str())?;
        Ok(Target {
            _parent: parent,
            _inode: inode,
            addr,
        })
    }

    /// `bind_unix(fd, dirfd, path, path_len)`.
    pub(crate) fn ext_bind_unix(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        dirfd: u32,
        p: u32,
        len: u32,
    ) -> Result<()> {
        let path = mem.str(p, len)?;
        if self.sock(fd)?.family != Family::Unix {
            return Err(ERRNO_AFNOSUPPORT.into());
        }
        let target = self.unix_target(dirfd, path, true)?;
        rustix::net::bind(&self.sock(fd)?.fd, &target.addr)?;
        Ok(())
    }

    /// `connect_unix(fd, dirfd, path, path_len)`.
    pub(crate) fn ext_connect_unix(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        dirfd: u32,
        p: u32,
        len: u32,
    ) -> Result<()> {
        let path = mem.str(p, len)?;
        if self.sock(fd)?.family != Family::Unix {
            return Err(ERRNO_AFNOSUPPORT.into());
        }
        let target = self.unix_target(dirfd, path, false)?;
        let r = rustix::net::connect(&self.sock(fd)?.fd, &target.addr);
        self.finish_connect(fd, r)
    }
}

/// Opens `name` in `parent` without following it and checks that the inode
/// is a socket: a symlink is `NOTCAPABLE` (the kernel would follow it out
/// of the sandbox), any other kind of file `CONNREFUSED` (what connecting
/// to it would give).
fn open_socket_inode(parent: &Dir, name: &str) -> Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let inode = rustix::fs::openat(parent.as_fd(), name, flags, Mode::empty())?;
    match FileType::from_raw_mode(rustix::fs::fstat(&inode)?.st_mode) {
        FileType::Socket => Ok(inode),
        FileType::Symlink => Err(ERRNO_NOTCAPABLE.into()),
        _ => Err(ERRNO_CONNREFUSED.into()),
    }
}
