//! [`FdBits`]: a few state bits per fd, in a table indexed by fd.
//!
//! fds are small and dense, and the reactor and both pollers ask such
//! state on every wait, wake-up and short read: a `Vec` index, no hashing.

use std::os::fd::RawFd;

/// Up to eight flags per fd; an fd never set reads as 0.
#[derive(Default)]
pub(crate) struct FdBits(Vec<u8>);

impl FdBits {
    /// The bits of `fd` (0 for one never set, or a negative fd).
    pub(crate) fn get(&self, fd: RawFd) -> u8 {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.0.get(i).copied())
            .unwrap_or(0)
    }

    /// A mutable entry for `fd`, growing the table (`None`: negative fd).
    fn entry(&mut self, fd: RawFd) -> Option<&mut u8> {
        let i = usize::try_from(fd).ok()?;
        if i >= self.0.len() {
            self.0.resize(i + 1, 0);
        }
        self.0.get_mut(i)
    }

    /// Replaces the bits of `fd`.
    pub(crate) fn set(&mut self, fd: RawFd, bits: u8) {
        if let Some(b) = self.entry(fd) {
            *b = bits;
        }
    }

    /// Sets `bits` on `fd`, keeping the others.
    pub(crate) fn insert(&mut self, fd: RawFd, bits: u8) {
        if let Some(b) = self.entry(fd) {
            *b |= bits;
        }
    }

    /// Clears `clear` and then sets `set` on `fd`, in one lookup.
    pub(crate) fn update(&mut self, fd: RawFd, clear: u8, set: u8) {
        if let Some(b) = self.entry(fd) {
            *b = (*b & !clear) | set;
        }
    }

    /// Clears `bits` on `fd` (an fd never set stays unset: no growth).
    pub(crate) fn remove(&mut self, fd: RawFd, bits: u8) {
        if let Some(b) = usize::try_from(fd).ok().and_then(|i| self.0.get_mut(i)) {
            *b &= !bits;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_per_fd() {
        let mut t = FdBits::default();
        assert_eq!(t.get(7), 0);
        t.remove(7, 1);
        assert_eq!(t.0.len(), 0, "clearing an unset fd does not grow");
        t.insert(7, 1);
        t.insert(7, 4);
        assert_eq!(t.get(7), 5);
        t.remove(7, 1);
        assert_eq!(t.get(7), 4);
        t.set(7, 2);
        assert_eq!(t.get(7), 2);
        t.update(7, 2, 9);
        assert_eq!(t.get(7), 9);
        assert_eq!(t.get(3), 0);
        t.set(-1, 1);
        t.insert(-1, 1);
        assert_eq!(t.get(-1), 0);
    }
}
