//! [`Interest`] and [`Ready`]: which directions to wait for, and which
//! were found ready (tokio's names and meaning).

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// Directions to wait for in `ready()`: [`READABLE`](Self::READABLE),
/// [`WRITABLE`](Self::WRITABLE), or both (`READABLE | WRITABLE`).
///
/// ```
/// use wasio::io::Interest;
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Wait until a read would not block.
    pub const READABLE: Interest = Interest(1);
    /// Wait until a write would not block.
    pub const WRITABLE: Interest = Interest(2);

    /// Includes reading.
    pub const fn is_readable(self) -> bool {
        self.0 & 1 != 0
    }

    /// Includes writing.
    pub const fn is_writable(self) -> bool {
        self.0 & 2 != 0
    }

    /// Both interests.
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

/// Directions found ready by `ready()`. Readiness is a hint, as in tokio:
/// a `try_read` after `READABLE` may still return `WouldBlock` (another
/// task got there first), which clears it until the poller reports it
/// again. A closed peer shows as readable (a read returns 0), and natively
/// also as [`READ_CLOSED`](Self::READ_CLOSED) once the poller has reported
/// the hang-up.
///
/// ```
/// use wasio::io::Ready;
/// let r = Ready::READABLE | Ready::WRITABLE;
/// assert!(r.is_readable() && r.is_writable() && !r.is_empty());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ready(u8);

impl Ready {
    /// Nothing ready.
    pub const EMPTY: Ready = Ready(0);
    /// A read would not block.
    pub const READABLE: Ready = Ready(1);
    /// A write would not block.
    pub const WRITABLE: Ready = Ready(2);
    /// Every direction.
    pub const ALL: Ready = Ready(3);
    /// The peer closed the read direction (natively; see
    /// [`is_read_closed`](Self::is_read_closed)).
    pub const READ_CLOSED: Ready = Ready(4);
    /// The write direction was closed (natively).
    pub const WRITE_CLOSED: Ready = Ready(8);

    /// Nothing is ready.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// A read would not block.
    pub const fn is_readable(self) -> bool {
        self.0 & 1 != 0
    }

    /// A write would not block.
    pub const fn is_writable(self) -> bool {
        self.0 & 2 != 0
    }

    /// The read direction was closed by the peer: natively, once the
    /// poller has reported the hang-up (it comes with `READABLE`: a read
    /// returns 0). Under `wasio run` preview1's wait does not report
    /// hang-ups apart from readability, so there it is always `false`.
    pub const fn is_read_closed(self) -> bool {
        self.0 & 4 != 0
    }

    /// The write direction was closed (natively; always `false` under
    /// `wasio run`, as [`is_read_closed`](Self::is_read_closed)).
    pub const fn is_write_closed(self) -> bool {
        self.0 & 8 != 0
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .finish()
    }
}
