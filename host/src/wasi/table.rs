//! The guest's file-descriptor table.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use cap_std::fs::{Dir, File};
use mio::Token;
use wasi::{Errno, Fdflags, Rights};

use super::stdio::Stdio;

/// A directory entry as `fd_readdir` reports it; its name is in the
/// [`Listing`]'s one name buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirEntry {
    /// File serial number.
    pub(crate) ino: u64,
    /// Where the name starts in [`Listing::names`].
    pub(crate) name_at: u32,
    /// Name length.
    pub(crate) name_len: u32,
    /// preview1 file type.
    pub(crate) filetype: u8,
}

/// A directory's entries for `fd_readdir`: two allocations in all, whose
/// capacity is what the guest's account is charged.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// The entries, `.` and `..` first, then by name.
    pub(crate) entries: Vec<DirEntry>,
    /// Every name, one after another.
    pub(crate) names: Vec<u8>,
}

impl Listing {
    /// The name of `e`.
    pub(crate) fn name(&self, e: &DirEntry) -> &[u8] {
        let at = e.name_at as usize;
        &self.names[at..at + e.name_len as usize]
    }

    /// Host bytes the two buffers hold: what the guest's account is
    /// charged for the listing while it is kept.
    pub(crate) fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<DirEntry>() + self.names.capacity()
    }
}

/// The host object behind a guest fd.
pub(crate) enum Object {
    /// One of the host's own standard streams (0, 1 or 2), shared, never
    /// closed by the host (see [`Stdio`] for how it is used).
    Stdio(Stdio),
    /// A regular file (or block device) opened through cap-std.
    File(File),
    /// A FIFO or character device opened by path: a byte stream without
    /// positions. The host fd is ours alone, so it is kept non-blocking
    /// and every wait on it is a `poll(2)` bounded by the deadline.
    Pipe(OwnedFd),
    /// A directory capability.
    Dir(Dir),
    /// A socket: preopened (`--tcplisten`), accepted, or made through
    /// the wasio extension. Always non-blocking on the host.
    Socket(Socket),
}

/// What kind of socket a [`Socket`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SocketKind {
    /// TCP or Unix stream.
    Stream,
    /// UDP or Unix datagram.
    Datagram,
}

/// Address family of a [`Socket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// IPv4.
    Inet4,
    /// IPv6.
    Inet6,
    /// Unix domain.
    Unix,
}

/// A host socket behind a guest fd.
#[derive(Debug)]
pub(crate) struct Socket {
    /// The host fd (non-blocking, close-on-exec).
    pub(crate) fd: OwnedFd,
    /// Address family.
    pub(crate) family: Family,
    /// Stream or datagram.
    pub(crate) kind: SocketKind,
    /// `listen` was called: it accepts, it does not read or write.
    pub(crate) listening: bool,
    /// A graceful linger the guest asked for (seconds), reported back by
    /// `get_opt` but never set on the host socket: with it, closing
    /// blocks the closing thread. The kernel still sends what is queued
    /// after close; only the wait is left out.
    pub(crate) linger: Option<u16>,
}

impl Object {
    /// The host fd, for raw system calls.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Object::Stdio(s) => s.fd(),
            Object::File(f) => f.as_fd(),
            Object::Pipe(p) => p.as_fd(),
            Object::Dir(d) => d.as_fd(),
            Object::Socket(s) => s.fd.as_fd(),
        }
    }

    /// Whether readiness of this object comes from the reactor.
    pub(crate) fn is_socket(&self) -> bool {
        matches!(self, Object::Socket(_))
    }

    /// Whether the host fd is non-blocking, so a call that would block
    /// says so (and the host waits, bounded by the deadline) instead of
    /// blocking: sockets, the FIFOs the guest opens, and the standard
    /// streams the host could open privately.
    pub(crate) fn never_blocks(&self) -> bool {
        match self {
            Object::Socket(_) | Object::Pipe(_) => true,
            Object::Stdio(s) => s.private.is_some(),
            Object::File(_) | Object::Dir(_) => false,
        }
    }
}

/// What only a directory carries, kept out of line: see [`Descriptor`].
#[derive(Default)]
pub(crate) struct DirInfo {
    /// For a preopened directory: the name the guest sees.
    pub(crate) preopen: Option<String>,
    /// Snapshot of the entries for `fd_readdir` cookies, while a listing
    /// is under way, and the bytes it is charged to the guest's account.
    pub(crate) entries: Option<Listing>,
}

/// One open guest fd.
///
/// Every socket call reads its fd's descriptor first, and with a thousand
/// connections that read is a cache miss: so a descriptor is one cache
/// line (64 bytes, aligned), with what only directories need boxed in
/// [`DirInfo`]. (At 96 bytes unaligned, two of three descriptors spanned
/// two lines.)
#[repr(align(64))]
pub(crate) struct Descriptor {
    /// What it refers to.
    pub(crate) object: Object,
    /// Rights the fd has.
    pub(crate) base: Rights,
    /// Rights fds opened through it may have.
    pub(crate) inheriting: Rights,
    /// The guest-visible `fdflags` (APPEND, NONBLOCK, ...).
    pub(crate) flags: Fdflags,
    /// Read-only directory tree (`--dir-ro`): nothing under it may change.
    pub(crate) readonly: bool,
    /// Registration in the reactor, once the fd has been waited on.
    pub(crate) token: Option<Token>,
    /// A directory's preopen name and `fd_readdir` snapshot, once it has
    /// either.
    pub(crate) dir_info: Option<Box<DirInfo>>,
}

impl Descriptor {
    /// A descriptor with the given rights and no flags.
    pub(crate) fn new(object: Object, base: Rights, inheriting: Rights) -> Self {
        Self {
            object,
            base,
            inheriting,
            flags: 0,
            readonly: false,
            token: None,
            dir_info: None,
        }
    }

    /// The name a preopened directory has in the guest.
    pub(crate) fn preopen(&self) -> Option<&str> {
        self.dir_info.as_ref()?.preopen.as_deref()
    }

    /// The directory's out-of-line state, made on first use.
    pub(crate) fn dir_info_mut(&mut self) -> &mut DirInfo {
        self.dir_info.get_or_insert_default()
    }

    /// Fails with `NOTCAPABLE` unless the fd has all of `rights`.
    pub(crate) fn check(&self, rights: Rights) -> Result<(), Errno> {
        if self.base & rights == rights {
            Ok(())
        } else {
            Err(wasi::ERRNO_NOTCAPABLE)
        }
    }

    /// Whether the guest marked the fd non-blocking.
    pub(crate) fn nonblocking(&self) -> bool {
        self.flags & wasi::FDFLAGS_NONBLOCK != 0
    }

    /// The socket, or `NOTSOCK`.
    pub(crate) fn socket(&self) -> Result<&Socket, Errno> {
        match &self.object {
            Object::Socket(s) => Ok(s),
            _ => Err(wasi::ERRNO_NOTSOCK),
        }
    }

    /// The directory, or `NOTDIR`.
    pub(crate) fn dir(&self) -> Result<&Dir, Errno> {
        match &self.object {
            Object::Dir(d) => Ok(d),
            _ => Err(wasi::ERRNO_NOTDIR),
        }
    }

    /// The raw host fd.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.object.fd().as_raw_fd()
    }
}

/// Guest fd numbers to descriptors. New fds take the lowest free number,
/// as POSIX `open` does.
pub(crate) struct FdTable {
    slots: Vec<Option<Descriptor>>,
    free: BinaryHeap<Reverse<u32>>,
    open: usize,
    max_open: usize,
}

impl FdTable {
    /// An empty table admitting at most `max_open` descriptors.
    pub(crate) fn new(max_open: usize) -> Self {
        Self {
            slots: Vec::new(),
            free: BinaryHeap::new(),
            open: 0,
            max_open,
        }
    }

    /// Inserts at the lowest free number; `MFILE` when full.
    pub(crate) fn push(&mut self, d: Descriptor) -> Result<u32, Errno> {
        if self.open >= self.max_open {
            return Err(wasi::ERRNO_MFILE);
        }
        self.open += 1;
        while let Some(Reverse(fd)) = self.free.pop() {
            let slot = &mut self.slots[fd as usize];
            if slot.is_none() {
                *slot = Some(d);
                return Ok(fd);
            }
        }
        let fd = u32::try_from(self.slots.len()).map_err(|_| wasi::ERRNO_MFILE)?;
        self.slots.push(Some(d));
        Ok(fd)
    }

    /// The descriptor at `fd`, or `BADF`.
    pub(crate) fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(wasi::ERRNO_BADF)
    }

    /// The descriptor at `fd`, writable, or `BADF`.
    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(wasi::ERRNO_BADF)
    }

    /// Removes `fd` and returns what it held.
    pub(crate) fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        let d = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(wasi::ERRNO_BADF)?;
        self.open -= 1;
        self.free.push(Reverse(fd));
        Ok(d)
    }

    /// Puts `d` at exactly `fd`, which must be free and addressable; returns
    /// nothing for `fd_renumber`, which first removed the target.
    pub(crate) fn put_at(&mut self, fd: u32, d: Descriptor) {
        let i = fd as usize;
        if i >= self.slots.len() {
            for n in self.slots.len()..i {
                self.free.push(Reverse(n as u32));
            }
            self.slots.resize_with(i + 1, || None);
        }
        debug_assert!(self.slots[i].is_none());
        self.slots[i] = Some(d);
        self.open += 1;
    }

    /// Counts `n` host fds that no guest fd number stands for (the write
    /// end of a signal fd's socket pair) against the same limit; `MFILE`
    /// when they do not fit.
    pub(crate) fn hold_extra(&mut self, n: usize) -> Result<(), Errno> {
        if self.open + n > self.max_open {
            return Err(wasi::ERRNO_MFILE);
        }
        self.open += n;
        Ok(())
    }

    /// Gives back `n` fds counted by [`FdTable::hold_extra`].
    pub(crate) fn release_extra(&mut self, n: usize) {
        self.open -= n;
    }

    /// Most descriptors that may be open at once.
    pub(crate) fn max_open(&self) -> usize {
        self.max_open
    }

    /// Number of host fds counted: open descriptors plus extra ones.
    pub(crate) fn len(&self) -> usize {
        self.open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Option<Descriptor>>(), 64);
        assert_eq!(std::mem::align_of::<Option<Descriptor>>(), 64);
    }

    fn stdio() -> Descriptor {
        Descriptor::new(Object::Stdio(Stdio::new(2)), 0, 0)
    }

    #[test]
    fn lowest_free_number_is_reused() {
        let mut t = FdTable::new(10);
        assert_eq!(t.push(stdio()).unwrap(), 0);
        assert_eq!(t.push(stdio()).unwrap(), 1);
        assert_eq!(t.push(stdio()).unwrap(), 2);
        t.remove(1).unwrap();
        t.remove(0).unwrap();
        assert_eq!(t.push(stdio()).unwrap(), 0);
        assert_eq!(t.push(stdio()).unwrap(), 1);
        assert_eq!(t.push(stdio()).unwrap(), 3);
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn limits_and_bad_fds() {
        let mut t = FdTable::new(2);
        t.push(stdio()).unwrap();
        t.push(stdio()).unwrap();
        assert_eq!(t.push(stdio()).err(), Some(wasi::ERRNO_MFILE));
        assert_eq!(t.get(7).err(), Some(wasi::ERRNO_BADF));
        assert_eq!(t.get(u32::MAX).err(), Some(wasi::ERRNO_BADF));
        assert_eq!(t.remove(5).err(), Some(wasi::ERRNO_BADF));
        t.remove(0).unwrap();
        assert_eq!(t.remove(0).err(), Some(wasi::ERRNO_BADF));
    }

    #[test]
    fn extra_host_fds_count_against_the_limit() {
        let mut t = FdTable::new(4);
        t.push(stdio()).unwrap();
        t.hold_extra(2).unwrap();
        assert_eq!(t.hold_extra(2), Err(wasi::ERRNO_MFILE));
        t.push(stdio()).unwrap();
        assert_eq!(t.push(stdio()).err(), Some(wasi::ERRNO_MFILE));
        t.release_extra(2);
        t.push(stdio()).unwrap();
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn put_at_fills_gaps_as_free() {
        let mut t = FdTable::new(10);
        t.put_at(3, stdio());
        assert_eq!(t.push(stdio()).unwrap(), 0);
        assert_eq!(t.push(stdio()).unwrap(), 1);
        assert_eq!(t.push(stdio()).unwrap(), 2);
        assert_eq!(t.push(stdio()).unwrap(), 4);
    }
}
