//! `bind_unix` and `connect_unix`: Unix socket paths as capabilities.
//!
//! The path is resolved under a preopened directory fd, like a file. Its
//! parent is opened through cap-std (no `..` past the root, no absolute
//! path, no symlink out), and the socket call then names the final
//! component through `/proc/self/fd/PARENT/NAME`, so the kernel never
//! walks the untrusted part of the path. (cap-std's own Unix socket calls
//! are unimplemented in cap-std 4.)

use std::os::fd::AsRawFd;

use cap_std::fs::Dir;
use rustix::net::SocketAddrUnix;
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::table::Family;

/// Longest `sun_path` (including the terminating NUL).
const SUN_PATH_MAX: usize = 108;

impl WasiCtx {
    /// Resolves `path` under `dirfd`: the opened parent (keep it open until
    /// the socket call is done) and the address to pass the kernel.
    fn unix_target(&self, dirfd: u32, path: &str, binding: bool) -> Result<(Dir, SocketAddrUnix)> {
        let d = self.table.get(dirfd)?;
        let dir = d.dir()?;
        d.check(if binding {
            RIGHTS_PATH_CREATE_FILE
        } else {
            RIGHTS_PATH_OPEN
        })?;
        if d.readonly && binding {
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
        if !binding {
            // connect() would follow a symlink in the last component, out of
            // the sandbox: refuse links there.
            let meta = parent.symlink_metadata(name)?;
            if meta.file_type().is_symlink() {
                return Err(ERRNO_NOTCAPABLE.into());
            }
        }
        let proc_path = format!("/proc/self/fd/{}/{}", parent.as_raw_fd(), name);
        if proc_path.len() >= SUN_PATH_MAX {
            return Err(ERRNO_NAMETOOLONG.into());
        }
        let addr = SocketAddrUnix::new(proc_path.as_str())?;
        Ok((parent, addr))
    }

    /// `bind_unix(fd, dirfd, path, path_len)`.
    pub fn ext_bind_unix(
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
        let (_parent, addr) = self.unix_target(dirfd, path, true)?;
        rustix::net::bind(&self.sock(fd)?.fd, &addr)?;
        Ok(())
    }

    /// `connect_unix(fd, dirfd, path, path_len)`.
    pub fn ext_connect_unix(
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
        let (_parent, addr) = self.unix_target(dirfd, path, false)?;
        let r = rustix::net::connect(&self.sock(fd)?.fd, &addr);
        self.finish_connect(fd, r)
    }
}
