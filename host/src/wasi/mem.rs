//! Bounds-checked access to a guest's linear memory.
//!
//! Every pointer and length a guest passes is untrusted. All access goes
//! through [`GuestMem`], which checks the whole range (with 64-bit arithmetic,
//! so `ptr + len` cannot wrap) and answers `FAULT` instead of panicking.

use std::io::IoSlice;

use wasi::Errno;

/// Most iovecs one call gathers: the Linux `IOV_MAX`. A guest passing more
/// gets a short transfer, which POSIX allows.
pub(crate) const IOV_MAX: u32 = 1024;

/// A guest iovec array read out of memory: `(address, length)` pairs, on
/// the stack for up to eight (every read and write of a server's hot path).
pub(crate) type Iovecs = smallvec::SmallVec<[(u32, u32); 8]>;

/// Host slices over a guest `ciovec` array, for a vectored write.
pub(crate) type IoSlices<'a> = smallvec::SmallVec<[IoSlice<'a>; 8]>;

/// `ptr + off` as a guest address, `FAULT` if it leaves the 32-bit space.
/// Every guest address the host derives goes through this or [`elem`]:
/// nothing is added to a guest pointer unchecked.
pub(crate) fn add(ptr: u32, off: usize) -> Result<u32, Errno> {
    u32::try_from(off)
        .ok()
        .and_then(|off| ptr.checked_add(off))
        .ok_or(wasi::ERRNO_FAULT)
}

/// The address of element `i` of `size`-byte elements at `ptr` (`FAULT` on
/// overflow).
pub(crate) fn elem(ptr: u32, i: usize, size: u32) -> Result<u32, Errno> {
    add(ptr, i.checked_mul(size as usize).ok_or(wasi::ERRNO_FAULT)?)
}

/// A guest's linear memory, borrowed for the duration of one host call.
pub(crate) struct GuestMem<'a> {
    data: &'a mut [u8],
}

impl<'a> GuestMem<'a> {
    /// Wraps the bytes of a linear memory.
    pub(crate) fn new(data: &'a mut [u8]) -> Self {
        Self { data }
    }

    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(wasi::ERRNO_FAULT)?;
        if end > self.data.len() {
            return Err(wasi::ERRNO_FAULT);
        }
        Ok(start..end)
    }

    /// Fails with `FAULT` unless `[ptr, ptr+len)` lies inside memory. Calls
    /// check their result pointers this way *before* acting, so a bad
    /// pointer never leaves a done-but-unreported operation behind.
    pub(crate) fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.range(ptr, len).map(drop)
    }

    /// The `len` bytes at `ptr`.
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.data[r])
    }

    /// The `len` bytes at `ptr`, writable.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.data[r])
    }

    /// A UTF-8 string of `len` bytes at `ptr` (`ILSEQ` if it is not UTF-8).
    pub(crate) fn str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| wasi::ERRNO_ILSEQ)
    }

    fn array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let s = self.slice(ptr, N as u32)?;
        let mut out = [0; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Reads a little-endian `u8`.
    pub(crate) fn u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub(crate) fn u16(&self, ptr: u32) -> Result<u16, Errno> {
        self.array(ptr).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub(crate) fn u32(&self, ptr: u32) -> Result<u32, Errno> {
        self.array(ptr).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub(crate) fn u64(&self, ptr: u32) -> Result<u64, Errno> {
        self.array(ptr).map(u64::from_le_bytes)
    }

    /// Copies `bytes` to `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(bytes.len()).map_err(|_| wasi::ERRNO_FAULT)?;
        self.slice_mut(ptr, len)?.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes a little-endian `u8`.
    pub(crate) fn put_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, &[v])
    }

    /// Writes a little-endian `u16`.
    pub(crate) fn put_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub(crate) fn put_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub(crate) fn put_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The `(buf, len)` pairs of an iovec array (`iovec` and `ciovec` share
    /// a layout: two `u32`s). At most [`IOV_MAX`] entries are read, each
    /// checked to lie inside memory.
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Iovecs, Errno> {
        let count = count.min(IOV_MAX);
        // The part of the array we read must be addressable.
        self.range(ptr, count.checked_mul(8).ok_or(wasi::ERRNO_FAULT)?)?;
        let mut out = Iovecs::with_capacity(count as usize);
        for i in 0..count {
            let at = elem(ptr, i as usize, 8)?;
            let buf = self.u32(at)?;
            let len = self.u32(add(at, 4)?)?;
            self.range(buf, len)?;
            out.push((buf, len));
        }
        Ok(out)
    }

    /// Borrows the buffers of a `ciovec` array for a vectored write.
    pub(crate) fn io_slices(&self, iovs: &[(u32, u32)]) -> Result<IoSlices<'_>, Errno> {
        iovs.iter()
            .map(|&(p, l)| self.slice(p, l).map(IoSlice::new))
            .collect()
    }

    /// The first non-empty buffer of an iovec array, for a read. Reading into
    /// one buffer is a legal short read and avoids aliasing `&mut` slices
    /// when a guest passes overlapping iovecs.
    pub(crate) fn first_nonempty(iovs: &[(u32, u32)]) -> Option<(u32, u32)> {
        iovs.iter().copied().find(|&(_, l)| l > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_bounds_access_works() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMem::new(&mut buf);
        m.put_u32(4, 0xdead_beef).unwrap();
        m.put_u64(8, u64::MAX - 1).unwrap();
        m.put_u16(62, 7).unwrap();
        assert_eq!(m.u32(4).unwrap(), 0xdead_beef);
        assert_eq!(m.u64(8).unwrap(), u64::MAX - 1);
        assert_eq!(m.u16(62).unwrap(), 7);
        assert_eq!(m.slice(64, 0).unwrap(), &[] as &[u8]);
    }

    #[test]
    fn out_of_bounds_is_fault_not_panic() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMem::new(&mut buf);
        assert_eq!(m.u32(61), Err(wasi::ERRNO_FAULT));
        assert_eq!(m.u64(u32::MAX), Err(wasi::ERRNO_FAULT));
        assert_eq!(m.slice(1, u32::MAX).err(), Some(wasi::ERRNO_FAULT));
        assert_eq!(m.slice(u32::MAX, u32::MAX).err(), Some(wasi::ERRNO_FAULT));
        assert_eq!(m.put_u16(63, 1), Err(wasi::ERRNO_FAULT));
        assert_eq!(m.slice(65, 0).err(), Some(wasi::ERRNO_FAULT));
        assert_eq!(m.write(60, &[1; 5]), Err(wasi::ERRNO_FAULT));
        // Nothing was written by the failed calls.
        assert!(buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn iovecs_are_checked_entry_by_entry() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMem::new(&mut buf);
        m.put_u32(0, 32).unwrap();
        m.put_u32(4, 8).unwrap();
        m.put_u32(8, 60).unwrap();
        m.put_u32(12, 100).unwrap(); // runs past the end
        assert_eq!(m.iovecs(0, 1).unwrap().as_slice(), &[(32, 8)]);
        assert_eq!(m.iovecs(0, 2), Err(wasi::ERRNO_FAULT));
        // A huge count cannot allocate: the array itself must fit in memory.
        assert_eq!(m.iovecs(0, u32::MAX), Err(wasi::ERRNO_FAULT));
        assert_eq!(m.iovecs(60, 1), Err(wasi::ERRNO_FAULT));
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut buf = b"ok\xff".to_vec();
        let m = GuestMem::new(&mut buf);
        assert_eq!(m.str(0, 2).unwrap(), "ok");
        assert_eq!(m.str(0, 3).err(), Some(wasi::ERRNO_ILSEQ));
    }
}
