//! Types both platforms' socket code shares.

/// Socket address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
    Unix,
}

/// Stream or datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Stream,
    Datagram,
}

impl Family {
    pub(crate) fn of(a: &std::net::SocketAddr) -> Family {
        if a.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }
}

/// A socket option, by name. The platforms map it to their own (`wasi`:
/// `wasio_abi::opt` numbers; `native`: system calls); values travel as
/// `u64` (flags 0/1, counts, linger seconds or [`LINGER_OFF`]) and are
/// checked above, in `sys::sockopt`, the same way on both targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opt {
    ReuseAddr,
    ReusePort,
    NoDelay,
    KeepAlive,
    Ttl,
    Broadcast,
    RecvBufferSize,
    SendBufferSize,
    Linger,
    OnlyV6,
    MulticastTtlV4,
    MulticastLoopV4,
    MulticastLoopV6,
}

/// The `Opt::Linger` value meaning "off".
pub(crate) const LINGER_OFF: u64 = u64::MAX;
