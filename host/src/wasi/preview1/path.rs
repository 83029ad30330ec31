//! `path_*`: operations on names under a directory capability.
//!
//! Every lookup goes through cap-std, which refuses absolute paths, `..`
//! past the directory and symlinks that lead outside it.

use cap_fs_ext::{
    DirExt as _, FileTypeExt as _, FollowSymlinks, OpenOptionsFollowExt as _,
    OpenOptionsMaybeDirExt as _, OpenOptionsSyncExt as _,
};
use std::os::fd::{AsFd as _, BorrowedFd};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use wasi::*;

use super::fifo;
use super::stat::{filestat_of_meta, write_filestat};
use super::timestamps::system_times;
use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::rights;
use crate::wasi::table::{Descriptor, Object};

/// Rights that need the file opened for writing.
/// (`FD_DATASYNC` is left out: `fdatasync` works on a read-only fd, and
/// directories carry that right.)
const WRITE_RIGHTS: Rights = RIGHTS_FD_WRITE | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_SET_SIZE;

impl WasiCtx {
    /// The preamble of a one-path call: the path (`FAULT`, `ILSEQ`), then
    /// the directory behind `fd` with the right `needed`.
    fn dir_and_path<'m>(
        &self,
        mem: &'m GuestMem,
        fd: u32,
        p: u32,
        len: u32,
        needed: Rights,
    ) -> Result<(&Dir, &'m str)> {
        let path = mem.str(p, len)?;
        Ok((self.dir_with(fd, needed)?, path))
    }

    fn dir_with(&self, fd: u32, needed: Rights) -> Result<&Dir> {
        let d = self.table.get(fd)?;
        let dir = d.dir()?;
        d.check(needed)?;
        Ok(dir)
    }

    /// `path_create_directory`.
    pub(crate) fn path_create_directory(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        p: u32,
        len: u32,
    ) -> Result<()> {
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_CREATE_DIRECTORY)?;
        dir.create_dir(path).map_err(|e| escape(path, e))?;
        Ok(())
    }

    /// `path_filestat_get`.
    pub(crate) fn path_filestat_get(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        flags: u32,
        p: u32,
        len: u32,
        out: u32,
    ) -> Result<()> {
        let follow = lookup_follow(flags)?;
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_FILESTAT_GET)?;
        let meta = if follow {
            dir.metadata(path).map_err(|e| escape(path, e))?
        } else {
            dir.symlink_metadata(path).map_err(|e| escape(path, e))?
        };
        let st = filestat_of_meta(&meta);
        write_filestat(mem, out, &st)
    }

    /// `path_filestat_set_times`.
    pub(crate) fn path_filestat_set_times(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        flags: u32,
        p: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> Result<()> {
        let follow = lookup_follow(flags)?;
        let (a, m) = system_times(atim, mtim, fst)?;
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_FILESTAT_SET_TIMES)?;
        if follow {
            dir.set_times(path, a, m).map_err(|e| escape(path, e))?;
        } else {
            dir.set_symlink_times(path, a, m)
                .map_err(|e| escape(path, e))?;
        }
        Ok(())
    }

    /// `path_link`: a hard link.
    pub(crate) fn path_link(
        &mut self,
        mem: &mut GuestMem,
        old_fd: u32,
        flags: u32,
        old_p: u32,
        old_len: u32,
        new_fd: u32,
        new_p: u32,
        new_len: u32,
    ) -> Result<()> {
        if lookup_follow(flags)? {
            // Following a symlink for the source is not supported portably.
            return Err(ERRNO_INVAL.into());
        }
        let old = mem.str(old_p, old_len)?;
        let new = mem.str(new_p, new_len)?;
        let src = self.dir_with(old_fd, RIGHTS_PATH_LINK_SOURCE)?;
        let dst = self.dir_with(new_fd, RIGHTS_PATH_LINK_TARGET)?;
        src.hard_link(old, dst, new).map_err(|e| escape(old, e))?;
        Ok(())
    }

    /// `path_open`: the request checked ([`OpenRequest`]), the parent's
    /// rights checked and narrowed, the object opened, the fd installed.
    pub(crate) fn path_open(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        dirflags: u32,
        p: u32,
        len: u32,
        oflags: u32,
        base: u64,
        inheriting: u64,
        fdflags: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let req = OpenRequest::parse(dirflags, oflags, fdflags, base, inheriting)?;
        let path = mem.str(p, len)?;
        let parent = self.table.get(fd)?;
        let dir = parent.dir()?;
        let mask = req.allowed_by(parent)?;
        let readonly = parent.readonly;
        let opened = if req.oflags & OFLAGS_DIRECTORY != 0 {
            Object::Dir(req.open_dir(dir, path)?)
        } else {
            let opts = file_options(req.base, req.oflags, req.fdflags, req.follow_mode());
            let follow = req.follow_mode();
            match open_non_dir(dir, path, &opts, follow, req.base, req.oflags, req.fdflags)? {
                NonDir::Opened(object) => object,
                NonDir::Fifo(inode, write) => {
                    let rights = req.base & mask;
                    return self.finish_fifo_open(
                        mem,
                        inode.as_fd(),
                        write,
                        out,
                        rights,
                        req.fdflags,
                    );
                }
            }
        };
        let (b, i) = match opened {
            Object::Dir(_) => (req.base & mask & rights::DIR, req.inheriting & mask),
            Object::Pipe(_) => (req.base & mask & rights::STREAM, 0),
            _ => (req.base & mask & rights::FILE, 0),
        };
        let mut d = Descriptor::new(opened, b, i);
        d.flags = req.fdflags;
        d.readonly = readonly;
        let newfd = self.table.push(d)?;
        mem.put_u32(out, newfd)?;
        Ok(())
    }

    /// Completes a blocking `path_open` of the FIFO `inode`: waits for the
    /// other end (within the deadline) and installs the new stream fd.
    fn finish_fifo_open(
        &mut self,
        mem: &mut GuestMem,
        inode: BorrowedFd<'_>,
        write: bool,
        out: u32,
        base: Rights,
        fdflags: Fdflags,
    ) -> Result<()> {
        let fd = match fifo::open_blocking(inode, write, self.deadline)? {
            fifo::Opened::Ready(fd) => fd,
            fifo::Opened::TimedOut => return Err(self.timed_out()),
        };
        let mut d = Descriptor::new(Object::Pipe(fd), base & rights::STREAM, 0);
        d.flags = fdflags;
        let newfd = self.table.push(d)?;
        mem.put_u32(out, newfd)?;
        Ok(())
    }

    /// `path_readlink`: the link's contents, truncated to the buffer.
    pub(crate) fn path_readlink(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        p: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_READLINK)?;
        let target = dir
            .read_link_contents(path)
            .map_err(|e| escape(path, e))?
            .into_os_string()
            .into_encoded_bytes();
        let n = target.len().min(buf_len as usize);
        mem.write(buf, &target[..n])?;
        mem.put_u32(out, n as u32)?;
        Ok(())
    }

    /// `path_remove_directory`.
    pub(crate) fn path_remove_directory(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        p: u32,
        len: u32,
    ) -> Result<()> {
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_REMOVE_DIRECTORY)?;
        dir.remove_dir(path).map_err(|e| escape(path, e))?;
        Ok(())
    }

    /// `path_rename`.
    pub(crate) fn path_rename(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        old_p: u32,
        old_len: u32,
        new_fd: u32,
        new_p: u32,
        new_len: u32,
    ) -> Result<()> {
        let old = mem.str(old_p, old_len)?;
        let new = mem.str(new_p, new_len)?;
        let src = self.dir_with(fd, RIGHTS_PATH_RENAME_SOURCE)?;
        let dst = self.dir_with(new_fd, RIGHTS_PATH_RENAME_TARGET)?;
        src.rename(old, dst, new).map_err(|e| escape(old, e))?;
        Ok(())
    }

    /// `path_symlink`: `new` becomes a link whose contents are `old`.
    pub(crate) fn path_symlink(
        &mut self,
        mem: &mut GuestMem,
        old_p: u32,
        old_len: u32,
        fd: u32,
        new_p: u32,
        new_len: u32,
    ) -> Result<()> {
        let old = mem.str(old_p, old_len)?;
        let new = mem.str(new_p, new_len)?;
        let dir = self.dir_with(fd, RIGHTS_PATH_SYMLINK)?;
        if !stays_below(old) {
            tracing::warn!(
                "denied: guest tried to make a symlink `{new}` -> `{old}`; a guest's symlink \
                 may only point down from its own directory (no `..`, not absolute)"
            );
            return Err(ERRNO_NOTCAPABLE.into());
        }
        dir.symlink(old, new).map_err(|e| escape(new, e))?;
        Ok(())
    }

    /// `path_unlink_file`.
    pub(crate) fn path_unlink_file(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        p: u32,
        len: u32,
    ) -> Result<()> {
        let (dir, path) = self.dir_and_path(mem, fd, p, len, RIGHTS_PATH_UNLINK_FILE)?;
        dir.remove_file_or_symlink(path)
            .map_err(|e| escape(path, e))?;
        Ok(())
    }
}

/// The guest's error for a failed call on `path`, with a host log line
/// when cap-std refused it for leading outside the directory (`..` past
/// the preopen, an absolute path, a symlink out): the guest gets
/// `NOTCAPABLE`, and the operator learns which path and what would grant
/// it, as network denials say which flag.
fn escape(path: &str, e: std::io::Error) -> crate::wasi::errno::Error {
    if e.raw_os_error().is_none() && e.kind() == std::io::ErrorKind::PermissionDenied {
        tracing::warn!(
            "denied: guest path `{path}` leads outside its preopened directory; the guest \
             reaches only what `--dir HOST::GUEST` (or `--dir-ro`) gives it"
        );
    }
    e.into()
}

/// Whether a symlink target only points down from the link's own
/// directory: relative, with no `..` component. The host never follows a
/// link out of a preopen, but other programs reading the directory later
/// would; and a target with `..` that stays inside today could point out
/// after the guest renames the link's directory higher up the tree, so
/// none is allowed.
fn stays_below(target: &str) -> bool {
    !target.is_empty() && !target.starts_with('/') && target.split('/').all(|c| c != "..")
}

fn lookup_follow(flags: u32) -> Result<bool> {
    if flags & !(LOOKUPFLAGS_SYMLINK_FOLLOW) != 0 {
        return Err(ERRNO_INVAL.into());
    }
    Ok(flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0)
}

/// A `path_open`'s flags and rights, checked: unknown lookup, open or fd
/// flags are `INVAL`.
struct OpenRequest {
    follow: bool,
    oflags: Oflags,
    fdflags: Fdflags,
    base: Rights,
    inheriting: Rights,
}

impl OpenRequest {
    fn parse(
        dirflags: u32,
        oflags: u32,
        fdflags: u32,
        base: Rights,
        inheriting: Rights,
    ) -> Result<OpenRequest> {
        let follow = lookup_follow(dirflags)?;
        let oflags = u16::try_from(oflags).map_err(|_| ERRNO_INVAL)?;
        let fdflags = u16::try_from(fdflags).map_err(|_| ERRNO_INVAL)?;
        let known_o = OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC;
        let known_f =
            FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC;
        if oflags & !known_o != 0 || fdflags & !known_f != 0 {
            return Err(ERRNO_INVAL.into());
        }
        Ok(OpenRequest {
            follow,
            oflags,
            fdflags,
            base,
            inheriting,
        })
    }

    fn creat(&self) -> bool {
        self.oflags & OFLAGS_CREAT != 0
    }

    fn trunc(&self) -> bool {
        self.oflags & OFLAGS_TRUNC != 0
    }

    fn wants_write(&self) -> bool {
        self.base & WRITE_RIGHTS != 0
    }

    fn follow_mode(&self) -> FollowSymlinks {
        if self.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        }
    }

    /// Whether `parent` may open this (`NOTCAPABLE` otherwise: a missing
    /// right, or a change under `--dir-ro`); the mask of the rights the
    /// new fd may have: what `parent` passes on, less mutation under
    /// `--dir-ro`.
    fn allowed_by(&self, parent: &Descriptor) -> Result<Rights> {
        parent.check(RIGHTS_PATH_OPEN)?;
        if self.creat() {
            parent.check(RIGHTS_PATH_CREATE_FILE)?;
        }
        if self.trunc() {
            parent.check(RIGHTS_PATH_FILESTAT_SET_SIZE)?;
        }
        let mut mask = parent.inheriting;
        if parent.readonly {
            if self.wants_write() || self.creat() || self.trunc() {
                return Err(ERRNO_NOTCAPABLE.into());
            }
            mask &= !(rights::FILE_MUTATE | rights::DIR_MUTATE);
        }
        Ok(mask)
    }

    /// Opens `path` under `dir` as a directory (`O_DIRECTORY`): `INVAL`
    /// with creation or truncation, `ISDIR` with write rights.
    fn open_dir(&self, dir: &Dir, path: &str) -> Result<Dir> {
        if self.creat() || self.trunc() {
            return Err(ERRNO_INVAL.into());
        }
        if self.wants_write() {
            return Err(ERRNO_ISDIR.into());
        }
        let sub = if self.follow {
            dir.open_dir(path)
        } else {
            dir.open_dir_nofollow(path)
        };
        sub.map_err(|e| escape(path, e))
    }
}

/// What opening a path that is not asked to be a directory gave.
enum NonDir {
    /// The object to install: a file, a directory, a pipe or a device.
    Opened(Object),
    /// A FIFO whose open would wait for the other end (writing if `true`):
    /// the inode, opened `O_PATH`, or non-blocking for reading.
    Fifo(cap_std::fs::File, bool),
}

/// The open(2) options for a `path_open` of a non-directory: access from
/// the rights asked for, creation and truncation from `oflags`, the sync
/// flags from `fdflags`. Never blocking: a FIFO waits for its partner
/// after the open, within the deadline (regular files ignore the flag).
fn file_options(base: Rights, oflags: u16, fdflags: u16, follow: FollowSymlinks) -> OpenOptions {
    let creat = oflags & OFLAGS_CREAT != 0;
    let trunc = oflags & OFLAGS_TRUNC != 0;
    let want_write = base & WRITE_RIGHTS != 0;
    let want_read = base & (RIGHTS_FD_READ | RIGHTS_FD_READDIR) != 0;
    let mut opts = OpenOptions::new();
    opts.read(want_read || !want_write)
        .write(want_write)
        .truncate(trunc)
        .follow(follow)
        .maybe_dir(true)
        .nonblock(true);
    if creat && oflags & OFLAGS_EXCL != 0 {
        opts.create_new(true);
    } else if creat {
        opts.create(true);
    }
    opts.sync(fdflags & FDFLAGS_SYNC != 0)
        .dsync(fdflags & FDFLAGS_DSYNC != 0)
        .rsync(fdflags & FDFLAGS_RSYNC != 0);
    if (trunc || creat) && !want_write {
        // cap-std (like std) refuses O_CREAT/O_TRUNC without write access.
        // Open the host fd writable; the guest's rights still forbid
        // writing through it.
        opts.write(true);
    }
    opts
}

/// Opens `path` under `dir` with `opts` and decides, with one fstat, what
/// it is. A FIFO the guest opens blocking comes back as
/// [`NonDir::Fifo`], to wait for its other end.
fn open_non_dir(
    dir: &Dir,
    path: &str,
    opts: &OpenOptions,
    follow: FollowSymlinks,
    base: Rights,
    oflags: u16,
    fdflags: u16,
) -> Result<NonDir> {
    let guest_blocks = fdflags & FDFLAGS_NONBLOCK == 0;
    let file = match dir.open_with(path, opts) {
        Ok(f) => f,
        // A write-only open of a FIFO without a reader.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {
            if !guest_blocks {
                return Err(ERRNO_NXIO.into());
            }
            let mut o_path = OpenOptions::new();
            o_path
                .read(true)
                .follow(follow)
                .custom_flags(rustix::fs::OFlags::PATH.bits() as i32);
            let inode = dir.open_with(path, &o_path).map_err(|e| escape(path, e))?;
            if !fifo::is_fifo(inode.as_fd())? {
                return Err(ERRNO_NXIO.into());
            }
            return Ok(NonDir::Fifo(inode, true));
        }
        Err(e) => return Err(escape(path, e)),
    };
    if fdflags & FDFLAGS_APPEND != 0 {
        // Set after opening: cap-std (like std) refuses O_APPEND together
        // with O_TRUNC, which POSIX allows.
        let os = rustix::fs::fcntl_getfl(&file)?;
        rustix::fs::fcntl_setfl(&file, os | rustix::fs::OFlags::APPEND)?;
    }
    let kind = file.metadata()?.file_type();
    Ok(NonDir::Opened(if kind.is_dir() {
        Object::Dir(Dir::from_std_file(file.into_std()))
    } else if kind.is_fifo() || kind.is_char_device() {
        let writes = base & WRITE_RIGHTS != 0 || oflags & (OFLAGS_TRUNC | OFLAGS_CREAT) != 0;
        if !writes && guest_blocks && kind.is_fifo() {
            // open(2) would wait for a writer.
            return Ok(NonDir::Fifo(file, false));
        }
        Object::Pipe(file.into_std().into())
    } else {
        Object::File(file)
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn symlink_targets_that_could_leave_their_directory_are_refused() {
        for ok in ["target", "a/b", "./a", "a/./b", "a..b/c", "..a", "a/"] {
            assert!(super::stays_below(ok), "{ok}");
        }
        for bad in [
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "/etc/passwd",
            "",
            "a//../b",
        ] {
            assert!(!super::stays_below(bad), "{bad}");
        }
    }
}
