//! `fd_*`: operations on an open descriptor.

use std::io::{self, IoSliceMut};
use std::num::NonZeroU64;

use rustix::fs::{Advice, FallocateFlags, OFlags, SeekFrom, Timestamps};
use wasi::*;

use super::stat::{filestat_of_fd, filetype_of, write_filestat};
use super::timestamps::timestamps;
use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::reactor::Direction;
use crate::wasi::table::{Descriptor, Object};

impl WasiCtx {
    /// `fd_advise`: hint the host's page cache.
    pub(crate) fn fd_advise(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        off: u64,
        len: u64,
        adv: u32,
    ) -> Result<()> {
        let d = self.table.get(fd)?;
        let advice = match adv {
            0 => Advice::Normal,
            1 => Advice::Sequential,
            2 => Advice::Random,
            3 => Advice::WillNeed,
            4 => Advice::DontNeed,
            5 => Advice::NoReuse,
            _ => return Err(ERRNO_INVAL.into()),
        };
        match d.object {
            Object::File(_) => {}
            Object::Dir(_) => return Err(ERRNO_BADF.into()),
            _ => return Err(ERRNO_SPIPE.into()),
        }
        d.check(RIGHTS_FD_ADVISE)?;
        rustix::fs::fadvise(d.object.fd(), off, NonZeroU64::new(len), advice)?;
        Ok(())
    }

    /// `fd_allocate`: make sure `[off, off+len)` is backed by storage.
    pub(crate) fn fd_allocate(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        off: u64,
        len: u64,
    ) -> Result<()> {
        let d = self.table.get(fd)?;
        let Object::File(f) = &d.object else {
            return Err(ERRNO_BADF.into());
        };
        d.check(RIGHTS_FD_ALLOCATE)?;
        if len == 0 {
            return Err(ERRNO_INVAL.into());
        }
        off.checked_add(len).ok_or(ERRNO_FBIG)?;
        rustix::fs::fallocate(f, FallocateFlags::empty(), off, len)?;
        Ok(())
    }

    /// `fd_close`.
    pub(crate) fn fd_close(&mut self, _: &mut GuestMem, fd: u32) -> Result<()> {
        let d = self.table.remove(fd)?;
        self.release(d);
        Ok(())
    }

    /// `fd_datasync`.
    pub(crate) fn fd_datasync(&mut self, _: &mut GuestMem, fd: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        d.check(RIGHTS_FD_DATASYNC)?;
        match &d.object {
            Object::File(f) => rustix::fs::fdatasync(f)?,
            Object::Dir(dir) => rustix::fs::fdatasync(dir)?,
            _ => return Err(ERRNO_INVAL.into()),
        }
        Ok(())
    }

    /// `fd_sync`.
    pub(crate) fn fd_sync(&mut self, _: &mut GuestMem, fd: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        d.check(RIGHTS_FD_SYNC)?;
        match &d.object {
            Object::File(f) => rustix::fs::fsync(f)?,
            Object::Dir(dir) => rustix::fs::fsync(dir)?,
            _ => return Err(ERRNO_INVAL.into()),
        }
        Ok(())
    }

    /// `fd_fdstat_get`: type, flags and rights.
    pub(crate) fn fd_fdstat_get(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        let filetype = filetype_of(&d.object)?;
        let mut buf = [0u8; 24];
        buf[0] = filetype;
        buf[2..4].copy_from_slice(&d.flags.to_le_bytes());
        buf[8..16].copy_from_slice(&d.base.to_le_bytes());
        buf[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
        mem.write(out, &buf)?;
        Ok(())
    }

    /// `fd_fdstat_set_flags`: APPEND and NONBLOCK can change; the sync
    /// flags can only be chosen at open time.
    pub(crate) fn fd_fdstat_set_flags(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        flags: u32,
    ) -> Result<()> {
        let flags = u16::try_from(flags).map_err(|_| ERRNO_INVAL)?;
        let known =
            FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC;
        if flags & !known != 0 {
            return Err(ERRNO_INVAL.into());
        }
        let d = self.table.get_mut(fd)?;
        d.check(RIGHTS_FD_FDSTAT_SET_FLAGS)?;
        let sync = FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC;
        if (flags ^ d.flags) & sync != 0 {
            return Err(ERRNO_NOTSUP.into());
        }
        if let Object::File(f) = &d.object {
            let mut os = rustix::fs::fcntl_getfl(f)?;
            os.set(OFlags::APPEND, flags & FDFLAGS_APPEND != 0);
            rustix::fs::fcntl_setfl(f, os)?;
        } else if flags & FDFLAGS_APPEND != 0 && !matches!(d.object, Object::Stdio(_)) {
            return Err(ERRNO_INVAL.into());
        }
        d.flags = flags;
        Ok(())
    }

    /// `fd_fdstat_set_rights`: rights can only shrink.
    pub(crate) fn fd_fdstat_set_rights(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> Result<()> {
        let d = self.table.get_mut(fd)?;
        if base & !d.base != 0 || inheriting & !d.inheriting != 0 {
            return Err(ERRNO_NOTCAPABLE.into());
        }
        d.base = base;
        d.inheriting = inheriting;
        Ok(())
    }

    /// `fd_filestat_get`.
    pub(crate) fn fd_filestat_get(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        if matches!(d.object, Object::File(_)) {
            d.check(RIGHTS_FD_FILESTAT_GET)?;
        }
        let st = filestat_of_fd(&d.object)?;
        write_filestat(mem, out, &st)?;
        Ok(())
    }

    /// `fd_filestat_set_size`: truncate or extend.
    pub(crate) fn fd_filestat_set_size(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        size: u64,
    ) -> Result<()> {
        let d = self.table.get(fd)?;
        let Object::File(f) = &d.object else {
            return Err(match d.object {
                Object::Dir(_) => ERRNO_ISDIR,
                _ => ERRNO_INVAL,
            }
            .into());
        };
        d.check(RIGHTS_FD_FILESTAT_SET_SIZE)?;
        if size > i64::MAX as u64 {
            return Err(ERRNO_INVAL.into());
        }
        rustix::fs::ftruncate(f, size)?;
        Ok(())
    }

    /// `fd_filestat_set_times`.
    pub(crate) fn fd_filestat_set_times(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> Result<()> {
        let (atime, mtime) = timestamps(atim, mtim, fst)?;
        let d = self.table.get(fd)?;
        d.check(RIGHTS_FD_FILESTAT_SET_TIMES)?;
        rustix::fs::futimens(
            d.object.fd(),
            &Timestamps {
                last_access: atime,
                last_modification: mtime,
            },
        )?;
        Ok(())
    }

    /// `fd_pread`: read at an offset without moving the file position.
    pub(crate) fn fd_pread(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        off: u64,
        out: u32,
    ) -> Result<()> {
        let (_, f) = self.positioned_preamble(mem, fd, out, RIGHTS_FD_READ)?;
        let iovs = mem.iovecs(iovs, n)?;
        let nread = match GuestMem::first_nonempty(&iovs) {
            Some((p, l)) => {
                let buf = mem.slice_mut(p, l)?;
                loop {
                    match rustix::io::preadv(f, &mut [IoSliceMut::new(buf)], off) {
                        Err(rustix::io::Errno::INTR) => continue,
                        r => break r?,
                    }
                }
            }
            None => 0,
        };
        mem.put_u32(out, nread as u32)?;
        Ok(())
    }

    /// `fd_pwrite`: write at an offset without moving the file position.
    pub(crate) fn fd_pwrite(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        off: u64,
        out: u32,
    ) -> Result<()> {
        let (d, f) = self.positioned_preamble(mem, fd, out, RIGHTS_FD_WRITE)?;
        let iovs = mem.iovecs(iovs, n)?;
        let bufs = mem.io_slices(&iovs)?;
        // Linux appends on O_APPEND files whatever the offset; preview1
        // (and POSIX) write at the offset. Write without the flag, then
        // restore it.
        let append = d.flags & FDFLAGS_APPEND != 0;
        if append {
            let os = rustix::fs::fcntl_getfl(f)?;
            rustix::fs::fcntl_setfl(f, os - OFlags::APPEND)?;
        }
        let r = loop {
            match rustix::io::pwritev(f, &bufs, off) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r,
            }
        };
        if append {
            let os = rustix::fs::fcntl_getfl(f)?;
            rustix::fs::fcntl_setfl(f, os | OFlags::APPEND)?;
        }
        let nwritten = r?;
        drop(bufs);
        mem.put_u32(out, nwritten as u32)?;
        Ok(())
    }

    /// The preamble of `fd_pread`/`fd_pwrite`: the result pointer, then
    /// a regular file (`SPIPE` or the like otherwise, see [`not_seekable`])
    /// with `right` and `FD_SEEK`.
    fn positioned_preamble(
        &self,
        mem: &GuestMem,
        fd: u32,
        out: u32,
        right: Rights,
    ) -> Result<(&Descriptor, &cap_std::fs::File)> {
        mem.check(out, 4)?;
        let d = self.table.get(fd)?;
        let Object::File(f) = &d.object else {
            return Err(not_seekable(&d.object).into());
        };
        d.check(right | RIGHTS_FD_SEEK)?;
        Ok((d, f))
    }

    /// The preamble of `fd_read`/`fd_write`: the result pointer, then an fd
    /// that carries bytes (`ISDIR` for a directory, `NOTCONN` for a
    /// listener) and has `right`.
    fn io_preamble(&self, mem: &GuestMem, fd: u32, out: u32, right: Rights) -> Result<()> {
        mem.check(out, 4)?;
        let d = self.table.get(fd)?;
        match &d.object {
            Object::Dir(_) => return Err(ERRNO_ISDIR.into()),
            Object::Socket(s) if s.listening => return Err(ERRNO_NOTCONN.into()),
            _ => {}
        }
        d.check(right)?;
        Ok(())
    }

    /// `fd_read`.
    pub(crate) fn fd_read(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    ) -> Result<()> {
        self.io_preamble(mem, fd, out, RIGHTS_FD_READ)?;
        let iovs = mem.iovecs(iovs, n)?;
        let nread = match GuestMem::first_nonempty(&iovs) {
            Some((p, l)) => {
                let buf = mem.slice_mut(p, l)?;
                self.blocking(fd, Direction::Read, |o| {
                    Ok(rustix::io::read(o.fd(), &mut *buf)?)
                })?
            }
            None => 0,
        };
        mem.put_u32(out, nread as u32)?;
        Ok(())
    }

    /// `fd_write`.
    pub(crate) fn fd_write(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    ) -> Result<()> {
        self.io_preamble(mem, fd, out, RIGHTS_FD_WRITE)?;
        let mut iovs = mem.iovecs(iovs, n)?;
        let (shared_stdio, capped) = match &self.table.get(fd)?.object {
            Object::Stdio(s) if matches!(s.raw, 1 | 2) && self.stdio_lines.is_some() => {
                (true, false)
            }
            // A stream used in blocking mode takes at most what it can
            // without blocking, so the deadline still holds.
            o @ Object::Stdio(_) => (false, self.deadline.is_some() && !o.never_blocks()),
            _ => (false, false),
        };
        let nwritten = {
            if capped {
                truncate(&mut iovs, crate::wasi::stdio::PIPE_BUF);
            }
            let bufs = mem.io_slices(&iovs)?;
            if bufs.iter().all(|b| b.is_empty()) {
                0
            } else if let (true, Some((lines, pending)), Object::Stdio(s)) = (
                shared_stdio,
                &mut self.stdio_lines,
                &self.table.get(fd)?.object,
            ) {
                // Shared with other instances: whole lines only.
                let slices: Vec<&[u8]> = bufs.iter().map(|b| &b[..]).collect();
                match lines.write(pending, s, &slices, self.deadline) {
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(self.timed_out()),
                    r => r?,
                }
                slices.iter().map(|b| b.len()).sum()
            } else {
                self.blocking(fd, Direction::Write, |o| match o {
                    Object::Socket(s) => send_vectored(s, &bufs),
                    _ => Ok(rustix::io::writev(o.fd(), &bufs)?),
                })?
            }
        };
        mem.put_u32(out, nwritten as u32)?;
        Ok(())
    }

    /// `fd_prestat_get`: describe a preopened directory.
    pub(crate) fn fd_prestat_get(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        let name = d.preopen().ok_or(ERRNO_BADF)?;
        let len = u32::try_from(name.len())?;
        let mut buf = [0u8; 8];
        buf[0] = PREOPENTYPE_DIR.raw();
        buf[4..8].copy_from_slice(&len.to_le_bytes());
        mem.write(out, &buf)?;
        Ok(())
    }

    /// `fd_prestat_dir_name`: the guest name of a preopened directory.
    pub(crate) fn fd_prestat_dir_name(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        path: u32,
        len: u32,
    ) -> Result<()> {
        let d = self.table.get(fd)?;
        let name = d.preopen().ok_or(ERRNO_BADF)?;
        if (len as usize) < name.len() {
            return Err(ERRNO_NAMETOOLONG.into());
        }
        mem.write(path, name.as_bytes())?;
        Ok(())
    }

    /// `fd_readdir`: entries from `cookie` on, as many as fit.
    ///
    /// A listing reads the directory once, at cookie 0 (or whenever no
    /// snapshot is kept), so cookies stay meaningful between calls. The
    /// snapshot is charged to the guest's account and dropped when a call
    /// reaches the end of the listing or the fd is closed: only listings
    /// under way hold host memory.
    pub(crate) fn fd_readdir(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        buf: u32,
        len: u32,
        cookie: u64,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let dest = mem.slice_mut(buf, len)?;
        let d = self.table.get_mut(fd)?;
        let Object::Dir(dir) = &d.object else {
            return Err(ERRNO_NOTDIR.into());
        };
        d.check(RIGHTS_FD_READDIR)?;
        let info = d.dir_info.get_or_insert_default();
        if cookie == 0 || info.entries.is_none() {
            if let Some(old) = info.entries.take() {
                self.account.release(old.bytes());
            }
            info.entries = Some(super::stat::read_entries(dir, &mut self.account)?);
        }
        let listing = info.entries.as_ref().expect("just filled");
        let mut used = 0usize;
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        let mut at_end = true;
        for (i, e) in listing.entries.iter().enumerate().skip(start) {
            if used == dest.len() {
                at_end = false;
                break;
            }
            let mut head = [0u8; 24];
            head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            head[8..16].copy_from_slice(&e.ino.to_le_bytes());
            head[16..20].copy_from_slice(&e.name_len.to_le_bytes());
            head[20] = e.filetype;
            for part in [&head[..], listing.name(e)] {
                let n = part.len().min(dest.len() - used);
                dest[used..used + n].copy_from_slice(&part[..n]);
                used += n;
            }
        }
        if at_end && used < dest.len() {
            // The guest has seen the end: the next call restarts or ends.
            if let Some(done) = info.entries.take() {
                self.account.release(done.bytes());
            }
        }
        mem.put_u32(out, used as u32)?;
        Ok(())
    }

    /// `fd_renumber`: move `from` onto `to`, closing what `to` held.
    pub(crate) fn fd_renumber(&mut self, _: &mut GuestMem, from: u32, to: u32) -> Result<()> {
        self.table.get(from)?;
        self.table.get(to)?;
        if from == to {
            return Ok(());
        }
        let old = self.table.remove(to)?;
        self.release(old);
        let d = self.table.remove(from)?;
        self.table.put_at(to, d);
        Ok(())
    }

    /// `fd_seek`.
    pub(crate) fn fd_seek(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        off: i64,
        whence: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 8)?;
        let d = self.table.get(fd)?;
        let pos = match whence {
            0 => SeekFrom::Start(u64::try_from(off).map_err(|_| ERRNO_INVAL)?),
            1 => SeekFrom::Current(off),
            2 => SeekFrom::End(off),
            _ => return Err(ERRNO_INVAL.into()),
        };
        match &d.object {
            Object::Dir(_) => return Err(ERRNO_BADF.into()),
            // The host's stdio is a stream to the guest even when it is
            // redirected to a file: seeking it would move (or grow) the
            // host's own log.
            Object::File(_) => {}
            _ => return Err(ERRNO_SPIPE.into()),
        }
        let tell_only = off == 0 && whence == 1;
        if !(tell_only && d.base & RIGHTS_FD_TELL != 0) {
            d.check(RIGHTS_FD_SEEK)?;
        }
        let new = rustix::fs::seek(d.object.fd(), pos)?;
        mem.put_u64(out, new)?;
        Ok(())
    }

    /// `fd_tell`.
    pub(crate) fn fd_tell(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        let d = self.table.get(fd)?;
        match &d.object {
            Object::Dir(_) => return Err(ERRNO_BADF.into()),
            // The host's stdio is a stream to the guest even when it is
            // redirected to a file: seeking it would move (or grow) the
            // host's own log.
            Object::File(_) => {}
            _ => return Err(ERRNO_SPIPE.into()),
        }
        d.check(RIGHTS_FD_TELL)?;
        let pos = rustix::fs::seek(d.object.fd(), SeekFrom::Current(0))?;
        mem.put_u64(out, pos)?;
        Ok(())
    }
}

/// Shortens an iovec array to at most `max` bytes in all.
fn truncate(iovs: &mut crate::wasi::mem::Iovecs, max: usize) {
    let mut left = max as u32;
    let mut keep = 0;
    for (_, len) in iovs.iter_mut() {
        if left == 0 {
            break;
        }
        *len = (*len).min(left);
        left -= *len;
        keep += 1;
    }
    iovs.truncate(keep);
}

/// The errno for a positional operation on something without positions.
fn not_seekable(o: &Object) -> Errno {
    match o {
        Object::Dir(_) => ERRNO_ISDIR,
        _ => ERRNO_SPIPE,
    }
}

/// `send` with `MSG_NOSIGNAL`: a peer that went away must not kill the
/// host with SIGPIPE.
pub(crate) fn send_vectored(
    s: &crate::wasi::table::Socket,
    bufs: &[io::IoSlice<'_>],
) -> io::Result<usize> {
    let first = bufs
        .iter()
        .find(|b| !b.is_empty())
        .map(|b| &b[..])
        .unwrap_or(&[]);
    if bufs.iter().filter(|b| !b.is_empty()).count() <= 1 {
        return Ok(rustix::net::send(
            &s.fd,
            first,
            rustix::net::SendFlags::NOSIGNAL,
        )?);
    }
    let msg = rustix::net::sendmsg(
        &s.fd,
        bufs,
        &mut rustix::net::SendAncillaryBuffer::default(),
        rustix::net::SendFlags::NOSIGNAL,
    )?;
    Ok(msg)
}
